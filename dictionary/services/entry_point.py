"""The one entry point every record passes through: ``standardize_and_validate``.

It is called by every write path of the hub (API, bulk, import, admin), and checks a record
against the compiled dictionary (``dictionary.services.compiled``). Split out of
``dictionary.services`` by the 500-line rule of issue 31.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dictionary import derivations, phones, problems, standardizers, validators
from dictionary.models import (
    DataElementDataTypeChoices,
    DataElementOnInvalidChoices,
    DataElementStatusChoices,
)
from dictionary.problems import Problem
from dictionary.services.compiled import CompiledElement, _fold, compiled_elements


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
