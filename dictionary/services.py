"""Dictionary use cases: the one entry point every record passes through, and loading.

``standardize_and_validate`` is called by every write path of the hub (API, bulk, import,
admin). It reads the dictionary from the database through a small cache that is invalidated
whenever an element, binding, domain or code value changes, so an edit in admin takes effect on
the next record without a restart.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dictionary import derivations, masking, phones, problems, standardizers, validators
from dictionary.models import (
    CodeValue,
    DataElement,
    DataElementDataTypeChoices,
    DataElementOnInvalidChoices,
    DataElementSensitivityChoices,
    DataElementStatusChoices,
    DictionaryRevision,
    ElementBinding,
    EntityType,
    ValueDomain,
)
from dictionary.problems import Problem
from dictionary.regions import load_regions

STARTER_DICTIONARY = Path(settings.BASE_DIR) / "fixtures" / "dictionary.json"
REGION_DOMAIN = "region"


@dataclass(frozen=True)
class CompiledElement:
    """An element as bound to one entity, with everything needed to check a value."""

    code: str
    data_type: str
    max_length: int | None
    precision: int | None
    scale: int | None
    standardizers: tuple[str, ...]
    validator: str
    validator_params: Mapping[str, Any]
    domain_code: str | None
    domain_lookup: Mapping[str, str]  # folded code or synonym -> code
    on_invalid: str
    status: str
    required: bool
    is_identifier: bool
    survivorship: str
    survivorship_chain: tuple[str, ...]
    sensitivity: str = DataElementSensitivityChoices.INTERNAL


@dataclass
class StandardizedRecord:
    """The result of the entry point: standardized attributes, errors and warnings.

    ``errors`` reject the record; ``warnings`` accept it. ``flagged`` names the elements whose
    value is kept as received but must not be used as an identifier (matching, derivations).
    """

    attributes: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    warnings: list[dict[str, str]] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def add_error(self, element: str, problem: Problem) -> None:
        self.errors.setdefault(element, []).append(_problem_dict(problem))

    def add_warning(self, element: str, problem: Problem) -> None:
        self.warnings.append({"field": element, **_problem_dict(problem)})


def _problem_dict(problem: Problem) -> dict[str, str]:
    return {
        "code": problem.code,
        "message": problem.message,
        "message_zh": problem.message_zh,
        "message_en": problem.message_en,
    }


def _fold(value: str) -> str:
    return standardizers.collapse_whitespace(standardizers.fold_width(value)).casefold()


# --- the compiled dictionary cache --------------------------------------------------------------

_REVISION_SQL = f"SELECT number FROM {DictionaryRevision._meta.db_table} WHERE id = 1"  # noqa: S608
_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"revision": None, "entities": {}}


def dictionary_revision() -> tuple:
    """A cheap fingerprint of the dictionary tables: changes whenever any row changes.

    On PostgreSQL, the counter its triggers raise after every write to the tables
    (``DictionaryRevision``, one indexed row). Elsewhere, or where the counter's row is missing
    (a test database flushed between tests), each table's newest change and row count.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_REVISION_SQL)
            row = cursor.fetchone()
        if row is not None:
            return ("revision", row[0])
    tables = [
        DataElement._meta.db_table,
        ElementBinding._meta.db_table,
        ValueDomain._meta.db_table,
        CodeValue._meta.db_table,
    ]
    parts = ", ".join(
        f"(SELECT MAX(updated_at) FROM {t}), (SELECT COUNT(*) FROM {t})" for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")  # noqa: S608 - table names come from model meta
        return tuple(str(v) for v in cursor.fetchone())


def _compile_entity(entity: str) -> dict[str, CompiledElement]:
    bindings = (
        ElementBinding.objects.filter(entity=entity)
        .exclude(element__status=DataElementStatusChoices.DRAFT)
        .select_related("element", "element__value_domain")
        .order_by("position", "element__code")
    )
    domain_ids = {b.element.value_domain_id for b in bindings if b.element.value_domain_id}
    lookups: dict[int | None, dict[str, str]] = {d: {} for d in domain_ids}
    for domain_id, code, synonyms in CodeValue.objects.filter(
        domain_id__in=domain_ids, is_active=True
    ).values_list("domain_id", "code", "synonyms"):
        lookup = lookups[domain_id]
        lookup[_fold(code)] = code
        for synonym in synonyms or []:
            lookup.setdefault(_fold(str(synonym)), code)
    compiled = {}
    for binding in bindings:
        element = binding.element
        compiled[element.code] = CompiledElement(
            code=element.code,
            data_type=element.data_type,
            max_length=element.max_length,
            precision=element.precision,
            scale=element.scale,
            standardizers=tuple(element.standardizers or ()),
            validator=element.validator or "",
            validator_params=element.validator_params or {},
            domain_code=element.value_domain.code if element.value_domain else None,
            domain_lookup=lookups.get(element.value_domain_id, {}),
            on_invalid=element.on_invalid,
            status=element.status,
            required=binding.required,
            is_identifier=binding.is_identifier,
            survivorship=binding.survivorship,
            survivorship_chain=(binding.survivorship, *(binding.tie_breakers or ())),
            sensitivity=element.sensitivity,
        )
    return compiled


_snapshot = threading.local()


@contextmanager
def dictionary_snapshot() -> Iterator[None]:
    """Within the block, the dictionary's revision is read once, on first use.

    A batch of upserts asks for the compiled dictionary at several steps (validation,
    survivorship, event masking); each read is a query. The write path wraps a call in this,
    so a change to the dictionary still takes effect from the next call on. Per thread; blocks
    nest (the outermost one decides).
    """
    depth = getattr(_snapshot, "depth", 0)
    _snapshot.depth = depth + 1
    try:
        yield
    finally:
        _snapshot.depth = depth
        if depth == 0:
            _snapshot.revision = None


def _current_revision() -> tuple:
    if not getattr(_snapshot, "depth", 0):
        return dictionary_revision()
    revision = getattr(_snapshot, "revision", None)
    if revision is None:
        revision = _snapshot.revision = dictionary_revision()
    return revision


def compiled_elements(entity: str) -> dict[str, CompiledElement]:
    """The entity's elements, recompiled when the dictionary's revision changes."""
    revision = _current_revision()
    with _cache_lock:
        if _cache["revision"] != revision:
            _cache["revision"] = revision
            _cache["entities"] = {}
        elements = _cache["entities"].get(entity)
    if elements is None:
        elements = _compile_entity(entity)
        with _cache_lock:
            if _cache["revision"] == revision:
                _cache["entities"][entity] = elements
    return elements


PERSONAL_SENSITIVITIES = (
    DataElementSensitivityChoices.PERSONAL,
    DataElementSensitivityChoices.SENSITIVE_PERSONAL,
)


@dataclass(frozen=True)
class PersonalElement:
    """An element whose values are personal information: masked for most readers, and
    encrypted at rest when it is ``sensitive_personal``."""

    code: str
    sensitivity: str
    mask_kind: str

    @property
    def is_encrypted(self) -> bool:
        return self.sensitivity == DataElementSensitivityChoices.SENSITIVE_PERSONAL


def personal_elements(entity: str) -> dict[str, PersonalElement]:
    """The entity's ``personal`` and ``sensitive_personal`` elements (from the dictionary cache)."""
    return {
        code: PersonalElement(
            code,
            element.sensitivity,
            masking.mask_kind(code, validator=element.validator, data_type=element.data_type),
        )
        for code, element in compiled_elements(entity).items()
        if element.sensitivity in PERSONAL_SENSITIVITIES
    }


def encrypted_codes(elements: Mapping[str, CompiledElement]) -> frozenset[str]:
    """Codes of the ``sensitive_personal`` elements among compiled ``elements``."""
    return frozenset(
        code
        for code, element in elements.items()
        if element.sensitivity == DataElementSensitivityChoices.SENSITIVE_PERSONAL
    )


def encrypted_elements(entity: str) -> frozenset[str]:
    """Codes of the entity's ``sensitive_personal`` elements: encrypted at rest, blind-indexed."""
    return encrypted_codes(compiled_elements(entity))


def entity_element_codes(entity: str) -> list[str]:
    """Element codes bound to an entity, in the dictionary's order."""
    return list(compiled_elements(entity))


# --- the entry point ----------------------------------------------------------------------------


#: The longest text accepted for an element without a maximum length.
MAX_TEXT = 4000

# The JSON types each data type accepts besides text (source systems send numbers and booleans
# either way); a string or code element takes text only, so `true` never becomes a name.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    DataElementDataTypeChoices.INTEGER: (int,),
    DataElementDataTypeChoices.DECIMAL: (int, float),
    DataElementDataTypeChoices.BOOLEAN: (bool,),
}


