"""The pure masking functions of the dictionary (no database)."""

from __future__ import annotations

import pytest

from dictionary.masking import (
    mask_address,
    mask_email,
    mask_kind,
    mask_name,
    mask_phone,
    mask_resident_id,
    mask_text,
    mask_value,
)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+8613812345678", "138****5678"),
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("008613812345678", "138****5678"),
        ("010-62345678", "010****5678"),
        ("12345", "***45"),
        ("7", "**"),
    ],
)
def test_phone_keeps_the_first_three_and_last_four_digits(value, masked):
    assert mask_phone(value) == masked


def test_resident_id_keeps_the_region_and_the_last_four():
    assert mask_resident_id("11010519491231002X") == "110105********002X"
    assert mask_resident_id("110105491231002") == "110105*****1002"


def test_email_keeps_the_first_letter_and_the_domain():
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_email("not-an-address") == "n***"


def test_person_name_keeps_the_surname():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧***"


def test_address_keeps_province_and_city_only():
    assert mask_address("北京市朝阳区建国路88号院3号楼") == "北京市朝阳****"


@pytest.mark.parametrize(
    "value", ["138****5678", "110105********002X", "z***@example.com", "张*", "****-**-**"]
)
def test_masking_a_masked_value_changes_nothing(value):
    for kind in ("phone", "resident_id", "email", "name", "date", "generic"):
        assert mask_value(kind, value) == value


def test_empty_values_stay_empty_and_other_types_become_text():
    assert mask_value("phone", None) is None
    assert mask_value("phone", "") == ""
    assert mask_value("phone", 13812345678) == "138****5678"
    assert mask_value("generic", {"nested": 1}) == "***"


@pytest.mark.parametrize(
    ("code", "validator", "data_type", "kind"),
    [
        ("phone", "cn_phone", "string", "phone"),
        ("id_number", "cn_resident_id", "string", "resident_id"),
        ("email", "email", "string", "email"),
        ("birth_date", "date", "date", "date"),
        ("contact_name", "", "string", "name"),
        ("legal_representative", "", "string", "name"),
        ("address", "", "string", "address"),
        ("something", "", "string", "generic"),
    ],
)
def test_mask_kind_follows_the_validator_type_and_code(code, validator, data_type, kind):
    assert mask_kind(code, validator=validator, data_type=data_type) == kind


def test_mask_text_hides_a_quoted_value_in_a_message():
    message = "+8613812345678 不是有效的中国大陆手机号码"
    assert mask_text(message, "+8613812345678", "phone") == "138****5678 不是有效的中国大陆手机号码"
    assert mask_text(message, None, "phone") == message
