"""A golden record's history as a steward reads it: what changed, who joined or left, and why.

Built from the history tables of the golden record and of every source record that was ever
one of its members. Each line has a time, an actor, a reason and, for a change, the attributes
that changed under their dictionary names with old and new values; personal values are shown
through the privacy policy (masked), never in clear, never as a ciphertext.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dictionary.models import ElementBinding
from dictionary.services import dictionary_snapshot
from mdm.models import GOLDEN_MODELS, Event, EventKindChoices, GoldenRecord, SourceRecord
from mdm.privacy import policy as privacy

#: How many rows of each history table a page reads (newest first).
HISTORY_ROWS = 200


@dataclass(frozen=True)
class FieldChange:
    """One attribute that changed: its dictionary label, the old and the new value (masked)."""

    attribute: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class LineageChange:
    """Where one attribute's golden value comes from, before and after (system, code, rule)."""

    attribute: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    """One line of history.

    ``kind``: ``created``, ``changed``, ``status`` (``old_status`` → ``new_status``, e.g. merged
    into ``other_code``, restored by an unmerge, retired), ``joined`` (a member came from
    ``other_code``, or new), ``left`` (a member went to ``other_code``), ``member_retired``.
    """

    when: datetime
    who: str
    reason: str
    kind: str
    member: str = ""
    other_code: str = ""
    link_kind: str = ""
    old_status: str = ""
    new_status: str = ""
    #: For ``joined`` and ``left``: ``merge`` or ``unmerge`` when one of them moved the member.
    via: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    lineage: list[LineageChange] = field(default_factory=list)


def element_labels(entity: str, codes: set[str]) -> dict[str, str]:
    """ "中文名 English name" of the elements of ``entity`` among ``codes``, in binding order (one
    query; an attribute the entity does not bind keeps its code)."""
    if not codes:
        return {}
    rows = (
        ElementBinding.objects.filter(entity=entity, element__code__in=codes)
        .order_by("position", "element__code")
        .values_list("element__code", "element__name_zh", "element__name_en")
    )
    return {code: f"{zh} {en}" for code, zh, en in rows}


def _who(row) -> str:
    user = row.history_user
    return user.get_username() if user is not None else ""


def _source(info: Any) -> str:
    if not isinstance(info, dict):
        return ""
    origin = (
        f"{info['system']}:{info.get('local_code', '')}"
        if info.get("system")
        else (info.get("by") or "")
    )
    rule = info.get("rule", "")
    return " · ".join(part for part in (origin, rule) if part)


