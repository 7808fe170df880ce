"""Telephone numbers the phone standardizer parsed, by the E.164 text it made of them.

The validator of an E.164 value would parse it again: a value just standardized is validated
from the number already parsed instead (a parse is most of what a phone costs an import).
"""

from __future__ import annotations

from typing import Any

#: At most this many numbers are kept; beyond it the table starts over (it only saves work).
MAX_NUMBERS = 4096
_NUMBERS: dict[str, Any] = {}


def remember(e164: str, number: Any) -> None:
    """Keep ``number`` (a ``phonenumbers.PhoneNumber``) as what ``e164`` was formatted from."""
    if len(_NUMBERS) >= MAX_NUMBERS:
        _NUMBERS.clear()
    _NUMBERS[e164] = number


def parsed(e164: str) -> Any | None:
    """The number ``e164`` was formatted from by the standardizer, if it is still kept."""
    return _NUMBERS.get(e164)


# --- Countries ---------------------------------------------------------------------------------

#: The country a source system is in unless it says otherwise (ISO 3166-1 alpha-2).
DEFAULT_COUNTRY = "CN"


def is_country(code: str) -> bool:
    """Is ``code`` an ISO 3166-1 alpha-2 country whose telephone numbers phonenumbers reads?"""
    import phonenumbers

    return code in phonenumbers.SUPPORTED_REGIONS


def _country_name(code: str, language: str) -> str:
    from phonenumbers.geodata.locale import LOCALE_DATA

    names = LOCALE_DATA.get(code, {})
    name = names.get(language, "")
    if name.startswith("*"):  # "*aa": the same name as that language's
        name = names.get(name[1:], "")
    return name


def country_choices() -> list[tuple[str, str]]:
    """``(code, "US 美国 United States")`` for every country, by code: a choice list for forms."""
    import phonenumbers

    return [
        (
            code,
            " ".join(p for p in (code, _country_name(code, "zh"), _country_name(code, "en")) if p),
        )
        for code in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]
