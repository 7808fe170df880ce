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

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from matching.comparators.goods import (
    _brand,
    _goods_codes,
    _goods_name,
    _goods_spec,
    _prepare_brand,
    _prepare_goods_codes,
    _prepare_goods_name,
    _prepare_goods_spec,
    _prepare_uom,
)
from matching.comparators.names import (
    _company_name,
    _company_pinyin,
    _company_region,
    _person_name,
    _prepare_company,
    _prepare_person_name,
)
from matching.comparators.text import (
    PreparedAddress,
    _address,
    _division,
    _exact,
    _jaro_winkler,
    _prepare_address,
    _prepare_division,
    _prepare_spec,
    _prepare_text,
    _spec,
    _text,
)
from matching.comparators.values import (
    _birth_date,
    _email,
    _email_domain,
    _identifier,
    _mail_domain,
    _phone,
    _postal_code,
    _prepare_date,
    _prepare_email,
    _prepare_email_domain,
    _prepare_flagged_date,
    _prepare_flagged_phone,
    _prepare_identifier,
    _prepare_phone,
    _prepare_postal_code,
)
from matching.normalize import CompanyName

__all__ = [
    "COMPARATORS",
    "Comparator",
    "compare_address",
    "compare_birth_date",
    "compare_company_name",
    "compare_company_pinyin",
    "compare_division",
    "compare_email",
    "compare_email_domain",
    "compare_identifier",
    "compare_person_name",
    "compare_phone",
    "compare_postal_code",
    "compare_region",
    "compare_spec",
    "compare_text",
]


@dataclass(frozen=True, slots=True)
class Comparator:
    """A named comparator: ``prepare`` once per value, ``compare`` per pair.

    ``exact_key`` maps a prepared value to a key such that ``compare`` returns 1.0 exactly when
    the keys are equal; it lets ``engine.estimate_u`` count the chance that two random records
    agree exactly from value frequencies instead of sampling (exact agreement on a name or a
    birth date is too rare for a sample of random pairs to measure).

    ``prepare_flagged`` prepares a value that failed its element's validation (flagged): None
    (the default) means such a value is not evidence at all; comparators whose values can still
    be compared by their digits (a phone number, a birth date) give one, and their ``compare``
    decides how much a flagged value may agree.

    ``cost`` ranks what one ``compare`` costs (0: an equality or a few digits; 1: a short string
    metric; 2: token alignment; 3: the company-name comparator, which reads names as short
    forms, abbreviations and English). The batch match compares the cheap fields of a pair
    first and stops when the rest could no longer lift it to review (``engine.scoring``).
    """

    name: str
    prepare: Callable[[str], Any]
    compare: Callable[[Any, Any], float | None]
    description: str
    exact_key: Callable[[Any], Hashable] | None = None
    prepare_flagged: Callable[[str], Any] | None = None
    cost: int = 0


def _same(value: Any) -> Hashable:
    return value  # type: ignore[no-any-return]


def _company_key(value: CompanyName) -> Hashable:
    return ("latin", value.pinyin) if value.is_latin else ("han", value.core)


def _first(value: tuple[Any, ...]) -> Hashable:
    return value[0]  # type: ignore[no-any-return]


def _address_key(value: PreparedAddress) -> Hashable:
    return value.sorted_joined if len(value.tokens) > 1 else value.text


COMPARATORS: dict[str, Comparator] = {
    c.name: c
    for c in (
        Comparator(
            "company_name",
            _prepare_company,
            _company_name,
            "company core name",
            _company_key,
            cost=3,
        ),
        Comparator(
            "company_pinyin",
            _prepare_company,
            _company_pinyin,
            "pinyin of the core",
            lambda c: c.pinyin,
            cost=2,
        ),
        Comparator(
            "company_region",
            _prepare_company,
            _company_region,
            "region in the name",
            lambda c: c.region_code or None,
            cost=1,
        ),
        Comparator(
            "person_name",
            _prepare_person_name,
            _person_name,
            "token Jaro–Winkler",
            _first,
            cost=1,
        ),
        Comparator(
            "birth_date",
            _prepare_date,
            _birth_date,
            "exact / transposed / 1 digit",
            _same,
            prepare_flagged=_prepare_flagged_date,
        ),
        Comparator(
            "phone",
            _prepare_phone,
            _phone,
            "national number",
            _same,
            prepare_flagged=_prepare_flagged_phone,
        ),
        Comparator("email", _prepare_email, _email, "e-mail address"),
        # Equal keys: one domain (1.0, or one address, which the e-mail field weighs instead).
        Comparator(
            "email_domain",
            _prepare_email_domain,
            _email_domain,
            "organization's own mail domain",
            _mail_domain,
        ),
        Comparator("identifier", _prepare_identifier, _identifier, "code, 1 typo tolerated", _same),
        Comparator("postal_code", _prepare_postal_code, _postal_code, "postal code", _same),
        Comparator("address", _prepare_address, _address, "address tokens", _address_key, cost=2),
        Comparator("division", _prepare_division, _division, "division code", _same),
        Comparator("text", _prepare_text, _text, "fuzzy text", cost=2),
        Comparator("exact", _prepare_text, _exact, "exact after normalization", _same),
        Comparator("jaro_winkler", _prepare_text, _jaro_winkler, "Jaro–Winkler", _same, cost=1),
        Comparator("spec", _prepare_spec, _spec, "specification numbers and text", _first, cost=2),
        Comparator(
            "goods_name",
            _prepare_goods_name,
            _goods_name,
            "goods name and its words",
            lambda name: name.text,
            cost=2,
        ),
        Comparator("goods_spec", _prepare_goods_spec, _goods_spec, "parsed specification", cost=1),
        Comparator("goods_codes", _prepare_goods_codes, _goods_codes, "model numbers", cost=1),
        Comparator("brand", _prepare_brand, _brand, "brand in characters or pinyin", cost=1),
        Comparator("uom", _prepare_uom, _exact, "unit of measure and synonyms", _same),
    )
}


def _run(
    name: str, a: str | None, b: str | None, *, a_flagged: bool = False, b_flagged: bool = False
) -> float | None:
    comparator = COMPARATORS[name]
    fa = _prepared(comparator, a, a_flagged)
    fb = _prepared(comparator, b, b_flagged)
    if fa is None or fb is None:
        return None
    return comparator.compare(fa, fb)


def _prepared(comparator: Comparator, value: str | None, flagged: bool) -> Any:
    if not value:
        return None
    if not flagged:
        return comparator.prepare(value)
    return comparator.prepare_flagged(value) if comparator.prepare_flagged else None


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


def compare_birth_date(
    a: str | None, b: str | None, *, a_flagged: bool = False, b_flagged: bool = False
) -> float | None:
    """Birth dates: exact 1.0, transposed day/month 0.9, one digit off 0.8 (a date flagged
    invalid at most 0.8)."""
    return _run("birth_date", a, b, a_flagged=a_flagged, b_flagged=b_flagged)


def compare_phone(
    a: str | None, b: str | None, *, a_flagged: bool = False, b_flagged: bool = False
) -> float | None:
    """Phones by national significant number (a number flagged invalid by its digits)."""
    return _run("phone", a, b, a_flagged=a_flagged, b_flagged=b_flagged)


def compare_email(a: str | None, b: str | None) -> float | None:
    """E-mail addresses."""
    return _run("email", a, b)


def compare_email_domain(a: str | None, b: str | None) -> float | None:
    """Two mailboxes at one organization's own domain (not a public provider's)."""
    return _run("email_domain", a, b)


def compare_identifier(a: str | None, b: str | None) -> float | None:
    """Codes such as credit codes or resident IDs (exact 1.0, one typo 0.8)."""
    return _run("identifier", a, b)


def compare_postal_code(a: str | None, b: str | None) -> float | None:
    """Postal codes."""
    return _run("postal_code", a, b)


def compare_address(a: str | None, b: str | None) -> float | None:
    """Addresses by tokens."""
    return _run("address", a, b)


def compare_division(a: str | None, b: str | None) -> float | None:
    """Administrative division codes (region_code)."""
    return _run("division", a, b)


def compare_text(a: str | None, b: str | None) -> float | None:
    """Generic fuzzy text."""
    return _run("text", a, b)


def compare_spec(a: str | None, b: str | None) -> float | None:
    """Material / product specifications: numbers must agree."""
    return _run("spec", a, b)
