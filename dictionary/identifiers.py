"""Validators of identifiers: credit code, resident ID number, organization code, GTIN.

Part of the validators of the data-element dictionary (``dictionary.validators`` holds the
registry); split out of it by the 500-line rule of issue 31. Free of Django.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from dictionary.problems import Problem, _is_ascii_digits, china_today, problem

_USCC = {"subject_zh": "统一社会信用代码", "subject_en": "unified social credit code"}
_RIC = {"subject_zh": "公民身份号码", "subject_en": "resident identity card number"}
_ORG = {"subject_zh": "组织机构代码", "subject_en": "organization code"}
_GTIN = {"subject_zh": "商品条码（GTIN）", "subject_en": "GTIN"}


def uscc(value: str, params: Mapping[str, Any]) -> Problem | None:
    """Unified social credit code, GB 32100-2015 (format and check character via stdnum).

    Codes issued in the 2015 pilots before the standard was final (e.g. 91350100M0001TGQXM) are
    legally valid but fail the check character; the dictionary flags rather than rejects them.
    """
    if len(value) != 18:
        return problem("invalid_length", expected=18, actual=len(value), **_USCC)
    error = _uscc_error(value)
    if error == "checksum":
        return problem("invalid_checksum", **_USCC)
    return _uscc_format() if error else None


def uscc_is_valid(value: str) -> bool:
    """A credit code in its compact form (18 characters, upper case) that passes the check."""
    return len(value) == 18 and _uscc_error(value) is None


@lru_cache(maxsize=65_536)
def _uscc_error(value: str) -> str | None:
    """``format``, ``checksum`` or None: stdnum's verdict, memoized (the validator and the
    derivation of the region both ask, and stdnum cleans the value anew each time)."""
    from stdnum import exceptions
    from stdnum.cn import uscc as std

    if value != std.compact(value):  # lower case or separators left in
        return "format"
    try:
        std.validate(value)
    except exceptions.InvalidChecksum:
        return "checksum"
    except exceptions.ValidationError:
        return "format"
    return None


def _uscc_format() -> Problem:
    return problem(
        "invalid_format",
        rule_zh="前 8 位应为数字，其余为数字或大写字母（不含 I、O、Z、S、V）",
        rule_en="the first 8 characters must be digits, the rest digits or capital letters other than I, O, Z, S and V",
        **_USCC,
    )


def cn_resident_id(value: str, params: Mapping[str, Any]) -> Problem | None:
    """Resident identity card number, GB 11643-1999 (check character via stdnum.cn.ric).

    Checks length, format, check character, that the birth date is a real date not after
    today, and that the province (first two digits) exists. We deliberately do not use
    stdnum's full validate(): it also requires the county code to have existed in the birth
    year, which rejects genuine numbers issued after a county was created or renumbered
    (a person born in 1980 in a county established in 1983 holds that county's code).
    """
    from stdnum.cn import ric

    from dictionary.regions import get_region

    if len(value) != 18:
        return problem("invalid_length", expected=18, actual=len(value), **_RIC)
    if not (_is_ascii_digits(value[:17]) and (_is_ascii_digits(value[17]) or value[17] == "X")):
        return problem(
            "invalid_format",
            rule_zh="前 17 位应为数字，最后一位为数字或大写字母 X",
            rule_en="the first 17 characters must be digits and the last a digit or a capital X",
            **_RIC,
        )
    if value[17] != ric.calc_check_digit(value):
        return problem("invalid_checksum", **_RIC)
    try:
        birth_date = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return problem(
            "invalid_birth_date",
            reason_zh="不是真实存在的日期",
            reason_en="is not a real calendar date",
            **_RIC,
        )
    if birth_date > china_today():
        return problem(
            "invalid_birth_date", reason_zh="晚于今天", reason_en="is in the future", **_RIC
        )
    if get_region(value[:2] + "0000") is None:
        return problem("invalid_region", **_RIC)
    return None


# GB 11714-1997: weights of the 8 body characters; a letter counts as 10 + its position in the
# alphabet (A=10 ... Z=35).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_RE = re.compile(r"^[0-9A-Z]{8}$")


def org_code_check_char(body: str) -> str:
    """Check character of a GB 11714 organization code from its 8 body characters.

    python-stdnum has no module for this code, hence this function: C = 11 - (sum of
    value x weight mod 11), written X when C is 10 and 0 when C is 11.
    """
    total = sum(int(ch, 36) * weight for ch, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def cn_org_code(value: str, params: Mapping[str, Any]) -> Problem | None:
    """Organization code, GB 11714-1997: 8 digits or capital letters and a check character."""
    if len(value) != 9:
        return problem("invalid_length", expected=9, actual=len(value), **_ORG)
    if not _ORG_BODY_RE.match(value[:8]) or not re.match(r"^[0-9X]$", value[8]):
        return problem(
            "invalid_format",
            rule_zh="前 8 位应为数字或大写字母，校验码为数字或 X",
            rule_en="the first 8 characters must be digits or capital letters and the check character a digit or X",
            **_ORG,
        )
    if org_code_check_char(value[:8]) != value[8]:
        return problem("invalid_checksum", **_ORG)
    return None


def gtin(value: str, params: Mapping[str, Any]) -> Problem | None:
    """GTIN-8, -12, -13 or -14 (EAN/UPC) check digit via stdnum.ean."""
    from stdnum import ean

    if not _is_ascii_digits(value):
        return problem(
            "invalid_format", rule_zh="只能包含数字", rule_en="only digits are allowed", **_GTIN
        )
    if len(value) not in (8, 12, 13, 14):
        return problem("invalid_length", expected="8/12/13/14", actual=len(value), **_GTIN)
    if not ean.is_valid(value):
        return problem("invalid_checksum", **_GTIN)
    return None
