"""Comparators: how alike two attribute values are, as a similarity in [0, 1], or None if a side
is missing (missing is *no evidence*, which is not the same as disagreement).

Each comparator has two halves so that the hot path does the expensive work once per record, not
once per pair: ``prepare(value)`` turns a standardized attribute value into a feature (a parsed
company name, name tokens, a national phone number …) and ``compare(fa, fb)`` scores two features.
:data:`COMPARATORS` maps the names used in match rules to them; the ``compare_*`` functions are
the same comparators on plain strings, for tests and for one-off use.

The similarity levels that comparators return are chosen to be readable by a data steward and
stable across versions (1.0 exact, 0.9 transposed day/month, 0.8 one digit off …), because rules
map them to weights with thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein

from matching.normalize import (
    CompanyName,
    address_tokens,
    company_name_parts,
    digits,
    email_key,
    identifier,
    normalize_address,
    normalize_text,
    person_name_tokens,
    phone_key,
    pinyin_of,
)

__all__ = [
    "COMPARATORS",
    "Comparator",
    "compare_address",
    "compare_birth_date",
    "compare_company_name",
    "compare_company_pinyin",
    "compare_email",
    "compare_identifier",
    "compare_person_name",
    "compare_phone",
    "compare_postal_code",
    "compare_region",
    "compare_spec",
    "compare_text",
]

_jw = JaroWinkler.normalized_similarity
_lev = Levenshtein.distance


@dataclass(frozen=True, slots=True)
class Comparator:
    """A named comparator: ``prepare`` once per value, ``compare`` per pair (both may see None)."""

    name: str
    prepare: Callable[[str], Any]
    compare: Callable[[Any, Any], float | None]
    description: str


# --------------------------------------------------------------------------- companies


def _prepare_company(value: str) -> CompanyName | None:
    parts = company_name_parts(value)
    return parts if parts.core else None


def _company_name(a: CompanyName, b: CompanyName) -> float:
    """Core-name similarity: 1.0 same core, 0.98 same pinyin across scripts (中文 vs Latin),
    0.96 same pinyin with other characters (homophone typo), else the character ratio.

    The best of core and full core (with region words) counts, so that a name whose region prefix
    was read differently (东方希望 / 四川东方希望) is not punished twice: region agreement is a
    separate comparator.
    """
    if a.is_latin and b.is_latin:
        if a.pinyin == b.pinyin:
            return 1.0
        return max(fuzz.ratio(a.pinyin, b.pinyin), fuzz.token_sort_ratio(a.core, b.core)) / 100.0
    if a.is_latin or b.is_latin:
        # Across scripts only the pinyin can agree; equal pinyin is nearly as good as equal
        # characters (0.98), but not quite: homophones exist.
        if a.pinyin == b.pinyin:
            return 0.98
        return 0.9 * fuzz.ratio(a.pinyin, b.pinyin) / 100.0
    if a.core == b.core:
        return 1.0
    if a.pinyin == b.pinyin:
        return 0.96  # 华信 / 华鑫: typed by ear
    return max(fuzz.ratio(a.core, b.core), fuzz.ratio(a.full_core, b.full_core)) / 100.0


def _company_pinyin(a: CompanyName, b: CompanyName) -> float:
    """Pinyin of the cores: homophone typos (华信 / 华鑫) agree here and not on the characters."""
    if a.pinyin == b.pinyin:
        return 1.0
    return fuzz.ratio(a.pinyin, b.pinyin) / 100.0


def _company_region(a: CompanyName, b: CompanyName) -> float | None:
    """1.0 same region; 0.8 one contains the other (广东 / 深圳); 0.0 different; None if unknown."""
    if not a.region_code or not b.region_code:
        return None
    if a.region_code == b.region_code:
        return 1.0
    if a.region_code.startswith(b.region_code) or b.region_code.startswith(a.region_code):
        return 0.8
    return 0.0


# --------------------------------------------------------------------------- persons


def _prepare_person_name(value: str) -> tuple[tuple[str, ...], str] | None:
    tokens = person_name_tokens(value)
    if not tokens:
        return None
    # Chinese names also compare by pinyin: 张丽 / 张莉 are the same name said aloud.
    joined = "".join(tokens)
    return tokens, (pinyin_of(joined) if not joined.isascii() else "")


def _person_name(
    a: tuple[tuple[str, ...], str], b: tuple[tuple[str, ...], str]
) -> float:
    """Token-wise Jaro–Winkler that tolerates swapped given name / surname and a missing token.

    1.0 identical; 0.97 same tokens in another order; otherwise the mean Jaro–Winkler of the best
    one-to-one token pairing (straight or swapped), times 0.9 when one side lacks tokens (a name
    recorded without its surname is weaker evidence than the full name).
    """
    ta, pa = a
    tb, pb = b
    if ta == tb:
        return 1.0
    if len(ta) == len(tb) and sorted(ta) == sorted(tb):
        return 0.97
    if len(ta) == 1 and len(tb) == 1:
        similarity = _jw(ta[0], tb[0])
        if pa and pa == pb:
            similarity = max(similarity, 0.9)
        return similarity
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) == 2 and len(long_) == 2:
        straight = (_jw(short[0], long_[0]) + _jw(short[1], long_[1])) / 2.0
        swapped = (_jw(short[0], long_[1]) + _jw(short[1], long_[0])) / 2.0
        return max(straight, swapped * 0.98)
    # General case: greedy best pairing of the shorter side's tokens.
    remaining = list(long_)
    total = 0.0
    for token in short:
        best_index, best = 0, -1.0
        for index, other in enumerate(remaining):
            similarity = _jw(token, other)
            if similarity > best:
                best_index, best = index, similarity
        total += best
        remaining.pop(best_index)
    similarity = total / len(short)
    return similarity * 0.9 if len(short) < len(long_) else similarity


def _prepare_date(value: str) -> str | None:
    number = digits(value)
    return number if len(number) >= 6 else None


def _birth_date(a: str, b: str) -> float:
    """1.0 same date; 0.9 day and month transposed; 0.8 one digit off; 0.5 two digits off within
    the same year; 0.0 otherwise. Works on the digits, so ``1956-02-08`` and ``19560208`` agree."""
    if a == b:
        return 1.0
    if len(a) == 8 == len(b) and a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return 0.9
    if len(a) != len(b):
        return 0.0
    differences = sum(1 for x, y in zip(a, b, strict=True) if x != y)
    if differences == 1:
        return 0.8
    if differences == 2 and a[:4] == b[:4]:
        return 0.5
    return 0.0


# --------------------------------------------------------------------------- contacts, codes


def _prepare_phone(value: str) -> str | None:
    number = phone_key(value)
    return number if len(number) >= 5 else None


def _phone(a: str, b: str) -> float:
    """1.0 same number; 0.9 same last 8 digits (landline with/without area code); 0.7 one digit
    off (a typo); 0.0 otherwise."""
    if a == b:
        return 1.0
    if len(a) >= 8 and len(b) >= 8 and a[-8:] == b[-8:]:
        return 0.9
    if len(a) == len(b) and _lev(a, b, score_cutoff=1) <= 1:
        return 0.7
    return 0.0


def _prepare_email(value: str) -> str | None:
    email = email_key(value)
    return email if "@" in email else None


def _email(a: str, b: str) -> float:
    """1.0 same address; 0.7 same mailbox at another domain; else Levenshtein similarity / 2."""
    if a == b:
        return 1.0
    local_a, _, _ = a.partition("@")
    local_b, _, _ = b.partition("@")
    if local_a == local_b and len(local_a) >= 4:
        return 0.7
    return Levenshtein.normalized_similarity(a, b) / 2.0


def _prepare_identifier(value: str) -> str | None:
    code = identifier(value)
    return code or None


def _identifier(a: str, b: str) -> float:
    """1.0 identical; 0.8 one character off (a typo in an otherwise valid code); 0.0 otherwise."""
    if a == b:
        return 1.0
    if len(a) == len(b) and _lev(a, b, score_cutoff=1) <= 1:
        return 0.8
    return 0.0


def _prepare_postal_code(value: str) -> str | None:
    code = identifier(value)
    return code or None


def _postal_code(a: str, b: str) -> float:
    """1.0 same; 0.8 one character off; 0.5 same first four of a Chinese six-digit code (same
    district); 0.0 otherwise."""
    if a == b:
        return 1.0
    if len(a) == len(b) and _lev(a, b, score_cutoff=1) <= 1:
        return 0.8
    if len(a) == 6 == len(b) and a[:4] == b[:4]:
        return 0.5
    return 0.0


# --------------------------------------------------------------------------- free text


def _prepare_address(value: str) -> tuple[str, tuple[str, ...]] | None:
    text = normalize_address(value)
    return (text, address_tokens(value)) if text else None


def _address(a: tuple[str, tuple[str, ...]], b: tuple[str, tuple[str, ...]]) -> float:
    """Token-sort similarity, or token-set similarity when one address omits parts of the other
    (a missing unit or district should not read as a different address)."""
    if a[0] == b[0]:
        return 1.0
    if len(a[1]) > 1 and len(b[1]) > 1:
        sort = fuzz.token_sort_ratio(a[1], b[1])
        return max(sort, 0.95 * fuzz.token_set_ratio(a[1], b[1])) / 100.0
    return fuzz.ratio(a[0], b[0]) / 100.0


def _prepare_text(value: str) -> str | None:
    text = normalize_text(value)
    return text or None


def _text(a: str, b: str) -> float:
    """Generic fuzzy text: the better of plain and token-sort ratio."""
    if a == b:
        return 1.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100.0


def _exact(a: str, b: str) -> float:
    return 1.0 if a == b else 0.0


def _jaro_winkler(a: str, b: str) -> float:
    return _jw(a, b)


def _prepare_spec(value: str) -> tuple[str, tuple[str, ...]] | None:
    text = normalize_text(value).replace("×", "x").replace("*", "x")
    if not text:
        return None
    numbers = tuple(re.findall(r"\d+(?:\.\d+)?", text))
    return text.replace(" ", ""), numbers


def _spec(a: tuple[str, tuple[str, ...]], b: tuple[str, tuple[str, ...]]) -> float:
    """Specifications (M8x20, 220V 50Hz): any different number means a different item (0.0);
    with the same numbers, the text similarity (units written differently still agree)."""
    if a[0] == b[0]:
        return 1.0
    if a[1] != b[1]:
        return 0.0
    return max(0.8, fuzz.ratio(a[0], b[0]) / 100.0)


COMPARATORS: dict[str, Comparator] = {
    c.name: c
    for c in (
        Comparator("company_name", _prepare_company, _company_name, "company core name"),
        Comparator("company_pinyin", _prepare_company, _company_pinyin, "pinyin of the core"),
        Comparator("company_region", _prepare_company, _company_region, "region in the name"),
        Comparator("person_name", _prepare_person_name, _person_name, "token Jaro–Winkler"),
        Comparator("birth_date", _prepare_date, _birth_date, "exact / transposed / 1 digit"),
        Comparator("phone", _prepare_phone, _phone, "national number"),
        Comparator("email", _prepare_email, _email, "e-mail address"),
        Comparator("identifier", _prepare_identifier, _identifier, "code, 1 typo tolerated"),
        Comparator("postal_code", _prepare_postal_code, _postal_code, "postal code"),
        Comparator("address", _prepare_address, _address, "address tokens"),
        Comparator("text", _prepare_text, _text, "fuzzy text"),
        Comparator("exact", _prepare_text, _exact, "exact after normalization"),
        Comparator("jaro_winkler", _prepare_text, _jaro_winkler, "Jaro–Winkler"),
        Comparator("spec", _prepare_spec, _spec, "specification numbers and text"),
    )
}


def _run(name: str, a: str | None, b: str | None) -> float | None:
    comparator = COMPARATORS[name]
    fa = comparator.prepare(a) if a else None
    fb = comparator.prepare(b) if b else None
    if fa is None or fb is None:
        return None
    return comparator.compare(fa, fb)


def compare_company_name(a: str | None, b: str | None) -> float | None:
    """Similarity of two company names' cores (pinyin across scripts)."""
    return _run("company_name", a, b)


