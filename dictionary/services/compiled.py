"""The compiled dictionary: each entity's elements, read through a revision-checked cache.

Every check of a value reads the dictionary from the database through this small cache, which
is invalidated whenever an element, binding, domain or code value changes, so an edit in admin
takes effect on the next record without a restart. Also which elements hold personal data.
Split out of ``dictionary.services`` by the 500-line rule of issue 31.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection

from dictionary import masking, standardizers
from dictionary.models import (
    CodeValue,
    DataElement,
    DataElementSensitivityChoices,
    DataElementStatusChoices,
    DictionaryRevision,
    ElementBinding,
    ValueDomain,
)


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


def _fold(value: str) -> str:
    return standardizers.collapse_whitespace(standardizers.fold_width(value)).casefold()


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