def _golden_entries(
    entity: str, golden: GoldenRecord, limit: int, labels: dict[str, str] | None
) -> list[HistoryEntry]:
    rows = list(
        golden.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    rows.reverse()  # oldest first, one before the window to diff against
    start = 1 if len(rows) > limit else 0
    snapshots = [(row, row.instance.attributes(), row.lineage or {}) for row in rows]
    if labels is None:
        codes: set[str] = set()
        for _row, values, lineage in snapshots:
            codes |= set(values) | set(lineage)
        labels = element_labels(entity, codes)
    person = privacy.is_person(entity, golden.attributes())
    merged_into = {row.merged_into_id for row, _values, _lineage in snapshots if row.merged_into_id}
    target_codes = dict(type(golden).objects.filter(pk__in=merged_into).values_list("pk", "code"))

    def shown(attr: str, value: Any) -> Any:
        return privacy.shown_value(entity, attr, value, person=person)

    entries = []
    for i in range(start, len(snapshots)):
        row, values, lineage = snapshots[i]
        base = {
            "when": row.history_date,
            "who": _who(row),
            "reason": row.history_change_reason or "",
        }
        if i == 0 or row.history_type == "+":
            entries.append(
                HistoryEntry(
                    kind="created",
                    changes=[
                        FieldChange(a, labels.get(a, a), "", shown(a, v))
                        for a, v in _ordered(values, labels)
                    ],
                    **base,
                )
            )
            continue
        previous, old_values, old_lineage = snapshots[i - 1]
        if previous.status != row.status:
            entries.append(
                HistoryEntry(
                    kind="status",
                    old_status=previous.status,
                    new_status=row.status,
                    other_code=target_codes.get(row.merged_into_id, ""),
                    **base,
                )
            )
        changed = [
            FieldChange(a, labels.get(a, a), shown(a, old_values.get(a, "")), shown(a, v))
            for a, v in _ordered({**dict.fromkeys(old_values, ""), **values}, labels)
            if privacy.plain(old_values.get(a, "")) != privacy.plain(v)
        ]
        moved = [
            LineageChange(a, labels.get(a, a), _source(old_lineage.get(a)), _source(info))
            for a, info in _ordered({**dict.fromkeys(old_lineage), **lineage}, labels)
            if _source(old_lineage.get(a)) != _source(info)
        ]
        if changed or moved:
            entries.append(HistoryEntry(kind="changed", changes=changed, lineage=moved, **base))
    return entries


def _ordered(values: dict[str, Any], labels: dict[str, str]) -> list[tuple[str, Any]]:
    """Attributes in the dictionary's binding order, the others after them by code."""
    known = [a for a in labels if a in values]
    return [(a, values[a]) for a in [*known, *sorted(set(values) - set(known))]]


def _member_entries(entity: str, code: str, limit: int) -> list[HistoryEntry]:
    """Members that joined, left or were retired, from the source records' history."""
    ids = (
        SourceRecord.history.filter(entity=entity, golden_code=code)
        .values_list("id", flat=True)
        .distinct()
    )
    rows = list(
        SourceRecord.history.filter(id__in=ids)
        .select_related("history_user", "system")
        .order_by("id", "history_date", "history_id")
    )
    entries = []
    previous: Any = None
    for row in rows:
        before = previous if previous is not None and previous.id == row.id else None
        previous = row
        member = f"{row.system.code}:{row.local_code}"
        base = {
            "when": row.history_date,
            "who": _who(row),
            "reason": row.history_change_reason or "",
            "member": member,
            "link_kind": row.link_kind or "",
        }
        old_code = before.golden_code if before is not None else ""
        if row.golden_code == code and old_code != code:
            entries.append(HistoryEntry(kind="joined", other_code=old_code, **base))
        elif old_code == code and row.golden_code != code:
            entries.append(HistoryEntry(kind="left", other_code=row.golden_code, **base))
        elif (
            row.golden_code == code
            and before is not None
            and before.is_active
            and not row.is_active
        ):
            entries.append(HistoryEntry(kind="member_retired", **base))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    entries = entries[:limit]
    _name_the_moves(entity, code, entries)
    return entries


def _name_the_moves(entity: str, code: str, entries: list[HistoryEntry]) -> None:
    """Tell which member moves a merge or an unmerge made (two queries, only when moves exist).

    A move from A to B was a merge when A's first history row from then on marks A merged into
    B (a merge moves the members, then marks the merged record); it was an unmerge when an
    ``unmerged`` event from A to B that lists the member was written from then on.
    """
    moves = [e for e in entries if e.kind in ("joined", "left") and e.other_code]
    if not moves:
        return
    model = GOLDEN_MODELS[entity]
    ends = {(code, e.other_code) if e.kind == "left" else (e.other_code, code) for e in moves}
    codes = {c for pair in ends for c in pair}
    since = min(e.when for e in moves)  # only rows and events from the first move on count
    rows = sorted(
        model.history.filter(code__in=codes, history_date__gte=since).values_list(
            "code", "history_date", "history_id", "status", "merged_into__code"
        ),
        key=lambda row: (row[1], row[2]),
    )
    unmerges = sorted(
        Event.objects.filter(
            entity=entity,
            kind=EventKindChoices.UNMERGED,
            golden_code__in=codes,
            created_at__gte=since,
        ).values_list("created_at", "golden_code", "payload"),
        key=lambda row: row[0],
    )
    for entry in moves:
        source, target = (
            (code, entry.other_code) if entry.kind == "left" else (entry.other_code, code)
        )
        after = next((r for r in rows if r[0] == source and r[1] >= entry.when), None)
        if after is not None and after[3] == "merged" and after[4] == target:
            entry.via = "merge"
            continue
        for when, golden_code, payload in unmerges:
            moved = {f"{m.get('system')}:{m.get('local_code')}" for m in payload.get("moved", [])}
            if (
                when >= entry.when
                and golden_code == target
                and payload.get("unmerged_from") == source
                and entry.member in moved
            ):
                entry.via = "unmerge"
                break


def golden_history(
    *,
    entity: str,
    golden: GoldenRecord,
    limit: int = HISTORY_ROWS,
    labels: dict[str, str] | None = None,
) -> list[HistoryEntry]:
    """The record's history, newest first: its own changes (attribute by attribute, lineage
    moves, status) and its members' arrivals and departures, each with who and why.

    ``labels`` (element code -> name) saves the look-up when the caller already has them; an
    attribute missing from them is shown by its code.
    """
    with dictionary_snapshot():  # one look at the dictionary's revision for every masked value
        entries = _golden_entries(entity, golden, limit, labels) + _member_entries(
            entity, golden.code, limit
        )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


def source_history(*, record: SourceRecord, limit: int = HISTORY_ROWS) -> list[HistoryEntry]:
    """A source record's history, newest first: attributes as received changed (by dictionary
    name, masked), the golden record it is linked to and how, retired and reactivated."""
    with dictionary_snapshot():  # one look at the dictionary's revision for every masked value
        return _source_entries(record, limit)


def _source_entries(record: SourceRecord, limit: int) -> list[HistoryEntry]:
    entity = record.entity
    rows = list(
        record.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    rows.reverse()
    start = 1 if len(rows) > limit else 0
    codes: set[str] = set()
    for row in rows:
        codes |= set(row.attributes or {})
    labels = element_labels(entity, codes)
    person = privacy.is_person(entity, record.attributes or {})

    def shown(attr: str, value: Any) -> Any:
        return privacy.shown_value(entity, attr, value, person=person)

    entries = []
    for i in range(start, len(rows)):
        row = rows[i]
        values = row.attributes or {}
        base = {
            "when": row.history_date,
            "who": _who(row),
            "reason": row.history_change_reason or "",
            "member": f"{record.system.code}:{record.local_code}",
            "link_kind": row.link_kind or "",
        }
        if i == 0 or row.history_type == "+":
            entries.append(
                HistoryEntry(
                    kind="received",
                    other_code=row.golden_code,
                    changes=[
                        FieldChange(a, labels.get(a, a), "", shown(a, v))
                        for a, v in _ordered(values, labels)
                    ],
                    **base,
                )
            )
            continue
        before = rows[i - 1]
        old_values = before.attributes or {}
        if before.golden_code != row.golden_code:
            entries.append(HistoryEntry(kind="linked", other_code=row.golden_code, **base))
        if before.is_active != row.is_active:
            entries.append(
                HistoryEntry(kind="reactivated" if row.is_active else "source_retired", **base)
            )
        changed = [
            FieldChange(a, labels.get(a, a), shown(a, old_values.get(a, "")), shown(a, v))
            for a, v in _ordered({**dict.fromkeys(old_values, ""), **values}, labels)
            if privacy.plain(old_values.get(a, "")) != privacy.plain(v)
        ]
        if changed:
            entries.append(HistoryEntry(kind="changed", changes=changed, **base))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries
