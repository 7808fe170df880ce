"""Validators and the message catalogue, with real valid and invalid identifiers."""

from __future__ import annotations

import ast
import datetime
import re
from pathlib import Path

import pytest
from stdnum.cn import ric, uscc

from dictionary import validators
from dictionary.identifiers import org_code_check_char
from dictionary.problems import MESSAGES, Problem, china_today, message_fields, problem
from dictionary.validators import VALIDATORS


def check(name: str, value: str, params: dict | None = None) -> str | None:
    """The problem code, or None when valid."""
    found = VALIDATORS[name](value, params or {})
    return None if found is None else found.code


def with_uscc_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def with_ric_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def test_registry_names() -> None:
    assert set(VALIDATORS) == {
        "uscc",
        "cn_resident_id",
        "cn_org_code",
        "cn_mobile",
        "cn_phone",
        "phone",
        "email",
        "gtin",
        "regex",
        "range",
        "date",
        "postal_code",
        "integer",
        "decimal",
    }


# --- catalogue ---------------------------------------------------------------------------------


ENTRY_POINT_CODES = {
    "required": {},
    "unknown_element": {"field": "colour"},
    "not_in_domain": {"value": "箱子", "domain": "unit_of_measure"},
    "too_long": {"max_length": 18},
    "invalid_type": {"expected": "boolean"},
    "deprecated_element": {"field": "fax"},
    "derived_mismatch": {"value": "310101", "derived": "110108"},
    "invalid_json": {},
    "not_a_string": {},
}


@pytest.mark.parametrize(("code", "fields"), ENTRY_POINT_CODES.items())
def test_entry_point_codes_are_catalogued_with_the_fields_the_entry_point_passes(
    code: str, fields: dict
) -> None:
    assert message_fields(code) == set(fields)
    found = problem(code, **fields)
    assert found.code == code
    assert "{" not in found.message


def test_problem_renders_both_languages() -> None:
    found = problem("not_in_domain", value="箱子", domain="unit_of_measure")
    assert found == Problem(
        "not_in_domain",
        "值 箱子 不在值域 unit_of_measure 中",
        "Value 箱子 is not in the value domain unit_of_measure",
    )
    assert (
        found.message
        == "值 箱子 不在值域 unit_of_measure 中 / Value 箱子 is not in the value domain unit_of_measure"
    )
    assert problem("required").message == "必填项缺失 / This field is required"


def test_problem_rejects_unknown_codes_and_missing_fields() -> None:
    with pytest.raises(KeyError):
        problem("no_such_code")
    with pytest.raises(KeyError):
        problem("too_long")


def test_catalogue_templates_are_consistent() -> None:
    for code, (zh, en) in MESSAGES.items():
        assert re.fullmatch(r"[a-z_]+", code)
        assert re.search(r"[\u4e00-\u9fff]", zh), code  # Chinese text in the Chinese message
        assert not re.search(r"[\u4e00-\u9fff]", en), code
        assert message_fields(code) == {n for n in re.findall(r"{(\w+)}", zh + en)}


# --- unified social credit code --------------------------------------------------------------


def test_uscc_valid() -> None:
    assert check("uscc", "91110000600037341L") is None  # python-stdnum's documented example
    assert check("uscc", "914403001922038216") is None  # a published business registration
    assert with_uscc_check("91110108MA01ABCD2") == "91110108MA01ABCD2H"
    assert check("uscc", "91110108MA01ABCD2H") is None


