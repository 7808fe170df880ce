"""Validators of the data-element dictionary: the registry, general checks and parameters.

A validator takes a value that has already been through the element's standardizer chain and
the element's ``validator_params``, and returns None when the value is valid or a Problem.
Validators check the *standardized* form strictly (a credit code in lower case is not valid
here): producing that form is the standardizers' job, and a value the chain could not fix must
be reported, not silently accepted.

The validators of identifiers live in ``dictionary.identifiers``, those of contact data in
``dictionary.contact``, the Problem type and the message catalogue in ``dictionary.problems``
(split by the 500-line rule of issue 31); ``VALIDATORS`` here names them all.

These modules are deliberately free of Django so that they can run in workers, scripts and
tests.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from dictionary.contact import (
    cn_mobile,
    cn_phone,
    email,
    phone,
    postal_code,
    postal_code_in_country,
)
from dictionary.identifiers import cn_org_code, cn_resident_id, gtin, uscc
from dictionary.problems import Problem, china_today, problem

Validator = Callable[[str, Mapping[str, Any]], Problem | None]


# --- General -----------------------------------------------------------------------------------


def regex(value: str, params: Mapping[str, Any]) -> Problem | None:
    """The whole value must match params["pattern"]."""
    pattern = params["pattern"]
    if re.fullmatch(pattern, value) is None:
        return problem("no_match", value=value, pattern=pattern)
    return None


_NUMBER_RE = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")
_INTEGER_RE = re.compile(r"^[+-]?[0-9]+$")


def range_(value: str, params: Mapping[str, Any]) -> Problem | None:
    """A number within params["min"] and/or params["max"] (both inclusive, both optional)."""
    if not _NUMBER_RE.match(value):
        return problem("invalid_number", value=value)
    return _check_bounds(value, Decimal(value), params)


def integer(value: str, params: Mapping[str, Any]) -> Problem | None:
    """A whole number, optionally within params["min"] / params["max"] (inclusive)."""
    if not _INTEGER_RE.match(value):
        return problem("invalid_integer", value=value)
    return _check_bounds(value, Decimal(value), params)


def decimal(value: str, params: Mapping[str, Any]) -> Problem | None:
    """A decimal number fitting NUMERIC(precision, scale), optionally within min / max.

    precision counts all significant digits, scale those after the point (as in SQL), so
    precision 15 and scale 3 allow up to 12 digits before the point.
    """
    if not _NUMBER_RE.match(value):
        return problem("invalid_number", value=value)
    integer_part, _, fraction = value.lstrip("+-").partition(".")
    precision, scale = params.get("precision"), params.get("scale")
    if precision is not None:
        scale = scale or 0
        if len(fraction) > scale or len(integer_part.lstrip("0")) > precision - scale:
            return problem("too_many_digits", value=value, precision=precision, scale=scale)
    return _check_bounds(value, Decimal(value), params)


def date(value: str, params: Mapping[str, Any]) -> Problem | None:
    """An ISO date YYYY-MM-DD, optionally within params["min"] / params["max"] (ISO dates,
    inclusive) and not after today when params["not_in_future"] is true."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return problem("invalid_date", value=value)
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return problem("invalid_date", value=value)
    low = datetime.date.fromisoformat(params["min"]) if params.get("min") else None
    high = datetime.date.fromisoformat(params["max"]) if params.get("max") else None
    if params.get("not_in_future"):
        today = china_today()
        high = min(high, today) if high else today
    if (low and day < low) or (high and day > high):
        return problem("out_of_range", value=value, bounds=_bounds_text(low, high))
    return None


def _check_bounds(text: str, number: Decimal, params: Mapping[str, Any]) -> Problem | None:
    low = _as_decimal(params.get("min"))
    high = _as_decimal(params.get("max"))
    if (low is not None and number < low) or (high is not None and number > high):
        return problem("out_of_range", value=text, bounds=_bounds_text(low, high))
    return None