def raw_max_length(max_length: int | None) -> int:
    """The longest value accepted *as sent*: standardizing removes spaces, separators and
    prefixes (``9111 0108 MA01 ABCD 2H`` is an 18-character credit code), so the text as sent
    may be longer than the element's length, within this bound; the OpenAPI schema says it."""
    if not max_length:
        return MAX_TEXT
    return max(2 * max_length, max_length + 16)


def accepted_length(max_length: int | None, on_invalid: str) -> int:
    """The longest text accepted as sent for an element. An element whose invalid values are
    refused takes ``raw_max_length``; one whose invalid values are kept and flagged takes any
    text up to ``MAX_TEXT``: a CRM's free text in a coded field (a cuisine, "Californian /
    International", in the industry) flags the value and keeps the record, as every other
    invalid value of such an element does. Beyond ``MAX_TEXT`` a value is refused everywhere."""
    if on_invalid == DataElementOnInvalidChoices.FLAG:
        return MAX_TEXT
    return raw_max_length(max_length)


def _as_text(element: CompiledElement, value: Any) -> str | Problem:
    """The value as text, or the problem when its JSON type or its length is not acceptable."""
    accepted = _JSON_TYPES.get(element.data_type, ())
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        if bool not in accepted:
            return problems.problem("invalid_type", expected=element.data_type)
        text = "true" if value else "false"
    elif isinstance(value, int) and int in accepted:
        text = str(value)
    elif isinstance(value, float) and float in accepted:
        text = repr(value)
    else:
        return problems.problem("invalid_type", expected=element.data_type)
    limit = accepted_length(element.max_length, element.on_invalid)
    if len(text) > limit:
        return problems.problem("too_long", max_length=limit)
    return text


