"""Standardizers: pure functions that turn a value as received into the dictionary's format.

Each standardizer takes a string and returns a string; it never raises. A value it cannot
parse is returned unchanged so that the element's validator reports the problem.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from dictionary import phones

_SPACE_RE = re.compile(r"\s+")


def fold_width(value: str) -> str:
    """NFKC: full-width letters, digits and punctuation become half-width (（上海） -> (上海))."""
    return unicodedata.normalize("NFKC", value)


def collapse_whitespace(value: str) -> str:
    """Trim and collapse runs of white space (including ideographic space) to one space."""
    return _SPACE_RE.sub(" ", value).strip()


@lru_cache(maxsize=1)
def _t2s_converter():
    import opencc  # opencc-python-reimplemented

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_characters() -> frozenset[str]:
    """Every character OpenCC's t2s tables convert: text without any of them is left as is.

    Context-dependent phrases (TSPhrases) always contain one of these characters, so the check is
    exact; it spares the slow phrase parser for the vast majority of values, already simplified.
    """
    from importlib import resources

    table = resources.files("opencc").joinpath("dictionary", "TSCharacters.txt")
    return frozenset(
        line.split("\t", 1)[0] for line in table.read_text(encoding="utf-8").splitlines() if line
    )


@lru_cache(maxsize=262_144)
def to_simplified(value: str) -> str:
    """Traditional Chinese characters to simplified (華信 -> 华信)."""
    if value.isascii() or _traditional_characters().isdisjoint(value):
        return value
    return _t2s_converter().convert(value)


# --- Codes -------------------------------------------------------------------------------------

# Separators people type inside identifiers: white space (incl. ideographic space), ASCII and
# typographic hyphens/dashes, dots (incl. the ideographic full stop and the middle dot used in
# Chinese text), slashes and underscores. Full-width forms are covered too so that this works
# even when it is not preceded by `nfkc` in a chain.
_SEPARATORS_RE = re.compile(
    r"[\s\-\u2010-\u2015\u2212\uff0d.\u3002\u00b7\u30fb\uff0e/\\\uff0f_\uff3f]+"
)


def strip_separators(value: str) -> str:
    """Remove spaces, hyphens, dots, slashes and underscores (9111 0105-MA01 -> 91110105MA01)."""
    return _SEPARATORS_RE.sub("", value)


def upper(value: str) -> str:
    return value.upper()


def lower(value: str) -> str:
    return value.lower()


def postal_code(value: str) -> str:
    """Keep the digits only (邮编：100020 -> 100020).

    A value without any digit is returned unchanged rather than as "", so that it is reported
    as an invalid postal code instead of silently looking like a missing value.
    """
    digits = "".join(ch for ch in fold_width(value) if "0" <= ch <= "9")
    return digits or value


def postal_code_in_country(value: str, country: str) -> str:
    """A Chinese postal code keeps its digits only (:func:`postal_code`); another country's is
    upper-cased with single spaces (sw1a  1aa -> SW1A 1AA), its letters being part of it."""
    if country == phones.DEFAULT_COUNTRY:
        return postal_code(value)
    return collapse_whitespace(fold_width(value)).upper()


# --- Telephone numbers -------------------------------------------------------------------------

# An extension written after the subscriber number: 021-87654321-8001, 021-87654321转8001,
# 010 12345678 分机 12, 0755-1234567#8. phonenumbers recognises "ext." and "x" itself but glues
# a hyphenated or 转-separated extension onto the subscriber number, producing an invalid number.
_EXTENSION_RE = re.compile(r"^(?P<number>.*\d)\s*(?:-|转|分机号?|ext\.?|x|#|,)\s*\d{1,6}\s*$", re.I)


#: What separates the numbers of a field that holds several (010-62345678;13912345678).
_PHONE_LIST_RE = re.compile(r"[;；,，/、|]+")
_NON_DIGITS_RE = re.compile(r"\D+")


def _e164_if_valid(value: str, region: str) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    # E.164 has no room for an extension; format_number drops it.
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    number.extension = None  # the number as the E.164 text holds it
    phones.remember(e164, number)
    return e164


def phone_e164(value: str, region: str = phones.DEFAULT_COUNTRY) -> str:
    """A telephone number in any usual format -> E.164 (138 1234 5678 -> +8613812345678).

    Parsed with phonenumbers, a number written without its international prefix in the
    sending system's country ``region`` (CN by default: national numbers with a trunk 0,
    (010)12345678 -> +861012345678, and the 0086 international prefix are understood; a US
    system's 310/246-1501 -> +13102461501). A number written with its prefix (+44 20 7946 0958)
    keeps its country whatever the system's: it is never re-read as a number of ``region``.
    Extensions are DROPPED (021-87654321-8001 -> +862187654321): E.164 cannot carry them and
    the hub's phone element identifies the switchboard line, not the desk.
    Only a number phonenumbers considers valid is converted; anything else (too short, not a
    number at all) is returned unchanged so that the validator reports the value as received.
    """
    text = fold_width(value).strip()
    if not text:
        return value
    if sum(len(_NON_DIGITS_RE.sub("", part)) >= 7 for part in _PHONE_LIST_RE.split(text)) > 1:
        # Two numbers in one field (an office and a mobile): phonenumbers would keep the first
        # and drop the other; the value stays as received, for the validator to report.
        return value
    e164 = _e164_if_valid(text, region)
    if e164 is None:
        match = _EXTENSION_RE.match(text)
        if match:
            e164 = _e164_if_valid(match["number"], region)
    return e164 if e164 is not None else value


# --- Dates -------------------------------------------------------------------------------------

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DATE_RES = (
    # 2025-1-3, 2025/1/3, 2025.01.03 - one separator used consistently, optional time of day.
    re.compile(r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME + "$"),
    # 2025年1月3日, optionally 2025 年 1 月 3 日 and a trailing 号 (colloquial for 日).
    re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?$"),
    # 20250103
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)


def date_iso(value: str) -> str:
    """A calendar date in a usual Chinese or ISO notation -> YYYY-MM-DD.

    A time of day (2025-01-03T10:00:00+08:00) is dropped; the date is kept as written, not
    converted between time zones. Impossible dates (2025-02-30) are returned unchanged.
    """
    import datetime

    text = fold_width(value).strip()
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(int(match["y"]), int(match["m"]), int(match["d"])).isoformat()
            except ValueError:
                return value
    return value


# --- Numbers -----------------------------------------------------------------------------------

_CURRENCY_RE = re.compile(r"^(?:[¥$€£]|RMB|CNY|USD|人民币)\s*|\s*(?:元|RMB|CNY)$", re.I)
# Either plain digits or digits grouped by threes; a misplaced group separator (1,23,4) is
# not guessed at. ASCII digits only, so that the output is canonical.
_GROUPED_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<int>\d{1,3}(?:(?P<g>[, ])\d{3})(?:(?P=g)\d{3})*|\d*)(?:\.(?P<frac>\d+))?$",
    re.ASCII,
)


def decimal(value: str) -> str:
    """A written amount -> canonical decimal string (¥1,234,567.50 -> 1234567.50).

    Full-width digits and commas are folded, a leading currency sign or trailing 元 removed,
    and comma or space thousands separators dropped. The fractional digits are kept as given
    (1.50 stays 1.50) because they carry the precision the source recorded; leading zeros of
    the integer part are removed. Anything else is returned unchanged.
    """
    text = collapse_whitespace(fold_width(value))
    text = _CURRENCY_RE.sub("", text).strip()
    match = _GROUPED_RE.match(text)
    if not match or not (match["int"] or match["frac"]):
        return value
    integer = match["int"].replace(",", "").replace(" ", "").lstrip("0") or "0"
    frac = match["frac"]
    result = integer + ("." + frac if frac else "")
    is_zero = integer == "0" and not (frac or "").strip("0")
    # "-0" and "-0.00" are just zero.
    return "-" + result if match["sign"] == "-" and not is_zero else result


# --- Personal identifiers ----------------------------------------------------------------------


def resident_id_18(value: str) -> str:
    """First-generation (15-digit) resident ID -> 18 digits; 18-digit: upper-case trailing x.

    GB 11643-1999 widened the 2-digit birth year to 4 digits (all 15-digit numbers were issued
    to people born in the 1900s) and appended a check character. Anything else is returned
    unchanged for the validator to report.
    """
    from stdnum.cn import ric

    text = value.strip()
    if len(text) == 15 and text.isascii() and text.isdigit():
        body = text[:6] + "19" + text[6:]
        # ric.calc_check_digit expects the number *with* a check position and ignores it.
        return body + ric.calc_check_digit(body + "0")
    if len(text) == 18 and text[:17].isascii() and text[:17].isdigit() and text[17] == "x":
        return text[:17] + "X"
    return value


# --- Registry ----------------------------------------------------------------------------------

STANDARDIZERS: dict[str, Callable[[str], str]] = {
    "nfkc": fold_width,
    "collapse_space": collapse_whitespace,
    "t2s": to_simplified,
    "upper": upper,
    "lower": lower,
    "strip_separators": strip_separators,
    "phone_e164": phone_e164,
    "date_iso": date_iso,
    "decimal": decimal,
    "resident_id_18": resident_id_18,
    "postal_code": postal_code,
}


#: Standardizers that read a value in the sending system's country: called as
#: ``f(value, country)`` where the write path knows the system (see
#: ``dictionary.services.standardize_and_validate``), as ``f(value)`` elsewhere.
REGIONAL_STANDARDIZERS: dict[str, Callable[[str, str], str]] = {
    "phone_e164": phone_e164,
    "postal_code": postal_code_in_country,
}


def map_to_domain(value: str, values: Mapping[str, Iterable[str]]) -> str | None:
    """The code of a value domain that `value` denotes, or None.

    `values` maps each code to its synonyms. Comparison is case-insensitive after NFKC and
    trimming (个, PCS, pcs -> PCE). A code spelled exactly wins over a synonym; a synonym shared
    by several codes is ambiguous and yields None rather than a guess.
    """
    key = _domain_key(value)
    if not key:
        return None
    for code in values:
        if _domain_key(code) == key:
            return code
    found = {
        code for code, synonyms in values.items() if any(_domain_key(s) == key for s in synonyms)
    }
    return found.pop() if len(found) == 1 else None


def _domain_key(text: str) -> str:
    return fold_width(text).strip().casefold()
