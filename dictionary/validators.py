"""Validators of the data-element dictionary, and the catalogue of problem messages.

A validator takes a value that has already been through the element's standardizer chain and
the element's ``validator_params``, and returns None when the value is valid or a Problem.
Validators check the *standardized* form strictly (a credit code in lower case is not valid
here): producing that form is the standardizers' job, and a value the chain could not fix must
be reported, not silently accepted.

This module is deliberately free of Django so that it can run in workers, scripts and tests.
"""

from __future__ import annotations

import datetime
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from dictionary import phones

# Mainland China has had no daylight saving time since 1991, so a fixed offset is exact and
# needs no tz database. "Today" is China's today: a server running in UTC must not call a
# birth registered this morning in Beijing a date in the future.
_CHINA_TZ = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")


def china_today() -> datetime.date:
    return datetime.datetime.now(_CHINA_TZ).date()


@dataclass(frozen=True)
class Problem:
    code: str  # stable, e.g. "invalid_checksum"
    message_zh: str
    message_en: str

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


# code -> (Simplified Chinese template, English template). Fields are str.format fields; the
# ones a template uses must all be passed to problem(). Identifier messages never echo the
# value: resident ID numbers are sensitive personal information and end up in logs.
MESSAGES: dict[str, tuple[str, str]] = {
    # -- used by the entry point ------------------------------------------------------------
    "required": ("必填项缺失", "This field is required"),
    "unknown_element": (
        "{field} 不是数据字典中的数据元",
        "{field} is not an element of the data dictionary",
    ),
    "not_in_domain": (
        "值 {value} 不在值域 {domain} 中",
        "Value {value} is not in the value domain {domain}",
    ),
    "too_long": (
        "长度不能超过 {max_length} 个字符",
        "Must not be longer than {max_length} characters",
    ),
    "invalid_type": ("数据类型不正确，应为 {expected}", "Wrong data type; expected {expected}"),
    "deprecated_element": (
        "数据元 {field} 已停用，不再接收新值",
        "The data element {field} is deprecated and no longer accepts values",
    ),
    # `derived` is the value that a valid identifier proves (see dictionary.derivations).
    "derived_mismatch": (
        "值 {value} 与根据有效标识符推导出的值 {derived} 不一致",
        "Value {value} contradicts {derived}, which a valid identifier proves",
    ),
    "invalid_json": ("内容不是有效的 JSON", "The content is not valid JSON"),
    "not_a_string": ("值必须是字符串", "The value must be a string"),
    # -- identifiers -----------------------------------------------------------------------
    "invalid_length": (
        "{subject_zh}应为 {expected} 位，实际为 {actual} 位",
        "The {subject_en} must be {expected} characters long, not {actual}",
    ),
    "invalid_format": (
        "{subject_zh}格式不正确：{rule_zh}",
        "The {subject_en} is malformed: {rule_en}",
    ),
    "invalid_checksum": (
        "{subject_zh}的校验码不正确，请核对是否有录入错误",
        "The check character of the {subject_en} is wrong; please look for a typing error",
    ),
    "invalid_birth_date": (
        "{subject_zh}中的出生日期{reason_zh}",
        "The date of birth in the {subject_en} {reason_en}",
    ),
    "invalid_region": (
        "{subject_zh}中的行政区划代码不存在",
        "The administrative division code in the {subject_en} does not exist",
    ),
    # -- contact data ----------------------------------------------------------------------
    "invalid_mobile": (
        "{value} 不是有效的中国大陆手机号码",
        "{value} is not a valid mainland China mobile number",
    ),
    "invalid_phone": (
        "{value} 不是有效的中国大陆电话号码",
        "{value} is not a valid mainland China telephone number",
    ),
    "invalid_phone_number": (
        "{value} 不是有效的电话号码（无国际区号时按来源系统所在国家解析）",
        "{value} is not a valid telephone number (read in the source system's country "
        "when written without an international prefix)",
    ),
    "invalid_email": ("{value} 不是有效的电子邮箱地址", "{value} is not a valid email address"),
    "invalid_foreign_postal_code": (
        "{value} 不是有效的邮政编码（{country}）",
        "{value} is not a valid postal code ({country})",
    ),
    "invalid_postal_code": (
        "{value} 不是有效的邮政编码，邮政编码应为 6 位数字",
        "{value} is not a valid postal code; a postal code has 6 digits",
    ),
    # -- general ---------------------------------------------------------------------------
    "no_match": (
        "值 {value} 不符合规定的格式 {pattern}",
        "{value} does not match the required pattern {pattern}",
    ),
    "invalid_number": ("{value} 不是有效的数值", "{value} is not a valid number"),
    "invalid_integer": ("{value} 不是有效的整数", "{value} is not a valid whole number"),
    "too_many_digits": (
        "数值 {value} 超出精度要求：最多 {precision} 位数字，其中小数不超过 {scale} 位",
        "{value} has too many digits: at most {precision} digits, of which at most {scale} after the decimal point",
    ),
    "out_of_range": (
        "值 {value} 超出允许范围（{bounds}）",
        "{value} is outside the allowed range ({bounds})",
    ),
    "invalid_date": (
        "{value} 不是有效的日期，日期应为 YYYY-MM-DD 格式",
        "{value} is not a valid date; dates are written YYYY-MM-DD",
    ),
}


def problem(code: str, **fields: Any) -> Problem:
    """The Problem for a catalogue code, its templates filled with `fields`.

    An unknown code or a missing field raises KeyError: both are programming errors that tests
    should catch, and a half-filled message would reach end users.
    """
    zh, en = MESSAGES[code]
    return Problem(code, zh.format(**fields), en.format(**fields))


def message_fields(code: str) -> frozenset[str]:
    """The fields problem(code, ...) needs, read from the templates."""
    return frozenset(
        name
        for template in MESSAGES[code]
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    )


Validator = Callable[[str, Mapping[str, Any]], Problem | None]


# --- Identifiers -------------------------------------------------------------------------------

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


# --- Contact data ------------------------------------------------------------------------------


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


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() is also true for full-width and superscript digits.
    return text.isascii() and text.isdigit()


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
