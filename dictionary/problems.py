"""Problems a validator reports: the Problem type and the catalogue of problem messages.

Also the two small facts every group of validators shares: China's today and what counts as
an ASCII digit. Split out of ``dictionary.validators`` (the 500-line rule of issue 31).

This module is deliberately free of Django so that it can run in workers, scripts and tests.
"""

from __future__ import annotations

import datetime
import string
from dataclasses import dataclass
from typing import Any

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


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() is also true for full-width and superscript digits.
    return text.isascii() and text.isdigit()
