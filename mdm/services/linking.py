"""Deciding which golden record a source record belongs to.

Deterministic linking (the hub's core, before fuzzy matching): the same valid credit code or
resident ID (customers) or GTIN (products) links to the active golden record that has it;
anything else makes a new golden record. A linker works on a batch: it prefetches what it needs
for all records in one query, and remembers the links it handed out inside the batch so that
two rows of one import that are the same thing end in one golden record.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from mdm.models import SourceRecordLinkChoices, golden_model

IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "customers": ("credit_code", "id_number"),
    "products": ("gtin",),
    "materials": (),
}


@dataclass(frozen=True)
class LinkDecision:
    """Where a record goes: an existing golden code (``auto``), or a new golden record (``new``)."""

    golden_code: str | None
    kind: str
    score: float | None = None
    explanation: list[dict] = field(default_factory=list)


def _identities(
    entity: str, attrs: Mapping[str, str], flagged: Collection[str]
) -> list[tuple[str, str]]:
    return [
        (name, attrs[name])
        for name in IDENTIFIERS[entity]
        if attrs.get(name) and name not in flagged
    ]


def identity_keys(entity: str, attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    """Lock keys for the record's identifiers (see services.locks)."""
    return [f"{entity}:{name}:{value}" for name, value in _identities(entity, attrs, flagged)]


class DeterministicLinker:
    """Links by exact valid identifiers; one prefetch query per identifier for a whole batch."""

    def __init__(self, entity: str):
        self.entity = entity
        self.model = golden_model(entity)
        self._known: dict[tuple[str, str], str] = {}

    def prefetch(self, records: Sequence[tuple[Mapping[str, str], Collection[str]]]) -> None:
        wanted: dict[str, set[str]] = {}
        for attrs, flagged in records:
            for name, value in _identities(self.entity, attrs, flagged):
                wanted.setdefault(name, set()).add(value)
        for name, values in wanted.items():
            if name not in self.model.TYPED_ATTRIBUTES:
                continue
            rows = (
                self.model.objects.active()
                .filter(**{f"{name}__in": values})
                .order_by("-pk")
                .values_list(name, "code")
            )
            for value, code in rows:
                self._known[(name, value)] = code  # lowest pk wins: it is written last

    def decide(self, attrs: Mapping[str, str], flagged: Collection[str]) -> LinkDecision:
        for name, value in _identities(self.entity, attrs, flagged):
            code = self._known.get((name, value))
            if code:
                return LinkDecision(
                    golden_code=code,
                    kind=SourceRecordLinkChoices.AUTO,
                    score=1.0,
                    explanation=[{"rule": f"same_{name}", "value": value}],
                )
        return LinkDecision(golden_code=None, kind=SourceRecordLinkChoices.NEW)

    def note_linked(
        self, attrs: Mapping[str, str], flagged: Collection[str], golden_code: str
    ) -> None:
        """Remember a link made in this batch, for the batch's later records."""
        for identity in _identities(self.entity, attrs, flagged):
            self._known.setdefault(identity, golden_code)


def make_linker(entity: str) -> DeterministicLinker:
    return DeterministicLinker(entity)
