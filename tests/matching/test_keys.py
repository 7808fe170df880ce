"""Blocking keys: which records can meet at all (pure)."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from matching.keys import MAX_KEYS, block_keys, contact_digest


def valid_credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


CODE = valid_credit_code("91110108MA01ABCD1")


def org(name: str, **extra: str) -> dict[str, str]:
    return {"customer_type": "org", "name": name, **extra}


def person(name: str, **extra: str) -> dict[str, str]:
    return {"customer_type": "person", "name": name, **extra}


def test_valid_credit_code_makes_a_key():
    keys = block_keys("customers", org("北京华信科技有限公司", credit_code=CODE))

    assert f"cc:{CODE}" in keys


def test_flagged_credit_code_makes_no_key():
    keys = block_keys(
        "customers", org("北京华信科技有限公司", credit_code=CODE), flagged={"credit_code"}
    )

    assert not [k for k in keys if k.startswith("cc:")]


def test_homophone_typo_shares_the_pinyin_key():
    huaxin = block_keys("customers", org("北京华信科技有限公司"))
    huaxin_typo = block_keys("customers", org("华鑫科技有限公司"))

    assert "py:huaxinkeji" in huaxin
    assert "py:huaxinkeji" in huaxin_typo


def test_region_and_legal_form_do_not_change_name_keys():
    a = block_keys("customers", org("北京华信科技有限公司"))
    b = block_keys("customers", org("华信科技（北京）有限公司"))

    assert "nm:华信科技" in a and "nm:华信科技" in b
    assert [k for k in a if k.startswith(("nm:", "py:"))] == [
        k for k in b if k.startswith(("nm:", "py:"))
    ]


def test_english_name_meets_chinese_name_on_pinyin():
    chinese = block_keys("customers", org("北京华信科技有限公司"))
    english = block_keys("customers", org("Beijing Huaxin Technology Co., Ltd."))
    english_element = block_keys(
        "customers", org("华信科技", english_name="Beijing Huaxin Technology Co., Ltd.")
    )

    # The whole core, and the transliterated trade name alone (Huaxin / 华信).
    assert {k for k in set(chinese) & set(english) if k[:3] == "py:"} == {
        "py:huaxinkeji",
        "py:huaxin",
    }
    # and on the sound keys of the trade name (``normalize.latin``)
    assert {"tl:huasin", "tl:huasinkeci"} <= set(chinese) & set(english)
    assert "py:huaxinkeji" in english_element


def test_trigrams_carry_a_distinctive_character():
    keys = block_keys("customers", org("华美供应链管理有限公司"))

    assert "nm:华美供应链管理" in keys
    assert "nm:华美供" in keys and "nm:美供应" in keys
    assert "nm:供应链" not in keys  # every supply-chain firm would share it


def test_contact_keys():
    keys = block_keys("customers", org("华信", phone="+8613812345678", email="Sales@Huaxin.COM"))

    # A keyed hash of the national number and of the lower-case address, never the value.
    assert "ph:" + contact_digest("ph", "13812345678") in keys
    assert "em:" + contact_digest("em", "sales@huaxin.com") in keys
    assert not any("13812345678" in k or "huaxin.com" in k for k in keys)


def test_the_same_contact_written_differently_gives_the_same_hashed_key():
    one = block_keys("customers", org("华信", phone="+8613812345678", email="Sales@Huaxin.COM"))
    two = block_keys("customers", org("鑫达", phone="13812345678", email="sales@huaxin.com"))

    shared = set(one) & set(two)
    assert {k[:3] for k in shared} == {"ph:", "em:"}
    assert all(len(k) == 3 + 32 for k in shared)


def test_person_keys():
    keys = block_keys(
        "customers",
        person(
            "Ruby Vincent",
            birth_date="1987-11-28",
            postal_code="3830",
            address="68 bunya close lumeah cottage corrimal sa",
        ),
    )

    assert keys == [
        "pn:ruby vincent",
        "bd:19871128",
        "nk:ruby|vin",
        "nk:vincent|rub",
        "bd:19871128r",
        "bd:19871128v",
        "pc:3830r",
        "pc:3830v",
        "ad:68buny",
        "aw:corrim",
    ]


def test_swapped_person_names_share_keys():
    a = block_keys("customers", person("ruby vincent"))
    b = block_keys("customers", person("vincent ruby"))

    assert "pn:ruby vincent" in a and "pn:ruby vincent" in b


def test_chinese_person_keys_use_pinyin_of_the_surname():
    keys = block_keys(
        "customers", person("冯婷颖", birth_date="1963-10-09", id_number="370121196310097169")
    )

    assert "id:370121196310097169" in keys
    assert "pp:fengtingying" in keys
    assert "bd:19631009feng" in keys
    assert "pp:fengtingying" in block_keys("customers", person("冯亭颖"))


def test_pinyin_typed_person_meets_the_chinese_name():
    assert "pp:wangwei" in block_keys("customers", person("王伟"))
    assert "pp:wangwei" in block_keys("customers", person("Wei Wang"))


def test_keys_are_few_and_unique():
    attrs = person(
        "Alexa Rose Vatavuk",
        birth_date="1962-08-25",
        postal_code="4670",
        address="tytherleigh street flt 10 casino vic",
        phone="+8613812345678",
        email="a@b.cn",
        id_number="370121196310097169",
    )

    keys = block_keys("customers", attrs)

    assert len(keys) == len(set(keys)) <= MAX_KEYS


def test_product_keys():
    keys = block_keys(
        "products",
        {
            "name": "移动电源(20000mAh)",
            "model": "JG-1901",
            "brand": "极光",
            "gtin": "6927056033292",
        },
    )

    assert keys[:3] == ["gt:6927056033292", "pm:JG1901", "pm:极光|JG1901"]


def test_material_keys():
    keys = block_keys("materials", {"name": "焊丝", "spec": "ER50-6 Φ1.6 15kg/盘"})

    assert "mn:焊丝" in keys
    assert "ms:焊丝|50x6x1.6x15" in keys
    assert "sp:er50-6φ1.615kg/盘" in keys


def test_unknown_entity_is_an_error():
    with pytest.raises(ValueError, match="unknown entity"):
        block_keys("suppliers", {"name": "x"})


def test_each_number_of_a_phone_list_blocks():
    listed = block_keys("customers", org("北京华信科技有限公司", phone="010-62345678;13912345678"))
    office = block_keys("customers", org("华信", phone="+861062345678"))
    mobile = block_keys("customers", org("华信", phone="+8613912345678"))
    assert {k for k in office if k.startswith("ph:")} <= set(listed)
    assert {k for k in mobile if k.startswith("ph:")} <= set(listed)
