"""English company names as exports write them: the legal form, then the place; legal words
beyond "Co., Ltd."; trade words of general vocabulary.

The names are written for each form (the companies' trade names are real listed companies'),
not copied from a benchmark.
"""

from __future__ import annotations

import pytest

from matching.compare import compare_company_name
from matching.keys import block_keys
from matching.normalize import company_name_parts
from matching.normalize.latin import (
    FULL,
    latin_relation,
    without_national,
)


@pytest.mark.parametrize(
    ("english", "region", "core"),
    [
        ("Xinghu Bioscience Co., Inc. Zhaoqing Guangdong", "肇庆", "xinghu bioscience"),
        ("Topband Co., Ltd. Shenzhen", "深圳", "topband"),
        ("Hengli Hydraulic Co., Ltd., Changzhou", "常州", "hengli hydraulic"),
    ],
)
def test_a_place_after_the_legal_form_is_the_region(english, region, core):
    parts = company_name_parts(english)
    assert (parts.region, parts.core) == (region, core)
    assert parts.legal_form


@pytest.mark.parametrize(
    ("english", "region", "core"),
    [
        # A place in front is the region; one behind is an office's or the address's.
        ("Beijing Huaxin Technology Co., Ltd. Shanghai", "北京", "huaxin technology"),
        # A place behind is never part of the name, even before trade words only.
        ("Industrial Bank Co., Ltd. Fujian", "福建", "industrial bank"),
        ("Bank of Communications Co., Ltd. Hubei", "湖北", "communications bank"),
        # The country after the place, as addresses end.
        ("Topband Co., Ltd., Shenzhen, P.R. China", "深圳", "topband"),
        ("Topband Co., Ltd. Shenzhen China", "深圳", "topband"),
        ("Huaxin Technology Co., Ltd. Shenzhen, P.R.C.", "深圳", "huaxin technology"),
        ("Huaxin Technology Co., Ltd. P.R. China", "", "huaxin technology"),
        # A place in front kept in the name (宁波银行) is still the region.
        ("Ningbo Bank Co., Ltd. Shanghai", "宁波", "ningbo bank"),
        ("Wuxi Bank Co Ltd Jiangsu", "无锡", "wuxi bank"),
    ],
)
def test_what_a_place_after_the_legal_form_is_not(english, region, core):
    parts = company_name_parts(english)
    assert (parts.region, parts.core) == (region, core)


def test_a_place_after_the_legal_form_meets_the_chinese_name():
    chinese = company_name_parts("肇庆星湖生物科技股份有限公司")
    here = company_name_parts("Xinghu Bioscience Co., Inc. Zhaoqing Guangdong")
    assert latin_relation(here, chinese) == FULL
    # In front or behind, the place is the same evidence.
    assert compare_company_name(
        "Xinghu Bioscience Co., Inc. Zhaoqing Guangdong", "肇庆星湖生物科技股份有限公司"
    ) == compare_company_name(
        "Zhaoqing Xinghu Bioscience Co., Inc.", "肇庆星湖生物科技股份有限公司"
    )


def test_another_place_after_the_legal_form_is_another_company():
    same = compare_company_name("Xinghu Bioscience Co., Ltd. Zhaoqing", "肇庆星湖生物科技有限公司")
    other = compare_company_name("Xinghu Bioscience Co., Ltd. Wuhan", "肇庆星湖生物科技有限公司")
    assert same is not None and other is not None and other < same


def test_a_branch_keeps_its_place():
    parts = company_name_parts("Xinghu Bioscience Co., Ltd. Shanghai Branch")
    assert parts.branch == "上海分公司"
    assert parts.core == "xinghu bioscience"


def test_a_place_not_after_a_legal_form_stays_in_the_name():
    # "Bank of Ningbo" reads as 宁波银行: the place is part of what the name says.
    assert company_name_parts("Bank of Ningbo Co., Ltd.").core == "ningbo bank"


def test_incorporation_is_a_legal_form():
    parts = company_name_parts("Huahai Pharmaceutical Incorporation")
    assert parts.core == "huahai pharmaceutical"
    assert parts.legal_form == "incorporation"
    assert latin_relation(parts, company_name_parts("浙江华海药业股份有限公司")) == FULL


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Xinghu Bioscience Co., Ltd.", "广东肇庆星湖生物科技股份有限公司"),
        ("Hengli Hydraulic Co., Ltd.", "江苏恒立液压股份有限公司"),
        ("Zhifei Vaccine Co., Ltd.", "重庆智飞疫苗有限公司"),
        ("Kangtai Biopharmaceutical Co., Ltd.", "深圳康泰生物医药有限公司"),
        ("Xinhua Elevator Co., Ltd.", "新华电梯有限公司"),
    ],
)
def test_trade_words_of_general_vocabulary_are_read(english, chinese):
    assert latin_relation(company_name_parts(english), company_name_parts(chinese)) == FULL