def _as_decimal(bound: Any) -> Decimal | None:
    # str() first: Decimal(0.1) would carry binary noise from a float in the JSON.
    return None if bound is None else Decimal(str(bound))


def _bounds_text(low: Any, high: Any) -> str:
    """Language-neutral range text: "0 – 3650", "≥ 0", "≤ 2025-01-03"."""
    if low is not None and high is not None:
        return f"{low} – {high}"
    return f"≥ {low}" if low is not None else f"≤ {high}"


VALIDATORS: dict[str, Validator] = {
    "uscc": uscc,
    "cn_resident_id": cn_resident_id,
    "cn_org_code": cn_org_code,
    "cn_mobile": cn_mobile,
    "cn_phone": cn_phone,
    "phone": phone,
    "email": email,
    "gtin": gtin,
    "regex": regex,
    "range": range_,
    "date": date,
    "postal_code": postal_code,
    "integer": integer,
    "decimal": decimal,
}


#: Validators that check a value against the sending system's country: called as
#: ``f(value, params, country)`` by ``dictionary.services.standardize_and_validate``.
REGIONAL_VALIDATORS: dict[str, Callable[[str, Mapping[str, Any], str], Problem | None]] = {
    "postal_code": postal_code_in_country,
}


# --- Parameter checks for the dictionary loader ------------------------------------------------


def check_params(validator: str, params: Mapping[str, Any]) -> list[str]:
    """Configuration errors in an element's validator_params (English, for administrators).

    Validators trust their params; the loader should call this so that a broken dictionary
    entry fails when it is loaded, not on the first record.
    """
    allowed = _PARAMS.get(validator)
    if allowed is None:
        return [f"unknown validator {validator!r}"]
    errors = [f"unknown parameter {name!r}" for name in params if name not in allowed]
    if validator == "regex":
        pattern = params.get("pattern")
        if not isinstance(pattern, str):
            errors.append("'pattern' is required and must be a string")
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                errors.append(f"'pattern' is not a valid regular expression: {exc}")
    if validator in ("range", "integer", "decimal"):
        for name in ("min", "max"):
            bound = params.get(name)
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, int | float | str)
            ):
                errors.append(f"{name!r} must be a number")
            elif bound is not None:
                try:
                    Decimal(str(bound))
                except InvalidOperation:
                    errors.append(f"{name!r} must be a number")
    if validator == "decimal":
        precision, scale = params.get("precision"), params.get("scale")
        if precision is not None and (not isinstance(precision, int) or precision < 1):
            errors.append("'precision' must be a positive integer")
        if scale is not None and (not isinstance(scale, int) or scale < 0):
            errors.append("'scale' must be a non-negative integer")
        if isinstance(precision, int) and isinstance(scale, int) and scale > precision:
            errors.append("'scale' must not exceed 'precision'")
    if validator == "date":
        for name in ("min", "max"):
            if params.get(name) is not None:
                try:
                    datetime.date.fromisoformat(params[name])
                except (TypeError, ValueError):
                    errors.append(f"{name!r} must be an ISO date YYYY-MM-DD")
        if "not_in_future" in params and not isinstance(params["not_in_future"], bool):
            errors.append("'not_in_future' must be true or false")
    return errors


_PARAMS: dict[str, frozenset[str]] = {
    "uscc": frozenset(),
    "cn_resident_id": frozenset(),
    "cn_org_code": frozenset(),
    "cn_mobile": frozenset(),
    "cn_phone": frozenset(),
    "phone": frozenset(),
    "email": frozenset(),
    "gtin": frozenset(),
    "postal_code": frozenset(),
    "regex": frozenset({"pattern"}),
    "range": frozenset({"min", "max"}),
    "integer": frozenset({"min", "max"}),
    "decimal": frozenset({"precision", "scale", "min", "max"}),
    "date": frozenset({"min", "max", "not_in_future"}),
}
