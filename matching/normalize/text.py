"""Text helpers shared by the normalizers: width and bracket folding, words, codes."""

from __future__ import annotations

import re
from functools import lru_cache

from dictionary.standardizers import collapse_whitespace, fold_width, to_simplified

_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def _words(text: str) -> list[str]:
    """Word lists are written as space-separated strings: easier to read and extend."""
    return text.split()


_OPEN_BRACKETS = "([{【〔〖「『<《"
_CLOSE_BRACKETS = ")]}】〕〗」』>》"
_BRACKET_TABLE = str.maketrans(
    {**dict.fromkeys(_OPEN_BRACKETS, "("), **dict.fromkeys(_CLOSE_BRACKETS, ")")}
)
_BRACKET_RE = re.compile(r"\(([^()]*)\)")
# Punctuation that carries no identity in a name: dots, dashes, quotes, ampersands, commas.
_NAME_PUNCT_RE = re.compile(r"[·•.,，。、'\"‘’“”`´\-_/\\&+!！?？:：;；#*~@|]+")
_NON_ALNUM_RE = re.compile(r"[^0-9A-Za-z]+")
_NON_DIGIT_RE = re.compile(r"\D+")


def has_cjk(value: str) -> bool:
    """True when the value contains at least one CJK ideograph."""
    return _CJK_RE.search(value) is not None


@lru_cache(maxsize=262_144)
def normalize_text(value: str) -> str:
    """Width-fold, simplify, lower-case and collapse white space; brackets become ASCII ``()``.

    Idempotent, and cheap enough to apply again to values that the dictionary already standardized:
    records that bypass the dictionary (benchmarks, tests) then still compare alike.
    """
    if value.isascii():
        # Most codes, e-mails and Latin names: NFKC and traditional->simplified change nothing,
        # and opencc is the slowest step of preparing a record.
        return collapse_whitespace(value.translate(_BRACKET_TABLE)).lower()
    folded = to_simplified(fold_width(value)).translate(_BRACKET_TABLE)
    return collapse_whitespace(folded).lower()


def digits(value: str) -> str:
    """Only the ASCII digits of a value (``1956-02-08`` -> ``19560208``)."""
    return _NON_DIGIT_RE.sub("", value)


def identifier(value: str) -> str:
    """Canonical form of a code (credit code, resident ID, GTIN, part number): A-Z0-9 only."""
    return _NON_ALNUM_RE.sub("", fold_width(value)).upper()


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
#: A number in Chinese numerals or in digits.
#: (千 is left out: in names it is a brand's word, 千禾, 千方, more often than a number.)
NUMBER_RE = re.compile(r"[零〇一二两三四五六七八九十百]+|\d+")


def arabic_number(numeral: str) -> str:
    """A number in Chinese numerals as digits: 一 -> 1, 十二 -> 12, 二十 -> 20, 一百零八 -> 108,
    一千二百 -> 1200, 二〇一 -> 201 (read digit by digit); digits without leading zeros."""
    if numeral.isdigit():
        return numeral.lstrip("0") or "0"
    if not any(unit in numeral for unit in _CN_UNITS):
        return "".join(str(_CN_DIGITS[ch]) for ch in numeral)
    total, current = 0, 0
    for ch in numeral:
        if ch in _CN_UNITS:
            total, current = total + (current or 1) * _CN_UNITS[ch], 0
        else:
            current = _CN_DIGITS[ch]
    return str(total + current)


_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


@lru_cache(maxsize=262_144)
def numbers_in(text: str) -> tuple[str, ...]:
    """The numbers a text says, in order, as digits (北京大学第一医院 -> ("1",), 中铁二十局 ->
    ("20",), 三一重工 -> ("31",))."""
    return tuple(arabic_number(found) for found in NUMBER_RE.findall(text))
