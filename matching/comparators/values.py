"""Comparators of dates, contacts and codes: birth dates, phones, e-mails, identifiers and
postal codes, each tolerant of one typo where a typo is likely.

Registered in :data:`matching.compare.COMPARATORS`; see that module for the contract.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from matching.comparators.distance import _osa
from matching.normalize import (
    company_mail_domain,
    digits,
    email_key,
    identifier,
    phone_key,
    phone_keys,
)

_DATE_PARTS_RE = re.compile(r"^(\d{4})\D+(\d{1,2})\D+(\d{1,2})\D*$")


def _prepare_date(value: str) -> str | None:
    """YYYYMMDD digits; a separated date with unpadded parts (1963/10/9) is padded first."""
    match = _DATE_PARTS_RE.match(value.strip())
    if match:
        year, month, day = match.groups()
        return f"{year}{int(month):02d}{int(day):02d}"
    number = digits(value)
    return number if len(number) >= 6 else None


class UnverifiedDate(str):
    """The digits of a date that failed validation (month 13, day 32, year 1028): kept so that
    its digits can show a near agreement, never an exact one."""

    __slots__ = ()


def _prepare_flagged_date(value: str) -> str | None:
    prepared = _prepare_date(value)
    return UnverifiedDate(prepared) if prepared else None


# The most a date flagged invalid can agree with another: its digits may be a typo of a real
# date (1967-13-27 / 1967-03-27), but equal invalid values prove nothing about the person.
_UNVERIFIED_CEILING = 0.8


def _birth_date(a: str, b: str) -> float:
    """1.0 same date; 0.9 day and month transposed (same year); 0.8 one digit off, or two
    adjacent digits swapped (1987 / 1978); 0.6 the same day and month in another year (a year
    mistyped or taken from another date: two people are born on the same day of the year 1 in
    365 times; not 1 January, which systems write when they know the year only); 0.5 two
    digits off within the same year; 0.0 otherwise. Works on the digits, so
    ``1956-02-08`` and ``19560208`` agree.

    A date flagged invalid (:class:`UnverifiedDate`) on either side is compared by its digits
    the same way but never above 0.8: a typo of a real date is a near agreement, two equal
    impossible dates are no more than that.
    """
    similarity = _date_digits(a, b)
    if isinstance(a, UnverifiedDate) or isinstance(b, UnverifiedDate):
        return min(similarity, _UNVERIFIED_CEILING)
    return similarity


#: The day and month a system writes when it knows the year of birth only: two such dates
#: share them for that reason, not because one year was mistyped.
_YEAR_ONLY = "0101"


def _date_digits(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 8 == len(b) and a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return 0.9
    if len(a) != len(b):
        return 0.0
    differences = sum(1 for x, y in zip(a, b, strict=True) if x != y)
    if differences == 1 or (differences == 2 and _osa(a, b, score_cutoff=1) <= 1):
        return 0.8
    if len(a) == 8 and a[4:] == b[4:] and a[4:] != _YEAR_ONLY:
        return 0.6
    if differences == 2 and a[:4] == b[:4]:
        return 0.5
    return 0.0


# --------------------------------------------------------------------------- contacts, codes


def _prepare_phone(value: str) -> str | None:
    number = phone_key(value)
    return number if len(number) >= 5 else None


def _prepare_flagged_phone(value: str) -> str | tuple[str, ...] | None:
    """A phone field the dictionary could not read: its digits, or each number of a list
    (010-62345678;13912345678: ``normalize.phone_keys``)."""
    numbers = phone_keys(value)
    if len(numbers) > 1:
        # Breaks the exact key's "1.0 exactly when the keys are equal" for such a value only:
        # a list agrees with each of its numbers. Rare enough not to move u.
        return numbers
    if len(numbers) == 1 and len(numbers[0]) >= 5:
        return numbers[0]
    return _prepare_phone(value)


def _phone(a: str | tuple[str, ...], b: str | tuple[str, ...]) -> float:
    """1.0 same number; 0.9 one is the other without its area code (58123456 / 1058123456);
    0.7 one typo (a digit wrong or two swapped); 0.0 otherwise. A list of numbers agrees as
    its best number does."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        left = a if isinstance(a, tuple) else (a,)
        right = b if isinstance(b, tuple) else (b,)
        return max(_one_phone(x, y) for x in left for y in right)
    return _one_phone(a, b)


def _one_phone(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) >= 7 and long_.endswith(short):
        return 0.9
    if len(a) == len(b) and _osa(a, b, score_cutoff=1) <= 1:
        return 0.7
    return 0.0


# Role mailboxes are shared: by the companies of a group (admin@xinxing.cn), and, across
# domains, by every company (office@…). They identify a person or company far less.
_ROLE_MAILBOXES = frozenset(
    (
        *("admin", "office", "contact", "info", "sales", "service", "support", "hr", "mail"),
        *("postmaster", "webmaster", "marketing", "business", "finance", "account", "accounts"),
        *("enquiry", "inquiry", "hello", "team", "kefu"),
    )
)


def _prepare_email(value: str) -> tuple[str, bool] | None:
    email = email_key(value)
    if "@" not in email:
        return None
    return email, email.partition("@")[0] in _ROLE_MAILBOXES


def _email(a: tuple[str, bool], b: tuple[str, bool]) -> float:
    """1.0 same personal address; 0.85 same role mailbox (admin@, office@ …); 0.7 same personal
    mailbox name at another domain; else Levenshtein similarity / 2 (below every level)."""
    (left, role), (right, _) = a, b
    if left == right:
        return 0.85 if role else 1.0
    local_left = left.partition("@")[0]
    if not role and len(local_left) >= 4 and local_left == right.partition("@")[0]:
        return 0.7
    return Levenshtein.normalized_similarity(left, right) / 2.0


def _prepare_email_domain(value: str) -> tuple[str, str] | None:
    """(company domain, address); None for a public provider's address: no evidence."""
    domain = company_mail_domain(value)
    return (domain, email_key(value)) if domain else None


def _email_domain(a: tuple[str, str], b: tuple[str, str]) -> float | None:
    """1.0 two mailboxes at one organization's own domain (``finance@huaxin.com.cn`` /
    ``li.ming@huaxin.com.cn``); 0.0 two domains; None for one address (the ``email`` field
    weighs that already)."""
    if a[1] == b[1]:
        return None
    return 1.0 if a[0] == b[0] else 0.0


def _mail_domain(prepared: tuple[str, str]) -> str:
    return prepared[0]


def _prepare_identifier(value: str) -> str | None:
    code = identifier(value)
    return code or None


def _identifier(a: str, b: str) -> float:
    """1.0 identical; 0.8 one typo (substitution or adjacent transposition); 0.0 otherwise."""
    if a == b:
        return 1.0
    if len(a) == len(b) and _osa(a, b, score_cutoff=1) <= 1:
        return 0.8
    return 0.0


def _prepare_postal_code(value: str) -> str | None:
    code = identifier(value)
    return code or None


def _postal_code(a: str, b: str) -> float:
    """1.0 same; 0.8 one typo (a digit wrong or two adjacent digits swapped); 0.5 same first four
    of a Chinese six-digit code (same district); 0.0 otherwise."""
    if a == b:
        return 1.0
    if len(a) == len(b) and _osa(a, b, score_cutoff=1) <= 1:
        return 0.8
    if len(a) == 6 == len(b) and a[:4] == b[:4]:
        return 0.5
    return 0.0
