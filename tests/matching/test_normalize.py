"""Normalizers: company names taken apart, pinyin, regions, persons, phones, addresses (pure)."""

from __future__ import annotations

import pytest

from matching.normalize import (
    address_key,
    address_tokens,
    branch_key,
    company_name_parts,
    customer_kind,
    identifier,
    is_person_customer,
    is_pinyin,
    normalize_address,
    person_name,
    person_name_tokens,
    phone_key,
    pinyin_initials,
    pinyin_of,
    region_lookup,
    split_pinyin,
)


@pytest.mark.parametrize(
    "name",
    [
        "北京华信科技有限公司",
        "华信科技(北京)有限公司",
        "华信科技（北京）有限公司",
        "北京市华信科技有限公司",
        "北京市海淀区华信科技有限公司",
        "華信科技（北京）有限公司",
    ],
)
def test_chinese_variants_share_core_region_and_pinyin(name):
    parts = company_name_parts(name)

    assert parts.core == "华信科技"
    assert parts.region == "北京"
    assert parts.region_code == "11"
    assert parts.industry == "科技"
    assert parts.distinctive == "华信"
    assert parts.pinyin == "huaxinkeji"
    assert parts.pinyin_initials == "hxkj"
    assert parts.branch == ""
    assert not parts.is_latin


def test_english_name_meets_the_chinese_one():
    english = company_name_parts("Beijing Huaxin Technology Co., Ltd.")
    chinese = company_name_parts("北京华信科技有限公司")

    assert english.is_latin
    assert english.region == chinese.region == "北京"
    assert english.pinyin == chinese.pinyin == "huaxinkeji"
    assert english.pinyin_initials == chinese.pinyin_initials == "hxkj"
    assert english.industry == chinese.industry == "科技"
    assert english.legal_form == "co ltd"
    assert english.core == "huaxin technology"


def test_english_industry_words_map_to_chinese_pinyin():
    assert company_name_parts("Shanghai Donghai Logistics Co., Ltd.").pinyin == "donghaiwuliu"
    assert company_name_parts("Huaxin Electronics Limited").pinyin == "huaxindianzi"
    assert company_name_parts("Kangning Pharmaceutical Inc.").pinyin == "kangningyiyao"
    assert company_name_parts("Ningbo Dahe Environmental Technology Co., Ltd.").pinyin == (
        company_name_parts("宁波市达禾环保科技有限公司").pinyin
    )


def test_bracketed_national_marker_is_not_part_of_the_core():
    assert company_name_parts("华信（中国）投资有限公司").core == "华信投资"
    assert company_name_parts("HUAXIN (CHINA) INVESTMENT CO LTD").pinyin == "huaxintouzi"


def test_other_city_is_another_region():
    parts = company_name_parts("广州华信科技有限公司")

    assert parts.core == "华信科技"
    assert parts.region == "广州"
    assert parts.region_code == "4401"


def test_nested_regions_keep_the_most_specific_one():
    parts = company_name_parts("广东省深圳市腾讯计算机系统有限公司")

    assert parts.core == "腾讯计算机系统"
    assert parts.region == "深圳"
    assert parts.region_code == "4403"


def test_county_level_city_without_suffix_is_a_region():
    parts = company_name_parts("昆山华信电子厂")

    assert (parts.core, parts.region, parts.legal_form) == ("华信电子", "昆山", "厂")


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("金华信科技有限公司", "金华信科技"),  # 金华 + 信 would leave a one-character core
        ("东方电气集团", "东方电气"),  # 东方 + an industry word only
        ("北京科技有限公司", "北京科技"),
    ],
)
def test_region_word_that_is_the_name_stays_in_the_core(name, core):
    assert company_name_parts(name).core == core


