"""Survivorship: which member's value becomes the golden value, with lineage.

Rules per attribute come from the dictionary binding: ``ElementBinding.survivorship`` first,
then its ``tie_breakers`` in order, then recency. The rules:
- ``most_recent``: the most recently updated member with a value;
- ``source_priority``: the member whose system ranks best for that attribute
  (``SourceSystem.trust[attr]``, else its default ``priority``), most recent on a tie;
- ``most_complete``: the member with the most filled attributes;
- ``most_frequent``: the value most members agree on, most recent on a tie;
- ``longest``: the longest value.
A steward-locked value always wins. Values a member sent but that failed a ``flag`` validator
never become golden values: they stay in the source record as received.

Trust decides what a system may change: a member linked by an identifier alone (an equal
resident ID, credit code or GTIN, and nothing else agreeing: ``linked_by_identifier_alone``)
never overwrites a value that a member of an equally or more trusted system gave (its rank
for the attribute, ``SourceSystem.trust`` else ``priority``), whatever the rule, recency
included; only a strictly more trusted system's record may, and it may always fill an
attribute nobody else gave. A system that knows someone's identifier must not be able to
take the record over with invented values.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from dictionary.derivations import DERIVED_ELEMENTS
from dictionary.models import ElementBindingSurvivorshipChoices as Rule
from dictionary.services import CompiledElement, compiled_elements
from mdm.models import GoldenRecord, SourceRecord
from mdm.privacy import crypto

LOCKED_RULE = "steward_locked"


def _recency(member: SourceRecord) -> tuple:
    return (member.updated_at or dt.datetime.min.replace(tzinfo=dt.UTC), member.pk or 0)


def _comparable(member: SourceRecord, attr: str) -> Any:
    """What equal values share: the blind index of an encrypted value (its ciphertexts differ)."""
    return (member.blind_index or {}).get(attr) or member.attributes[attr]


#: The note of the explanation row that says an equal identifier decided the link.
IDENTIFIER_RULE_NOTE = "hard rule: same valid "


def linked_by_identifier_alone(explanation: Sequence[Mapping[str, Any]] | None) -> bool:
    """Did the matcher link a record on an equal identifier with nothing else agreeing?

    ``explanation``: the record's stored link explanation. The identifier's own rows, and those
    of the elements it proves (a resident ID's birth date and region: ``DERIVED_ELEMENTS``),
    do not count; any other field with a positive weight (a name, a phone, an address that
    agree) corroborates the link.
    """
    rows = [row for row in explanation or () if isinstance(row, Mapping)]
    identifiers = {
        row.get("field")
        for row in rows
        if str(row.get("note") or "").startswith(IDENTIFIER_RULE_NOTE)
    }
    if not identifiers:
        return False
    identifiers |= {e for i in list(identifiers) for e in DERIVED_ELEMENTS.get(str(i), ())}
    return not any(
        row.get("field") not in identifiers and float(row.get("weight") or 0) > 0 for row in rows
    )


def rank_of(member: SourceRecord, attr: str) -> int:
    """The member's system's trust rank for ``attr``: lower is more trusted."""
    return int(member.system.trust.get(attr, member.system.priority))


def _trusted_pool(
    attr: str, pool: Sequence[SourceRecord], weak: Collection[int]
) -> list[SourceRecord]:
    """``pool`` without the members linked by an identifier alone that do not outrank, for
    ``attr``, every member whose link something else corroborated.

    Between systems of equal trust the corroborated member's value stays: a record that only
    shares an identifier is not evidence that its newer values describe the same person or
    company, so recency must not let it take over. It still takes part when its system is
    strictly more trusted, and when no corroborated member gave a value.
    """
    if not weak:
        return list(pool)
    corroborated = [rank_of(m, attr) for m in pool if m.pk not in weak]
    if not corroborated:
        return list(pool)
    best = min(corroborated)
    return [m for m in pool if m.pk not in weak or rank_of(m, attr) < best]


def _pick(chain: Sequence[str], attr: str, members: Sequence[SourceRecord]) -> SourceRecord:
    """The member that ranks first by the rules of ``chain`` in order, most recent last."""
    counts = Counter(_comparable(m, attr) for m in members)

    def rank(member: SourceRecord) -> tuple:
        keys: list[Any] = []
        for rule in chain:
            if rule == Rule.SOURCE_PRIORITY:
                keys.append(-rank_of(member, attr))
            elif rule == Rule.MOST_COMPLETE:
                keys.append(sum(1 for v in member.attributes.values() if v))
            elif rule == Rule.MOST_FREQUENT:
                keys.append(counts[_comparable(member, attr)])
            elif rule == Rule.LONGEST:
                keys.append(len(str(member.attributes[attr])))
            else:
                keys.append(_recency(member))
        keys.append(_recency(member))
        return tuple(keys)

    return max(members, key=rank)


def survive_values(
    entity: str,
    members: Sequence[SourceRecord],
    locked: dict[str, Any],
    *,
    elements: Mapping[str, CompiledElement] | None = None,
    weak: Collection[int] = (),
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Golden values and their lineage from the active members and the locked values.

    ``weak``: ids of the members linked by an identifier alone (see the module docstring).
    """
    values: dict[str, str] = {}
    lineage: dict[str, dict[str, Any]] = {}
    if elements is None:
        elements = compiled_elements(entity)
    for attr, element in elements.items():
        if attr in locked:
            values[attr] = locked[attr]["value"]
            lineage[attr] = {"rule": LOCKED_RULE, "by": locked[attr].get("by", "")}
            continue
        # A value that failed its validator stays in its source record (and opens a quality
        # issue); the golden record only takes valid values.
        pool = [m for m in members if m.attributes.get(attr) and attr not in m.flagged]
        if not pool:
            continue
        pool = _trusted_pool(attr, pool, weak)
        winner = pool[0] if len(pool) == 1 else _pick(element.survivorship_chain, attr, pool)
        values[attr] = winner.attributes[attr]
        lineage[attr] = {
            "rule": element.survivorship,
            "system": winner.system.code,
            "local_code": winner.local_code,
            "source_record": winner.pk,
        }
    return values, lineage


def _column_value(golden: GoldenRecord, attr: str, value: str | None) -> Any:
    field = golden._meta.get_field(attr)
    if value in (None, ""):
        return None if field.null else ""
    if field.get_internal_type() == "DateField":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value


def _same(old: Any, new: Any) -> bool:
    """Equal values; two ciphertexts are equal when they hold the same value (another member
    with the same resident ID must not make the golden record "change")."""
    if old == new:
        return True
    if crypto.is_encrypted(old) and crypto.is_encrypted(new):
        try:
            return crypto.decrypt(old) == crypto.decrypt(new)
        except crypto.DecryptionError:
            return False
    return False


def apply_golden_values(
    golden: GoldenRecord, values: dict[str, str], lineage: dict[str, dict[str, Any]]
) -> bool:
    """Set the golden record's columns and extra attributes; True when anything changed."""
    changed = False
    for attr in golden.TYPED_ATTRIBUTES:
        new = _column_value(golden, attr, values.get(attr))
        if not _same(getattr(golden, attr), new):
            setattr(golden, attr, new)
            changed = True
    extra = {k: v for k, v in values.items() if k not in golden.TYPED_ATTRIBUTES}
    # An encrypted value that is the same under another ciphertext keeps the stored one.
    extra = {k: golden.extra[k] if _same(golden.extra.get(k), v) else v for k, v in extra.items()}
    if golden.extra != extra:
        golden.extra = extra
        changed = True
    if golden.lineage != lineage:
        golden.lineage = lineage
        changed = True
    return changed