def compare_company_pinyin(a: str | None, b: str | None) -> float | None:
    """Similarity of the pinyin of two company names' cores."""
    return _run("company_pinyin", a, b)


def compare_region(a: str | None, b: str | None) -> float | None:
    """Agreement of the regions named in two company names (None when either names none)."""
    return _run("company_region", a, b)


def compare_person_name(a: str | None, b: str | None) -> float | None:
    """Token-wise Jaro–Winkler of two person names."""
    return _run("person_name", a, b)


def compare_birth_date(a: str | None, b: str | None) -> float | None:
    """Birth dates: exact 1.0, transposed day/month 0.9, one digit off 0.8."""
    return _run("birth_date", a, b)


def compare_phone(a: str | None, b: str | None) -> float | None:
    """Phones by national significant number."""
    return _run("phone", a, b)


def compare_email(a: str | None, b: str | None) -> float | None:
    """E-mail addresses."""
    return _run("email", a, b)


def compare_identifier(a: str | None, b: str | None) -> float | None:
    """Codes such as credit codes or resident IDs (exact 1.0, one typo 0.8)."""
    return _run("identifier", a, b)


def compare_postal_code(a: str | None, b: str | None) -> float | None:
    """Postal codes."""
    return _run("postal_code", a, b)


def compare_address(a: str | None, b: str | None) -> float | None:
    """Addresses by tokens."""
    return _run("address", a, b)


def compare_text(a: str | None, b: str | None) -> float | None:
    """Generic fuzzy text."""
    return _run("text", a, b)


def compare_spec(a: str | None, b: str | None) -> float | None:
    """Material / product specifications: numbers must agree."""
    return _run("spec", a, b)