def test_uscc_pilot_code_fails_the_checksum() -> None:
    found = VALIDATORS["uscc"]("91350100M0001TGQXM", {})
    assert found == Problem(
        "invalid_checksum",
        "统一社会信用代码的校验码不正确，请核对是否有录入错误",
        "The check character of the unified social credit code is wrong; please look for a typing error",
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91110000600037342L", "invalid_checksum"),
        ("91110000600037341A", "invalid_checksum"),
        ("9111000060003734", "invalid_length"),
        ("91110000600037341L0", "invalid_length"),
        ("", "invalid_length"),
        ("A1110000600037341L", "invalid_format"),
        ("91110000I00037341L", "invalid_format"),
        ("91110000600037341l", "invalid_format"),
        ("9111000060003734-L", "invalid_format"),
    ],
)
def test_uscc_invalid(value: str, code: str) -> None:
    assert check("uscc", value) == code


def test_uscc_length_message() -> None:
    found = VALIDATORS["uscc"]("9111", {})
    assert found is not None
    assert found.message_zh == "统一社会信用代码应为 18 位，实际为 4 位"
    assert found.message_en == "The unified social credit code must be 18 characters long, not 4"


# --- resident identity card number -----------------------------------------------------------


def test_resident_id_valid() -> None:
    assert check("cn_resident_id", "11010519491231002X") is None  # GB 11643-1999's example
    assert check("cn_resident_id", with_ric_check("44030519900307001")) is None
    # 110115 大兴区 dates from 2001; a number upgraded or issued there for someone born in 1980
    # is genuine, but stdnum's validate() refuses it because the county did not exist in 1980.
    upgraded = with_ric_check("11011519800101001")
    assert not ric.is_valid(upgraded)
    assert check("cn_resident_id", upgraded) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "invalid_checksum"),
        ("11010519491231002", "invalid_length"),
        ("110105491231002", "invalid_length"),
        ("11010519491231002x", "invalid_format"),
        ("1101051949123100AX", "invalid_format"),
        (with_ric_check("11010519490230001"), "invalid_birth_date"),
        (with_ric_check("11010529990101001"), "invalid_birth_date"),
        (with_ric_check("99010519491231002"), "invalid_region"),
    ],
)
def test_resident_id_invalid(value: str, code: str) -> None:
    assert check("cn_resident_id", value) == code


def test_resident_id_messages_do_not_echo_the_number() -> None:
    value = with_ric_check("11010529990101001")
    found = VALIDATORS["cn_resident_id"](value, {})
    assert found == Problem(
        "invalid_birth_date",
        "公民身份号码中的出生日期晚于今天",
        "The date of birth in the resident identity card number is in the future",
    )
    assert value not in found.message


def test_resident_id_born_today_is_valid() -> None:
    today = china_today().strftime("%Y%m%d")
    assert check("cn_resident_id", with_ric_check("110105" + today + "001")) is None


# --- organization code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check_char"),
    [
        ("60003734", "1"),  # inside the valid credit code 91110000600037341L
        ("19220382", "1"),  # inside the valid credit code 914403001922038216
        # 22*3 + 10*7 + 0*9 + 1*10 + 10*5 + 11*8 + 12*4 + 13*2 = 358; 358 % 11 = 6; 11 - 6 = 5
        ("MA01ABCD", "5"),
        ("D2143569", "X"),  # check value 10 is written X
        ("00000000", "0"),  # check value 11 is written 0
    ],
)
def test_org_code_check_char(body: str, check_char: str) -> None:
    assert org_code_check_char(body) == check_char


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("600037341", None),
        ("D2143569X", None),
        ("600037342", "invalid_checksum"),
        ("60003734", "invalid_length"),
        ("60003734-1", "invalid_length"),
        ("6000373a1", "invalid_format"),
        ("60003734Y", "invalid_format"),
    ],
)
def test_cn_org_code(value: str, code: str | None) -> None:
    assert check("cn_org_code", value) == code


