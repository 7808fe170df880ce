"""Records as the matcher sees them, their prepared features, and the scores of pairs."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from matching.keys import block_keys
from matching.normalize import (
    CompanyName,
    branch_key,
    company_name_parts,
    customer_kind,
    identifier,
)
from matching.normalize.company import with_former_name
from matching.normalize.goods import GoodsAttributes, parse_goods

Decision = Literal["auto", "review", "new"]
#: ``Features.cache``'s key of the parsed company name.
_COMPANY_NAME = (company_name_parts, "name")
#: The ``frequencies`` of a record none of whose values is common (shared, never written).
NO_FREQUENCIES: Mapping[str, int] = MappingProxyType({})
RecordId = int | str


@dataclass(frozen=True, slots=True)
class Record:
    """A source record as the matcher sees it: standardized attributes and the flagged ones."""

    id: RecordId
    attrs: Mapping[str, str]
    flagged: frozenset[str] = frozenset()


@dataclass(slots=True)
class Features:
    """Everything about one record that scoring needs, computed once.

    ``attrs`` are the usable attributes (present and not flagged). ``kind`` is ``person``,
    ``organization`` or ``""`` for customers, ``""`` for other entities. ``branch`` is the branch
    key of an organization's name (``""`` for a head office), parsed from the name when first
    asked: a pair vetoed by its identifiers never needs it. ``cache`` holds comparator-prepared
    values keyed by preparer and field. ``frequencies``: how many records share a value key
    (``keys.value_key``) of this record, for the keys more than a few share, as the path that
    scores it counted them (``matching.engine.frequency``); empty: no value is common.
    """

    entity: str
    attrs: dict[str, str]
    raw: Mapping[str, str]
    flagged: frozenset[str]
    kind: str
    cache: dict[tuple[Callable[[str], Any], str], Any] = field(default_factory=dict)
    _keys: tuple[str, ...] | None = None
    _identifiers: dict[str, str] = field(default_factory=dict)
    _branch: str | None = None
    frequencies: Mapping[str, int] = field(default_factory=lambda: NO_FREQUENCIES)

    @property
    def branch(self) -> str:
        if self._branch is None:
            name = self.attrs.get("name", "")
            has_branch = self.entity == "customers" and self.kind != "person" and name
            self._branch = branch_key(self.company_name.branch) if has_branch else ""
        return self._branch

    @property
    def company_name(self) -> CompanyName:
        """The record's ``name`` parsed as a company name, memoized with the record: a record
        meets some twenty others in a batch, and past a few hundred thousand names the
        parser's own cache no longer holds it."""
        found: CompanyName | None = self.cache.get(_COMPANY_NAME)
        if found is None:
            found = self.cache[_COMPANY_NAME] = company_name_parts(self.attrs.get("name", ""))
        return found

    @property
    def keys(self) -> tuple[str, ...]:
        """Blocking keys (computed on first use: the real-time path gets them from the DB)."""
        if self._keys is None:
            self._keys = tuple(block_keys(self.entity, self.raw, self.flagged))
        return self._keys

    @property
    def goods(self) -> GoodsAttributes:
        """Parsed goods attributes of a product or material (name, spec and model), memoized."""
        key = (parse_goods, "goods")
        try:
            return self.cache[key]  # type: ignore[no-any-return]
        except KeyError:
            attrs = self.attrs
            found = self.cache[key] = parse_goods(
                attrs.get("name", ""), attrs.get("spec", ""), attrs.get("model", "")
            )
            return found

    def identifier(self, name: str) -> str:
        """Canonical value of a valid identifier attribute, or "" (memoized)."""
        try:
            return self._identifiers[name]
        except KeyError:
            value = self.attrs.get(name)
            found = self._identifiers[name] = identifier(value) if value else ""
            return found


def prepare(entity: str, attrs: Mapping[str, str], flagged: Collection[str] = ()) -> Features:
    """Per-record features; flagged attributes are dropped here, so no comparator sees them."""
    flagged_set = frozenset(flagged)
    source = attrs
    if entity == "customers" and "name" not in flagged_set:
        # What the name field holds besides the name, as block keys read it: an English or
        # former name is filled in only where the record has none, flagged or not.
        source = with_former_name(attrs)
    usable = {
        k: stripped
        for k, v in source.items()
        if v and k not in flagged_set and (stripped := v.strip())
    }
    kind = ""
    if entity == "customers":
        kind = customer_kind(
            usable.get("customer_type", ""),
            usable.get("name", ""),
            has_credit_code="credit_code" in usable,
            has_id_number="id_number" in usable,
        )
    return Features(entity, usable, attrs, flagged_set, kind)


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One line of a match explanation, in the terms a data steward reads.

    ``weight`` is in bits (log2 Bayes factor): +6.6 means the observation is 2^6.6 ≈ 100 times
    likelier for the same entity than for different ones. Hard rules appear with weight 0 and a
    note, missing or flagged values with similarity None.
    """

    field: str
    left: str | None
    right: str | None
    similarity: float | None
    weight: float
    note: str


@dataclass(frozen=True, slots=True)
class PairScore:
    """Score of one pair: match probability (or the hard rule's 1.0 / 0.0), decision, veto,
    model log2 odds, and the evidence behind it."""

    score: float
    decision: Decision
    veto: str | None
    match_weight: float
    explanation: tuple[FieldEvidence, ...]