def _check_type(element: CompiledElement, value: str) -> Problem | None:
    if element.max_length and len(value) > element.max_length:
        return problems.problem("too_long", max_length=element.max_length)
    if element.data_type == DataElementDataTypeChoices.INTEGER:
        return validators.VALIDATORS["integer"](value, {})
    if element.data_type == DataElementDataTypeChoices.DECIMAL:
        params = {"precision": element.precision, "scale": element.scale}
        return validators.VALIDATORS["decimal"](value, params)
    if element.data_type == DataElementDataTypeChoices.DATE and element.validator != "date":
        return validators.VALIDATORS["date"](value, {})
    if element.data_type == DataElementDataTypeChoices.BOOLEAN and value not in ("true", "false"):
        return problems.problem("invalid_type", expected="boolean")
    return None


def _standardize_value(
    element: CompiledElement, raw: str, country: str = phones.DEFAULT_COUNTRY
) -> tuple[str, Problem | None]:
    value = raw
    for name in element.standardizers:
        regional = standardizers.REGIONAL_STANDARDIZERS.get(name)
        if regional is not None:
            value = regional(value, country)
        else:
            value = standardizers.STANDARDIZERS[name](value)
    value = standardizers.collapse_whitespace(value)
    if element.domain_code:
        code = element.domain_lookup.get(_fold(value))
        if code is None:
            return value, problems.problem("not_in_domain", value=raw, domain=element.domain_code)
        value = code
    problem = _check_type(element, value)
    if problem is None and element.validator:
        regional_check = validators.REGIONAL_VALIDATORS.get(element.validator)
        if regional_check is not None:
            problem = regional_check(value, element.validator_params, country)
        else:
            problem = validators.VALIDATORS[element.validator](value, element.validator_params)
    return value, problem