# --- telephone, email, postal code -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "mobile", "phone"),
    [
        ("+8613812345678", None, None),
        ("+8619912345678", None, None),
        ("+861012345678", "invalid_mobile", None),
        ("+8675512345678", "invalid_mobile", None),
        ("+864008108888", "invalid_mobile", None),
        ("13812345678", "invalid_mobile", "invalid_phone"),  # not E.164
        ("+86 138 1234 5678", "invalid_mobile", "invalid_phone"),  # not canonical
        ("+8612345", "invalid_mobile", "invalid_phone"),
        ("+16502530000", "invalid_mobile", "invalid_phone"),  # valid, but not China
        ("+85221234567", "invalid_mobile", "invalid_phone"),  # Hong Kong is not mainland
        ("abc", "invalid_mobile", "invalid_phone"),
    ],
)
def test_cn_mobile_and_cn_phone(value: str, mobile: str | None, phone: str | None) -> None:
    assert check("cn_mobile", value) == mobile
    assert check("cn_phone", value) == phone


@pytest.mark.parametrize(
    ("raw", "mobile", "phone"),
    [
        ("138 1234 5678", None, None),
        ("(010)12345678", "invalid_mobile", None),
        ("021-87654321-8001", "invalid_mobile", None),  # the extension is dropped
        ("400-810-8888", "invalid_mobile", None),
        ("+1 650 253 0000", "invalid_mobile", "invalid_phone"),  # valid, but not China
        ("+852 2123 4567", "invalid_mobile", "invalid_phone"),
    ],
)
def test_a_number_just_standardized_is_validated_as_one_parsed_afresh(raw, mobile, phone) -> None:
    from dictionary import phones
    from dictionary.standardizers import phone_e164

    e164 = phone_e164(raw)
    assert phones.parsed(e164) is not None  # kept by the standardizer
    assert (check("cn_mobile", e164), check("cn_phone", e164)) == (mobile, phone)
    phones._NUMBERS.clear()
    assert (check("cn_mobile", e164), check("cn_phone", e164)) == (mobile, phone)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+8613812345678", None),
        ("+13102461501", None),
        ("+442079460958", None),
        ("+8612345", "invalid_phone_number"),
        ("13812345678", "invalid_phone_number"),  # not E.164: the standardizer could not read it
        ("+1 310 246 1501", "invalid_phone_number"),  # not canonical
        ("310/246-1501", "invalid_phone_number"),
    ],
)
def test_phone_accepts_a_valid_number_of_any_country(value: str, expected: str | None) -> None:
    assert check("phone", value) == expected


def test_phone_message() -> None:
    found = VALIDATORS["cn_phone"]("+8612345", {})
    assert found == Problem(
        "invalid_phone",
        "+8612345 不是有效的中国大陆电话号码",
        "+8612345 is not a valid mainland China telephone number",
    )


@pytest.mark.parametrize(
    "value",
    [
        "zhang.san@example.com",
        "li_si+crm@mail.example.com.cn",
        "o'brien@example.co.uk",
        "a@例子.中国",
        "x@xn--fiqs8s.cn",
    ],
)
def test_email_valid(value: str) -> None:
    assert check("email", value) is None


@pytest.mark.parametrize(
    "value",
    [
        "zhang..san@example.com",
        ".zhang@example.com",
        "zhang.@example.com",
        "zhang@example..com",
        "zhang@example",
        "zhang@-example.com",
        "zhang@example.c",
        "zhang san@example.com",
        "zhang@@example.com",
        "zhang.example.com",
        "张三@example.com",
        "a" * 65 + "@example.com",
        "",
    ],
)
def test_email_invalid(value: str) -> None:
    assert check("email", value) == "invalid_email"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("100080", None),
        ("10008", "invalid_postal_code"),
        ("1000800", "invalid_postal_code"),
        ("10008A", "invalid_postal_code"),
        ("１０００８０", "invalid_postal_code"),
    ],
)
def test_postal_code(value: str, code: str | None) -> None:
    assert check("postal_code", value) == code


