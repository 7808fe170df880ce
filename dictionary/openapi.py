"""JSON Schema of each entity's record, built from the dictionary, for the OpenAPI document."""

from __future__ import annotations

import copy
from typing import Any

from dictionary.models import CodeValue, DataElementDataTypeChoices, ElementBinding
from dictionary.services import accepted_length

#: Value domains larger than this are described, not enumerated (regions: thousands of codes).
MAX_ENUM = 100

# Source systems send numbers and booleans as JSON values or as text; both are accepted.
_TYPES: dict[str, dict[str, Any]] = {
    DataElementDataTypeChoices.INTEGER: {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    DataElementDataTypeChoices.DECIMAL: {"anyOf": [{"type": "number"}, {"type": "string"}]},
    DataElementDataTypeChoices.DATE: {"type": "string", "format": "date"},
    DataElementDataTypeChoices.BOOLEAN: {"anyOf": [{"type": "boolean"}, {"type": "string"}]},
}
_FORMATS = {"email": "email", "cn_phone": "phone", "cn_mobile": "phone", "phone": "phone"}


def entity_record_schema(entity: str) -> dict[str, Any]:
    """An object schema whose properties are the entity's elements, with dictionary metadata."""
    bindings = list(
        ElementBinding.objects.filter(entity=entity)
        .select_related("element", "element__value_domain")
        .order_by("position")
    )
    domains = {b.element.value_domain_id for b in bindings if b.element.value_domain_id}
    codes: dict[int, list[str]] = {}
    for domain_id, code in CodeValue.objects.filter(
        domain_id__in=domains, is_active=True
    ).values_list("domain_id", "code"):
        codes.setdefault(domain_id, []).append(code)
    properties: dict[str, Any] = {}
    for binding in bindings:
        e = binding.element
        prop: dict[str, Any] = copy.deepcopy(_TYPES.get(e.data_type, {"type": "string"}))
        if e.validator in _FORMATS:
            prop["format"] = _FORMATS[e.validator]
        # The API refuses a value longer than this as sent; once standardized it must fit the
        # element's own length (a credit code sent with spaces is longer than its 18 characters).
        limit = accepted_length(e.max_length, e.on_invalid)
        if prop.get("type") == "string":
            prop["maxLength"] = limit
        for branch in prop.get("anyOf", []):
            if branch["type"] == "string":
                branch["maxLength"] = limit
        description = f"{e.name_zh} {e.name_en}: {e.definition_zh} / {e.definition_en}"
        if e.max_length:
            description += f" At most {e.max_length} characters once standardized."
        if e.value_domain is not None:
            values = codes.get(e.value_domain.pk, [])
            if len(values) <= MAX_ENUM:
                description += f" Codes (synonyms accepted): {', '.join(values)}."
            else:
                description += f" Value domain `{e.value_domain.code}` ({len(values)} codes)."
        if e.validator:
            description += f" Validator: {e.validator}; on invalid: {e.on_invalid}."
        prop["description"] = description
        if e.example:
            prop["example"] = e.example
        if e.status == "deprecated":
            prop["deprecated"] = True
        properties[e.code] = prop
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": [b.element.code for b in bindings if b.required],
    }
