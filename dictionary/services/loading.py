"""Loading the starter dictionary (fixtures/dictionary.json) into the dictionary tables.

Used by the ``load_dictionary`` command, the data migration of a fresh database and the
benchmarks. Split out of ``dictionary.services`` by the 500-line rule of issue 31.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dictionary.models import CodeValue, DataElement, ElementBinding, EntityType, ValueDomain
from dictionary.regions import load_regions

STARTER_DICTIONARY = Path(settings.BASE_DIR) / "fixtures" / "dictionary.json"
REGION_DOMAIN = "region"


def _sync_code_values(domain, values: list[dict[str, Any]], code_value=CodeValue) -> None:
    existing = {cv.code: cv for cv in domain.values.all()}
    new = []
    for order, item in enumerate(values):
        fields = {
            "name_zh": item["name_zh"],
            "name_en": item.get("name_en", ""),
            "synonyms": item.get("synonyms", []),
            "sort_order": item.get("sort_order", order),
        }
        current = existing.get(item["code"])
        if current is None:
            new.append(code_value(domain=domain, code=item["code"], **fields))
        elif any(getattr(current, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(current, k, v)
            current.save()
    if new:
        code_value.objects.bulk_create(new, batch_size=1000)


def _region_values() -> list[dict[str, Any]]:
    return [
        {"code": r.code, "name_zh": r.name, "name_en": "", "synonyms": [], "sort_order": i}
        for i, r in enumerate(load_regions())
        if r.is_current
    ]


def _create_or_update(
    model, lookup: dict[str, Any], fields: dict[str, Any], known=None, history=None
):
    """The row of ``lookup``, created or saved only when ``fields`` differ from it.

    Unlike ``update_or_create``, an unchanged row is not saved: reloading the dictionary writes
    no history rows and leaves ``updated_at`` (the dictionary cache's revision) alone.
    ``known`` (a migration's historical model): the fields the model has at that point of the
    migration graph; the document's others are left for ``load_dictionary``. ``history``: the
    migration's history model, which gets the row that django-simple-history writes otherwise.
    """
    if known is not None:
        fields = {name: value for name, value in fields.items() if name in known}
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model.objects.create(**lookup, **fields)
        _write_history(history, row, "+")
        return row
    if any(getattr(row, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        _write_history(history, row, "~")
    return row


def _write_history(history, row, kind: str) -> None:
    if history is None:
        return
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    history.objects.create(
        **values,
        history_date=timezone.now(),
        history_type=kind,
        history_change_reason="starter dictionary (migrate)",
    )


@transaction.atomic
def load_starter_dictionary(path: Path = STARTER_DICTIONARY, apps=None) -> dict[str, int]:
    """Create or update the dictionary from the starter JSON document (natural keys).

    Idempotent: rows are matched by their codes; existing rows are updated only where the
    document differs; nothing is deleted (a steward's additions survive a reload).
    ``apps``: a data migration's app registry (its historical models, which keep no history
    rows); the migration that loads the dictionary on a fresh database passes it.
    """
    models = {
        model.__name__: model
        for model in (EntityType, ValueDomain, CodeValue, DataElement, ElementBinding)
    }
    known: dict[str, frozenset[str] | None] = dict.fromkeys(models)
    history: dict[str, Any] = dict.fromkeys(models)
    if apps is not None:
        for name in models:
            models[name] = apps.get_model("dictionary", name)
            known[name] = frozenset(f.name for f in models[name]._meta.get_fields())
            history[name] = apps.get_model("dictionary", f"Historical{name}")
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    for item in document["entities"]:
        _create_or_update(
            models["EntityType"],
            {"code": item["code"]},
            {k: v for k, v in item.items() if k != "code"},
            known["EntityType"],
            history["EntityType"],
        )
    domains = {}
    for item in document["domains"]:
        values = item.get("values", [])
        fields = {k: v for k, v in item.items() if k not in ("code", "values")}
        domain = _create_or_update(
            models["ValueDomain"],
            {"code": item["code"]},
            fields,
            known["ValueDomain"],
            history["ValueDomain"],
        )
        domains[domain.code] = domain
        if domain.code == REGION_DOMAIN and not values:
            values = _region_values()
        _sync_code_values(domain, values, models["CodeValue"])
    elements = {}
    for item in document["elements"]:
        fields = {k: v for k, v in item.items() if k not in ("code", "value_domain")}
        fields["value_domain"] = (
            domains.get(item.get("value_domain")) if item.get("value_domain") else None
        )
        element = _create_or_update(
            models["DataElement"],
            {"code": item["code"]},
            fields,
            known["DataElement"],
            history["DataElement"],
        )
        elements[element.code] = element
    for item in document["bindings"]:
        fields = {k: v for k, v in item.items() if k not in ("entity", "element")}
        _create_or_update(
            models["ElementBinding"],
            {"entity": item["entity"], "element": elements[item["element"]]},
            fields,
            known["ElementBinding"],
            history["ElementBinding"],
        )
    return {
        "entities": len(document["entities"]),
        "domains": len(domains),
        "elements": len(elements),
        "bindings": len(document["bindings"]),
        "code_values": models["CodeValue"].objects.count(),
    }
