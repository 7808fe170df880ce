"""The life of a data element once records use it: deprecated, never deleted.

An element bound to an entity is in use: records carry it, golden records keep its values and
history, systems send it. Deleting it would silently drop those values from the next
standardization; deprecating keeps them readable and tells everyone to stop relying on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from dictionary.models import DataElement, DataElementStatusChoices, ElementBinding


def element_usage(codes: Iterable[str]) -> dict[str, list[str]]:
    """The entities each of ``codes`` is bound to; an element missing from the answer is unused."""
    usage: dict[str, list[str]] = {}
    rows = (
        ElementBinding.objects.filter(element__code__in=list(codes))
        .order_by("element__code", "entity")
        .values_list("element__code", "entity")
    )
    for code, entity in rows:
        usage.setdefault(code, []).append(entity)
    return usage


def deprecate_elements(*, codes: Iterable[str], actor, reason: str) -> int:
    """Mark elements deprecated (a new version each, with history); returns how many changed.

    Deprecated elements still standardize and validate the values records carry; the status
    tells stewards and source systems not to rely on them any more.
    """
    changed = 0
    with transaction.atomic():
        elements = (
            DataElement.objects.select_for_update()
            .filter(code__in=list(codes))
            .exclude(status=DataElementStatusChoices.DEPRECATED)
            .order_by("pk")
        )
        for element in elements:
            element.status = DataElementStatusChoices.DEPRECATED
            element.version += 1
            element._history_user = actor if getattr(actor, "pk", None) else None
            element._change_reason = reason[:100]
            element.save()
            changed += 1
    return changed