@pytest.mark.parametrize(
    ("name", "branch"),
    [
        ("北京华信科技有限公司上海分公司", "上海分公司"),
        ("华信科技有限公司（上海分公司）", "上海分公司"),
        ("华信科技上海分公司", "上海分公司"),
        ("北京华信科技有限公司海淀营业部", "海淀营业部"),
        ("Beijing Huaxin Technology Co., Ltd. Shanghai Branch", "上海分公司"),
        ("北京华信科技有限公司(3号店)", "3号店"),  # a numbered store
        ("北京华信科技有限公司工会委员会", "工会委员会"),  # the company's union
    ],
)
def test_branch_is_taken_out_of_the_name(name, branch):
    parts = company_name_parts(name)

    assert parts.branch == branch
    assert parts.core in {"华信科技", "huaxin technology"}


def test_branch_keys_agree_across_scripts():
    assert branch_key("上海分公司") == branch_key("上海分公司")
    english = company_name_parts("Huaxin Technology Co., Ltd. Shanghai Branch").branch
    assert branch_key(english) == branch_key("上海分公司")


def test_a_sole_trader_business_unit_is_not_a_branch():
    parts = company_name_parts("张三五金经营部")

    assert parts.branch == ""
    assert parts.core == "张三五金经营部"


@pytest.mark.parametrize(
    ("name", "legal_form"),
    [
        ("华信科技股份有限公司", "股份有限公司"),
        ("华信科技集团有限公司", "集团有限公司"),
        ("华信科技有限责任公司", "有限责任公司"),
        ("华信科技", ""),
    ],
)
def test_legal_forms_are_stripped(name, legal_form):
    parts = company_name_parts(name)

    assert parts.core == "华信科技"
    assert parts.legal_form == legal_form


def test_homophones_share_pinyin():
    assert pinyin_of("华鑫") == pinyin_of("华信") == "huaxin"
    assert company_name_parts("华鑫科技有限公司").pinyin == "huaxinkeji"


def test_regions_come_from_the_division_table():
    assert region_lookup("北京").code == "11"
    assert region_lookup("广西壮族自治区").short == "广西"
    assert region_lookup("内蒙古自治区").short == "内蒙古"
    assert region_lookup("延边朝鲜族自治州").short == "延边"
    assert region_lookup("beijing").short == "北京"
    assert region_lookup("shenzhen").code == "4403"
    assert region_lookup("海淀区").code == "110108"
    assert region_lookup("not a place") is None


def test_pinyin_splitting():
    assert split_pinyin("huaxin") == ("hua", "xin")
    assert split_pinyin("xian") == ("xian",)
    assert split_pinyin("acme") == ("acme",)
    assert is_pinyin("wang") and not is_pinyin("mitchell")
    assert pinyin_initials("中关村") == "zgc"


def test_person_names():
    assert person_name("Mitchell  O'Brien") == "mitchell o brien"
    assert person_name("阿卜杜·热合曼") == "阿卜杜热合曼"
    assert person_name("胡 强") == "胡强"
    assert person_name_tokens("Ruby Vincent") == ("ruby", "vincent")
    assert person_name_tokens("") == ()


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("张强经理", "张强"),  # a title after the name
        ("李娜老师", "李娜"),
        ("张强副总经理", "张强"),  # a rank or a department before the title
        ("李娜采购经理", "李娜"),
        ("欧阳娜娜(采购部)", "欧阳娜娜"),  # a note
        ("王伟（销售）", "王伟"),
        ("王经理", "王经理"),  # a surname and a title: no name to take it from
        ("欧阳经理", "欧阳经理"),  # a two-character surname
        ("李总经理", "李总经理"),
        # a form of address says a sex: 王伟先生 and 王伟女士 are two people
        ("王伟先生", "王伟先生"),
    ],
)
def test_a_title_or_a_note_is_no_part_of_a_persons_name(written, name):
    assert person_name(written) == name