# --- GTIN --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("6901234567892", None),  # GTIN-13
        ("96385074", None),  # GTIN-8
        ("036000291452", None),  # GTIN-12 (UPC-A)
        ("98412345678908", None),  # GTIN-14, python-stdnum's documented example
        ("6901234567893", "invalid_checksum"),
        ("690123456789", "invalid_checksum"),
        ("69012345678", "invalid_length"),
        ("123456789", "invalid_length"),
        ("6901234-567892", "invalid_format"),
        ("690123456789X", "invalid_format"),
        ("", "invalid_format"),
    ],
)
def test_gtin(value: str, code: str | None) -> None:
    assert check("gtin", value) == code


# --- general validators ------------------------------------------------------------------------


def test_regex() -> None:
    params = {"pattern": "[0-9]{8}(?:[0-9]{2})?"}
    assert check("regex", "84151010", params) is None
    assert check("regex", "8415101000", params) is None
    found = VALIDATORS["regex"]("841510100", params)
    assert found == Problem(
        "no_match",
        "值 841510100 不符合规定的格式 [0-9]{8}(?:[0-9]{2})?",
        "841510100 does not match the required pattern [0-9]{8}(?:[0-9]{2})?",
    )
    # The whole value must match, not a prefix.
    assert check("regex", "84151010x", params) == "no_match"


@pytest.mark.parametrize(
    ("value", "params", "code"),
    [
        ("0", {"min": 0, "max": 3650}, None),
        ("3650", {"min": 0, "max": 3650}, None),
        ("3651", {"min": 0, "max": 3650}, "out_of_range"),
        ("-1", {"min": 0}, "out_of_range"),
        ("12.5", {"min": 0}, None),
        ("0.1", {"max": 0.1}, None),
        ("0.10000001", {"max": 0.1}, "out_of_range"),
        ("1e3", {"min": 0}, "invalid_number"),
        ("NaN", {}, "invalid_number"),
        ("1,000", {}, "invalid_number"),
        ("", {}, "invalid_number"),
    ],
)
def test_range(value: str, params: dict, code: str | None) -> None:
    assert check("range", value, params) == code


def test_range_message() -> None:
    found = VALIDATORS["range"]("4000", {"min": 0, "max": 3650})
    assert found == Problem(
        "out_of_range",
        "值 4000 超出允许范围（0 – 3650）",
        "4000 is outside the allowed range (0 – 3650)",
    )
    found = VALIDATORS["range"]("-1", {"min": 0})
    assert found is not None and found.message_en == "-1 is outside the allowed range (≥ 0)"


@pytest.mark.parametrize(
    ("value", "params", "code"),
    [
        ("365", {}, None),
        ("-7", {}, None),
        ("+7", {}, None),
        ("3.0", {}, "invalid_integer"),
        ("三", {}, "invalid_integer"),
        ("３", {}, "invalid_integer"),
        ("4000", {"min": 0, "max": 3650}, "out_of_range"),
    ],
)
def test_integer(value: str, params: dict, code: str | None) -> None:
    assert check("integer", value, params) == code


@pytest.mark.parametrize(
    ("value", "params", "code"),
    [
        ("1234567.50", {"precision": 15, "scale": 3}, None),
        ("123456789012.345", {"precision": 15, "scale": 3}, None),
        ("1234567890123", {"precision": 15, "scale": 3}, "too_many_digits"),
        ("1.2345", {"precision": 15, "scale": 3}, "too_many_digits"),
        ("0.125", {"precision": 3, "scale": 3}, None),
        ("1", {"precision": 3, "scale": 3}, "too_many_digits"),
        ("000123.4", {"precision": 4, "scale": 1}, None),
        ("12", {"precision": 2}, None),
        ("1.5", {"precision": 2}, "too_many_digits"),
        ("-5.000", {"precision": 15, "scale": 3, "min": 0}, "out_of_range"),
        ("1,234.5", {"precision": 15, "scale": 3}, "invalid_number"),
        ("abc", {}, "invalid_number"),
    ],
)
def test_decimal(value: str, params: dict, code: str | None) -> None:
    assert check("decimal", value, params) == code