def test_a_trade_word_read_for_another_trade_explains_nothing():
    # 液压 (hydraulic) is not 电梯 (elevator): the trade names agree, the trades do not.
    english = company_name_parts("Hengli Hydraulic Co., Ltd.")
    assert latin_relation(english, company_name_parts("恒立电梯有限公司")) != FULL


ORG = {"customer_type": "organization"}
ERP_RECORD = ORG | {
    "credit_code": "91100000100003962T",
    "phone": "010-66106114",
    "address": "北京市西城区复兴门内大街55号",
    "email": "webmaster@example.com.cn",
    "postal_code": "100140",
}


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # "China" in front or "of China" behind: the Chinese name starts with 中国 instead of
        # a place, and the English name's core never keeps the country.
        ("Industrial and Commercial Bank of China Limited", "中国工商银行股份有限公司"),
        ("Agricultural Bank of China Limited", "中国农业银行股份有限公司"),
        ("China Construction Bank Corporation", "中国建设银行股份有限公司"),
        ("China Petroleum & Chemical Corporation", "中国石油化工股份有限公司"),
        ("China United Network Communications Limited", "中国联合网络通信股份有限公司"),
        ("China Telecom Corporation Limited", "中国电信股份有限公司"),  # telecom: 电信
        ("Ping An Insurance (Group) Company of China, Ltd.", "中国平安保险(集团)股份有限公司"),
        ("Bank of China Limited", "中国银行股份有限公司"),
        # A Chinese name without the marker, an English name with it.
        ("China Merchants Bank Co., Ltd.", "招商银行股份有限公司"),
    ],
)
def test_a_name_under_the_national_marker_meets_its_english_name(english, chinese):
    latin, parts = company_name_parts(english), company_name_parts(chinese)
    assert latin_relation(latin, parts) == FULL
    # and they meet under a block key: a CRM's English name finds the ERP's legal name, even
    # when the legal name's record holds every other field too (its keys are cut at a limit)
    erp = block_keys("customers", {**ERP_RECORD, "name": chinese})
    assert set(block_keys("customers", {**ORG, "name": english})) & set(erp)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # An English name that names a place is a local company, not the national one.
        ("Bank of Beijing Co., Ltd.", "中国银行股份有限公司"),
        ("Shanghai Telecom Co., Ltd.", "中国电信股份有限公司"),
        ("Shanghai Petrochemical Co., Ltd.", "中国石油化工股份有限公司"),
        # Another trade under the marker.
        ("Agricultural Bank of China Limited", "中国建设银行股份有限公司"),
        ("Agricultural Development Bank of China", "中国农业银行股份有限公司"),
        ("China Development Bank", "中国银行股份有限公司"),
        # No country said: a generic name is not the national company's.
        ("Telecom Co., Ltd.", "中国电信股份有限公司"),
        ("Trading Co., Ltd.", "中华贸易有限公司"),
    ],
)
def test_the_national_marker_does_not_make_other_companies_meet(english, chinese):
    assert latin_relation(company_name_parts(english), company_name_parts(chinese)) is None


def test_a_name_that_is_the_marker_and_one_word_is_read_whole():
    # 中国 + a single character: nothing is left to stand for the company without it.
    assert without_national(company_name_parts("中国铁塔股份有限公司")) is not None
    assert without_national(company_name_parts("中华书局有限公司")) is not None
    assert without_national(company_name_parts("中国港股份有限公司")) is None
    assert without_national(company_name_parts("北京中国书店有限公司")) is None


@pytest.mark.parametrize(
    "english",
    [
        # 科技 as "Science and Technology"
        "Beijing Huaxin Science & Technology Co., Ltd.",
        "BEIJING HUAXIN SCIENCE AND TECHNOLOGY CO.,LTD.",
        # the legal form in pinyin, as a shop's buyer types the registered name
        "Beijing Huaxin Keji Youxian Gongsi",
        "Huaxin Keji Gufen Youxian Gongsi",
    ],
)
def test_english_and_pinyin_forms_of_a_legal_name(english):
    latin = company_name_parts(english)
    assert latin_relation(latin, company_name_parts("北京华信科技有限公司")) == FULL
    assert latin.legal_form
