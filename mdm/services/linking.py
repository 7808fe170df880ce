"""Deciding which golden record a source record belongs to.

Deterministic linking (the hub's core, before fuzzy matching): the same valid credit code
(customers), resident ID (person customers) or GTIN (products) links to the existing active
golden record that has it; anything else makes a new golden record.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


def identity_keys(entity: str, attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    """Lock keys for the record's identifiers (see services.locks)."""
    return [
        f"{entity}:{name}:{attrs[name]}"
        for name in IDENTIFIERS[entity]
        if attrs.get(name) and name not in flagged
    ]


def decide_link(entity: str, attrs: Mapping[str, str], flagged: Collection[str]) -> LinkDecision:
    model = golden_model(entity)
    for name in IDENTIFIERS[entity]:
        value = attrs.get(name)
        if not value or name in flagged or name not in model.TYPED_ATTRIBUTES:
            continue
        code = (
            model.objects.active()
            .filter(**{name: value})
            .order_by("pk")
            .values_list("code", flat=True)
            .first()
        )
        if code:
            return LinkDecision(
                golden_code=code,
                kind=SourceRecordLinkChoices.AUTO,
                score=1.0,
                explanation=[{"rule": f"same_{name}", "value": value}],
            )
    return LinkDecision(golden_code=None, kind=SourceRecordLinkChoices.NEW)
