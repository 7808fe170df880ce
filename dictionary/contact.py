"""Validators of contact data: telephone numbers, email addresses, postal codes.

Part of the validators of the data-element dictionary (``dictionary.validators`` holds the
registry); split out of it by the 500-line rule of issue 31. Free of Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dictionary import phones
from dictionary.problems import Problem, _is_ascii_digits, problem


def _parse_e164(value: str) -> Any | None:
    """The phonenumbers object of a canonical E.164 number of any country, else None."""
    import phonenumbers

    if not value.startswith("+"):
        return None
    number = phones.parsed(value)  # just standardized: parsed already
    if number is None:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) != value:
            return None
    return number if phonenumbers.is_valid_number(number) else None


def _parse_cn_e164(value: str) -> Any | None:
    """The phonenumbers object for a canonical E.164 number of mainland China, else None."""
    import phonenumbers

    if not value.startswith("+86"):
        return None
    number = _parse_e164(value)
    if number is None or not phonenumbers.is_valid_number_for_region(number, "CN"):
        return None
    return number


def cn_mobile(value: str, params: Mapping[str, Any]) -> Problem | None:
    """A mainland China mobile number in E.164 (+8613812345678)."""
    import phonenumbers

    number = _parse_cn_e164(value)
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if number is None or phonenumbers.number_type(number) not in mobile_types:
        return problem("invalid_mobile", value=value)
    return None


def phone(value: str, params: Mapping[str, Any]) -> Problem | None:
    """A valid telephone number of any country in E.164 (+8613812345678, +13102461501,
    +442079460958): what ``phone_e164`` makes of a number it could read."""
    if _parse_e164(value) is None:
        return problem("invalid_phone_number", value=value)
    return None


def cn_phone(value: str, params: Mapping[str, Any]) -> Problem | None:
    """Any valid mainland China number in E.164: mobile, landline, 400/800 service numbers."""
    if _parse_cn_e164(value) is None:
        return problem("invalid_phone", value=value)
    return None


# Dot-atom local part (RFC 5322 without quoted strings or comments): dots only between
# characters, so no leading, trailing or consecutive dots. Internationalised local parts
# (RFC 6531) are not accepted: few mail systems in use by ERP/CRM sources handle them.
_EMAIL_LOCAL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$"
)
_DOMAIN_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TLD_RE = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")


def email(value: str, params: Mapping[str, Any]) -> Problem | None:
    """An email address: dot-atom local part @ a domain with at least two labels.

    Internationalised domains (例子.中国) are accepted and checked in their IDNA form.
    """
    local, at, domain = value.rpartition("@")
    if not (at and _EMAIL_LOCAL_RE.match(local) and len(local) <= 64 and len(value) <= 254):
        return problem("invalid_email", value=value)
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return problem("invalid_email", value=value)
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL_RE.match(label) for label in labels):
        return problem("invalid_email", value=value)
    if not _TLD_RE.match(labels[-1]):
        return problem("invalid_email", value=value)
    return None


def postal_code(value: str, params: Mapping[str, Any]) -> Problem | None:
    """A mainland China postal code: 6 digits."""
    if len(value) != 6 or not _is_ascii_digits(value):
        return problem("invalid_postal_code", value=value)
    return None


# Another country's postal code is checked for its form only: 3 to 10 capital letters and
# digits, spaces or hyphens inside (2000, 90210, 90210-1234, SW1A 1AA, 1010 AB).
_FOREIGN_POSTAL_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,8}[A-Z0-9]$")


def postal_code_in_country(value: str, params: Mapping[str, Any], country: str) -> Problem | None:
    """A postal code of the sending system's ``country``: China's have 6 digits; another
    country's code is checked for its form only."""
    if country == "CN":
        return postal_code(value, params)
    if not _FOREIGN_POSTAL_CODE_RE.match(value):
        return problem("invalid_foreign_postal_code", value=value, country=country)
    return None