def _apply_derivations(
    entity_elements: Mapping[str, CompiledElement], result: StandardizedRecord
) -> None:
    """Fill values that a valid identifier proves (never guesses); report contradictions."""
    attrs = result.attributes
    facts: dict[str, str] = {}
    if attrs.get("credit_code") and "credit_code" not in result.flagged:
        facts.update(derivations.derive_from_uscc(attrs["credit_code"]))
    if attrs.get("id_number") and "id_number" not in result.flagged:
        facts.update(derivations.derive_from_resident_id(attrs["id_number"]))
    # An identifier also proves the kind of customer: only organizations have credit codes.
    if any(attrs.get(c) and c not in result.flagged for c in ("credit_code", "org_code")):
        facts["customer_type"] = "org"
    elif attrs.get("id_number") and "id_number" not in result.flagged:
        facts["customer_type"] = "person"
    for code, fact in facts.items():
        if code not in entity_elements:
            continue
        current = attrs.get(code)
        if not current:
            attrs[code] = fact
        elif current != fact and code != "region_code":
            # A region that differs is no contradiction: a credit code keeps the region of
            # registration and an ID the region of issue, while companies and people move.
            result.add_warning(
                code, problems.problem("derived_mismatch", value=current, derived=fact)
            )


def standardize_and_validate(
    entity: str,
    payload: Any,
    *,
    elements: Mapping[str, CompiledElement] | None = None,
    partial: bool = False,
    country: str = phones.DEFAULT_COUNTRY,
) -> StandardizedRecord:
    """Standardize then validate one record's attributes against the dictionary.

    1. The payload must be an object whose keys are elements bound to the entity.
    2. Each value runs through its element's standardizer chain, then value-domain mapping
       (synonyms), type and length checks and its validator.
    3. A problem on a ``reject`` element is an error; on a ``flag`` element it is a warning and
       the value is kept as received, listed in ``flagged``.
    4. Required elements must have a value; facts derivable from valid identifiers are filled.

    ``elements`` lets a batch pass the compiled dictionary it fetched once for all its records;
    ``partial`` checks only the given values (a steward's value for one attribute);
    ``country`` is the sending system's country (ISO 3166-1 alpha-2): a phone number written
    without its international prefix is read as a number of that country.
    """
    result = StandardizedRecord()
    if not isinstance(payload, Mapping):
        result.add_error("non_field_errors", problems.problem("invalid_json"))
        return result
    if elements is None:
        elements = compiled_elements(entity)
    for key, raw_value in payload.items():
        element = elements.get(key)
        if element is None:
            result.add_error(str(key), problems.problem("unknown_element", field=key))
            continue
        if raw_value is None:
            continue
        raw = _as_text(element, raw_value)
        if isinstance(raw, Problem):
            # Wrong JSON type, or longer than the element accepts as sent (``accepted_length``):
            # refused, even for an element whose invalid values are otherwise kept and flagged.
            result.add_error(key, raw)
            continue
        if not standardizers.collapse_whitespace(raw):
            continue
        if element.status == DataElementStatusChoices.DEPRECATED:
            result.add_warning(key, problems.problem("deprecated_element", field=key))
        value, problem = _standardize_value(element, raw, country)
        if problem is None:
            result.attributes[key] = value
        elif element.on_invalid == DataElementOnInvalidChoices.FLAG:
            result.attributes[key] = standardizers.collapse_whitespace(raw)
            result.flagged.append(key)
            result.add_warning(key, problem)
        else:
            result.add_error(key, problem)
    if result.errors:
        return result
    _apply_derivations(elements, result)
    for code, element in elements.items():
        if element.required and not partial and not result.attributes.get(code):
            result.add_error(code, problems.problem("required"))
    return result


# --- loading the starter dictionary -------------------------------------------------------------


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