def test_decimal_message() -> None:
    found = VALIDATORS["decimal"]("1.2345", {"precision": 15, "scale": 3})
    assert found == Problem(
        "too_many_digits",
        "数值 1.2345 超出精度要求：最多 15 位数字，其中小数不超过 3 位",
        "1.2345 has too many digits: at most 15 digits, of which at most 3 after the decimal point",
    )


@pytest.mark.parametrize(
    ("value", "params", "code"),
    [
        ("2025-01-03", {}, None),
        ("2024-02-29", {}, None),
        ("2025-02-30", {}, "invalid_date"),
        ("2025-1-3", {}, "invalid_date"),
        ("2025/01/03", {}, "invalid_date"),
        ("20250103", {}, "invalid_date"),
        ("２０２５-01-03", {}, "invalid_date"),
        ("1899-12-31", {"min": "1900-01-01"}, "out_of_range"),
        ("1900-01-01", {"min": "1900-01-01"}, None),
        ("2025-01-04", {"max": "2025-01-03"}, "out_of_range"),
        ("2999-01-01", {"not_in_future": True}, "out_of_range"),
        ("2999-01-01", {"not_in_future": False}, None),
    ],
)
def test_date(value: str, params: dict, code: str | None) -> None:
    assert check("date", value, params) == code


def test_date_not_in_future_uses_china_today() -> None:
    today = china_today()
    assert check("date", today.isoformat(), {"not_in_future": True}) is None
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    found = VALIDATORS["date"](tomorrow, {"not_in_future": True})
    assert found == Problem(
        "out_of_range",
        f"值 {tomorrow} 超出允许范围（≤ {today.isoformat()}）",
        f"{tomorrow} is outside the allowed range (≤ {today.isoformat()})",
    )


# --- parameter checks --------------------------------------------------------------------------


def test_check_params() -> None:
    assert validators.check_params("regex", {"pattern": "[0-9]{6}"}) == []
    assert validators.check_params("regex", {}) == ["'pattern' is required and must be a string"]
    assert validators.check_params("regex", {"pattern": "("})[0].startswith(
        "'pattern' is not a valid regular expression"
    )
    assert validators.check_params("range", {"min": 0, "max": "3650"}) == []
    assert validators.check_params("range", {"min": True}) == ["'min' must be a number"]
    assert validators.check_params("date", {"min": "1900-13-01"}) == [
        "'min' must be an ISO date YYYY-MM-DD"
    ]
    assert validators.check_params("decimal", {"precision": 2, "scale": 3}) == [
        "'scale' must not exceed 'precision'"
    ]
    assert validators.check_params("uscc", {"strict": True}) == ["unknown parameter 'strict'"]
    assert validators.check_params("nope", {}) == ["unknown validator 'nope'"]
    assert set(validators._PARAMS) == set(VALIDATORS)


@pytest.mark.parametrize(
    "module",
    ["validators", "problems", "identifiers", "contact", "standardizers", "derivations", "regions"],
)
def test_pure_modules_do_not_import_django(module: str) -> None:
    path = Path(validators.__file__).with_name(f"{module}.py")
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name for name in imported if name.split(".")[0] in ("django", "rest_framework")}


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("100020", "CN", None),
        ("2000", "CN", "invalid_postal_code"),
        ("2000", "AU", None),
        ("90210", "US", None),
        ("90210-1234", "US", None),
        ("SW1A 1AA", "GB", None),
        ("9", "US", "invalid_foreign_postal_code"),
        ("902!0", "US", "invalid_foreign_postal_code"),
    ],
)
def test_postal_codes_in_the_senders_country(value, country, expected) -> None:
    from dictionary.validators import REGIONAL_VALIDATORS

    found = REGIONAL_VALIDATORS["postal_code"](value, {}, country)
    assert (found.code if found else None) == expected