@pytest.mark.parametrize(
    ("phone", "key"),
    [
        ("+8613812345678", "13812345678"),
        ("013812345678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("+861058123456", "1058123456"),
        ("+14155552671", "4155552671"),
    ],
)
def test_phone_key_is_the_national_number(phone, key):
    assert phone_key(phone) == key


def test_identifier_keeps_only_letters_and_digits():
    assert identifier("９１１１ 0108-mA01") == "911101 08MA01".replace(" ", "")


def test_chinese_address_tokens_and_key():
    address = "北京市海淀区中关村大街２７号1101室"

    assert address_tokens(address) == ("北京市", "海淀区", "中关村大街", "27号", "1101室")
    assert address_key(address) == "中关村大街27"


def test_latin_address_normalization_and_key():
    assert normalize_address("12 Kent St., Towradgi") == "12 kent street towradgi"
    assert address_key("7 wallaby place delmar") == "7wall"
    assert address_key("wallaby place") == ""


@pytest.mark.parametrize(
    ("declared", "name", "credit", "id_number", "kind"),
    [
        ("org", "", False, False, "organization"),
        ("企业", "", False, False, "organization"),
        ("B", "", False, False, "organization"),
        ("person", "", False, False, "person"),
        ("C", "", False, False, "person"),
        ("", "北京华信科技有限公司", False, False, "organization"),
        ("", "张伟", False, False, "person"),
        ("", "", True, False, "organization"),
        ("", "", False, True, "person"),
        ("", "Acme", False, False, ""),
    ],
)
def test_customer_kind(declared, name, credit, id_number, kind):
    assert customer_kind(declared, name, has_credit_code=credit, has_id_number=id_number) == kind
    person = is_person_customer(declared, name, has_credit_code=credit, has_id_number=id_number)
    assert person == (kind == "person")


def test_the_quick_person_test_agrees_with_customer_kind_on_every_demo_customer():
    """``is_person_customer`` (masking's test, which skips the name parser where it can) says
    person exactly where ``customer_kind`` does, over the demo exports and some edge names."""
    import csv
    from pathlib import Path

    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    rows = [
        row
        for name in ("erp_customers.csv", "crm_customers.csv", "ecom_customers.csv")
        for row in csv.DictReader((demo / name).open(encoding="utf-8"))
    ]
    names = {row.get("name", "") for row in rows} | {
        "张伟",
        "欧阳娜娜",
        "王",
        "华信科技",
        "华为分公司",
        "张伟（上海）",
        "李 明",
        "阿卜杜·热合曼",
        "司马相如之",
        "Wang Wei",
        "",
    }
    seen = {"person": 0, "organization": 0, "": 0}
    for declared in ("", "org", "C", "个人", "unknown"):
        for name in names:
            for credit in (False, True):
                for id_number in (False, True):
                    kind = customer_kind(
                        declared, name, has_credit_code=credit, has_id_number=id_number
                    )
                    seen[kind] += 1
                    quick = is_person_customer(
                        declared, name, has_credit_code=credit, has_id_number=id_number
                    )
                    assert quick == (kind == "person"), (declared, name, credit, id_number)
    assert len(rows) > 1000 and all(seen.values())


@pytest.mark.parametrize(
    "text",
    [
        "重庆长安汽车",
        "中国银行",
        "长沙行知教育",
        "华信科技",
        "单田芳",
        "曾国藩",
        "乐山",
        "Wang Wei",
        "ABC科技",
        "e-Home",
    ],
)
def test_pinyin_by_table_look_up_agrees_with_pypinyin(text):
    """The per-character table is used only where it gives what pypinyin's segmentation gives."""
    import re

    from pypinyin import Style, lazy_pinyin

    from matching.normalize import pinyin_initials, pinyin_of

    expected = re.sub(r"[^0-9A-Za-z]+", "", "".join(lazy_pinyin(text, style=Style.NORMAL))).lower()
    assert pinyin_of.__wrapped__(text) == expected
    if all("\u4e00" <= ch <= "\u9fff" for ch in text):
        syllables = lazy_pinyin(text, style=Style.NORMAL)
        assert pinyin_initials.__wrapped__(text) == "".join(s[0] for s in syllables)


def test_polyphonic_characters_read_as_in_their_phrase():
    from matching.normalize import pinyin_of

    assert pinyin_of.__wrapped__("重庆") == "chongqing"
    assert pinyin_of.__wrapped__("中国银行") == "zhongguoyinhang"
    assert pinyin_of.__wrapped__("华鑫") == pinyin_of.__wrapped__("华信") == "huaxin"
