"""Company names as real systems hold them: short names (简称), English and former names.

The examples are real listed companies: their registered names, their stock short names and
the English names they use themselves.
"""

from __future__ import annotations

import pytest

from matching.compare import compare_company_name, compare_region
from matching.engine import score_pair
from matching.keys import MAX_KEYS, block_keys, contact_digest
from matching.normalize import (
    address_tokens,
    company_name_parts,
    customer_kind,
    is_abbreviation,
    is_short_form,
    names_another_business,
    short_forms,
    short_name_block,
    short_name_of,
    transliterates_trade_name,
)
from matching.normalize.company import former_name_in, name_field_parts, with_former_name
from matching.rules import DEFAULT_RULES

RULE = DEFAULT_RULES["customers"]
ORG = {"customer_type": "organization"}


@pytest.mark.parametrize(
    ("legal", "forms"),
    [
        ("宁波富邦精业集团股份有限公司", ("富邦",)),
        ("天津赛象科技股份有限公司", ("赛象",)),
        ("大族激光科技产业集团股份有限公司", ("大族", "大族激光")),
        ("珠海格力电器股份有限公司", ("格力",)),
        ("万科企业股份有限公司", ("万科",)),
        ("贵州茅台酒股份有限公司", ()),  # 茅台 of 茅台酒: only with the region (贵州茅台)
        ("杭州海康威视数字技术股份有限公司", ("海康威视", "海康威视数字")),
        # 中国 is no company's short name; 京东 is another company than 京东方.
        ("中国平安保险(集团)股份有限公司", ("中国平安", "平安保险")),
        ("中国光大银行股份有限公司", ("中国光大", "光大银行", "光大")),
        ("河南华英农业发展股份有限公司", ("华英", "华英农业")),  # with its first industry word
        ("京东方科技集团股份有限公司", ("京东方",)),
        # A branch has no short form: a short name stands for the company.
        ("北京华信科技有限公司上海分公司", ()),
        ("Beijing Huaxin Technology Co., Ltd.", ()),
    ],
)
def test_short_forms_of_legal_names(legal, forms):
    assert short_forms(company_name_parts(legal)) == forms


@pytest.mark.parametrize(
    ("name", "region", "core"),
    [
        ("宁波富邦", "宁波", "富邦"),
        ("万科A", "", "万科"),  # share class letter
        ("京东方A", "", "京东方"),
        ("*ST东电", "", "东电"),  # special-treatment marker
        ("ST海源", "", "海源"),
        ("TCL科技", "", "tcl科技"),  # a brand in Latin letters stays
        ("Gree Electric Appliances, Inc. of Zhuhai", "珠海", "gree electric appliances"),
    ],
)
def test_stock_short_names_and_trailing_places_parse(name, region, core):
    parts = company_name_parts(name)
    assert (parts.region, parts.core) == (region, core)


@pytest.mark.parametrize(
    ("short", "legal", "expected"),
    [
        ("宁波富邦", "宁波富邦精业集团股份有限公司", True),
        ("赛象科技", "天津赛象科技股份有限公司", False),  # same core: not a shorter form
        ("大族激光", "大族激光科技产业集团股份有限公司", True),
        ("海康威视", "杭州海康威视数字技术股份有限公司", True),
        ("万科A", "万科企业股份有限公司", True),
        ("京东方A", "京东方科技集团股份有限公司", True),
        ("京东", "京东方科技集团股份有限公司", False),
        ("贵州茅台", "贵州茅台酒股份有限公司", True),
        ("茅台", "贵州茅台酒股份有限公司", False),
        ("Shenzhen Dazu Laser", "大族激光科技产业集团股份有限公司", True),
        ("Shenzhen Dazu Laser Technology Co., Ltd.", "大族激光科技产业集团股份有限公司", True),
        (
            "Han's Laser Technology Industry Group Co., Ltd.",
            "大族激光科技产业集团股份有限公司",
            False,
        ),
        ("华信科技", "北京华鑫科技有限公司", False),
        ("华信科技上海分公司", "北京华信科技集团有限公司", False),
        ("光大银行", "中国光大银行股份有限公司", True),
        ("宝鹰股份", "深圳市宝鹰建设控股集团股份有限公司", True),  # 股份: the shares' suffix
    ],
)
def test_is_short_form(short, legal, expected):
    assert is_short_form(company_name_parts(short), company_name_parts(legal)) is expected


@pytest.mark.parametrize(
    ("short", "legal", "expected"),
    [
        ("天晟新材", "常州天晟新材料股份有限公司", True),
        ("千山药机", "湖南千山制药机械股份有限公司", True),
        ("中核科技", "中核苏阀科技实业股份有限公司", True),
        ("中材国际", "中国中材国际工程股份有限公司", True),
        ("宝泰隆", "七台河宝泰隆煤化工股份有限公司", True),
        ("天晟新材", "常州天晟电子股份有限公司", False),  # 新材 is not in the rest
        ("科技新材", "科技新材料有限公司", False),  # no distinctive start
    ],
)
def test_is_abbreviation(short, legal, expected):
    assert is_abbreviation(company_name_parts(short), company_name_parts(legal)) is expected


@pytest.mark.parametrize(
    ("english", "chinese", "expected"),
    [
        ("Jiangsu Changbao Steeltube Co.,Ltd", "江苏常宝钢管股份有限公司", True),
        ("Suzhou Kelida Building& Decoration Co.,Ltd.", "苏州柯利达装饰股份有限公司", True),
        (
            "Hebei Changshan Biochemical Pharmaceutical Co., Ltd.",
            "河北常山生化药业股份有限公司",
            True,
        ),
        ("Changzhou Nrb Corporation", "常州光洋轴承股份有限公司", False),
        ("Kweichow Moutai Co., Ltd.", "贵州茅台酒股份有限公司", False),  # postal romanization
    ],
)
def test_transliterated_trade_names(english, chinese, expected):
    parts = company_name_parts(english), company_name_parts(chinese)
    assert transliterates_trade_name(*parts) is expected


def test_a_region_in_front_makes_a_short_name_an_organization():
    kind = customer_kind("", "宁波富邦", has_credit_code=False, has_id_number=False)
    assert kind == "organization"
    assert customer_kind("", "王小明", has_credit_code=False, has_id_number=False) == "person"


def _shared(a: dict, b: dict) -> set[str]:
    return set(block_keys("customers", a)) & set(block_keys("customers", b))


@pytest.mark.parametrize(
    ("legal", "short", "key"),
    [
        ("宁波富邦精业集团股份有限公司", "宁波富邦", "nm:富邦"),
        ("天津赛象科技股份有限公司", "赛象科技", "nm:赛象科技"),
        ("大族激光科技产业集团股份有限公司", "大族激光", "nm:大族激光"),
        ("万科企业股份有限公司", "万科A", "nm:万科"),
        ("贵州茅台酒股份有限公司", "贵州茅台", "nm:贵州茅台"),
        ("杭州海康威视数字技术股份有限公司", "海康威视", "nm:海康威视"),
        (
            "大族激光科技产业集团股份有限公司",
            "Shenzhen Dazu Laser Technology Co., Ltd.",
            "py:dazujiguang",
        ),
    ],
)
def test_a_short_name_and_its_legal_name_share_a_block_key(legal, short, key):
    assert key in _shared({"name": legal}, ORG | {"name": short})


def test_a_former_name_is_a_block_key():
    current = {
        "name": "招商局蛇口工业区控股股份有限公司",
        "former_name": "招商局地产控股股份有限公司",
    }
    assert "nm:招商局地产" in _shared(current, {"name": "招商局地产控股股份有限公司"})


def test_organizations_keep_their_contact_keys_besides_the_name_keys():
    record = {
        "name": "杭州海康威视数字技术股份有限公司",
        "english_name": "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "former_name": "杭州海康威视数字技术有限公司",
        "credit_code": "91330000733796106P",
        "phone": "0571-88075998",
        "email": "ir@hikvision.com",
        "address": "浙江省杭州市滨江区阡陌路555号",
        "postal_code": "310051",
    }
    keys = block_keys("customers", record)
    assert len(keys) > MAX_KEYS
    phone = "ph:" + contact_digest("ph", "57188075998")
    email = "em:" + contact_digest("em", "ir@hikvision.com")
    assert {phone, email, "nm:海康威视", "py:haikangweishi"} <= set(keys)
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("a", "b", "similarity"),
    [
        ("宁波富邦", "宁波富邦精业集团股份有限公司", 0.87),  # two characters
        ("大族激光", "大族激光科技产业集团股份有限公司", 0.9),
        ("海康威视", "杭州海康威视数字技术股份有限公司", 0.9),
        ("Shenzhen Dazu Laser Technology", "大族激光科技产业集团股份有限公司", 0.87),
        ("万科A", "万科企业股份有限公司", 0.87),
        ("格力电器", "珠海格力电器股份有限公司", 1.0),
        ("China Vanke Co., Ltd.", "Vanke", 1.0),
        ("北京华信科技有限公司", "北京华鑫科技有限公司", 0.96),  # homophone
        ("京东", "京东方科技集团股份有限公司", pytest.approx(0.5714, abs=1e-4)),
        ("天晟新材", "常州天晟新材料股份有限公司", 0.88),
        ("Jiangsu Changbao Steeltube Co.,Ltd", "江苏常宝钢管股份有限公司", 0.86),
        # The translated trade agrees in other words (Biochemical Pharmaceutical 生化药业): every
        # word read or translated, as good as the same pinyin (``normalize.latin``) ...
        (
            "Hebei Changshan Biochemical Pharmaceutical Co., Ltd.",
            "河北常山生化药业股份有限公司",
            0.98,
        ),
        # ... a trade word the table does not know leaves the transliterated trade name
        ("Hebei Changshan Biochemical Works Co., Ltd.", "河北常山生化药业股份有限公司", 0.86),
        # ... or names another trade: another company of the same name.
        (
            "Beijing Huaxin Electronics Co., Ltd.",
            "北京华信科技有限公司",
            pytest.approx(0.5727, abs=1e-4),
        ),
        ("北京华信科技有限公司", "北京华信环保科技有限公司", 0.4),
        ("河南华英农业发展股份有限公司", "华英农业", 0.9),  # 农业 starts 农业发展: no conflict
    ],
)
def test_company_name_comparator_knows_short_names(a, b, similarity):
    assert compare_company_name(a, b) == similarity


def test_the_same_trade_name_in_another_city_disagrees_on_region():
    assert compare_region("北京华信科技有限公司", "上海华信科技有限公司") == 0.0


def _decision(a: dict, b: dict) -> str:
    return score_pair(RULE, a, b).decision


def test_a_short_name_alone_is_for_review_and_corroborated_links():
    legal = {"name": "珠海格力电器股份有限公司"}
    assert _decision(legal, ORG | {"name": "格力电器"}) == "review"
    assert (
        _decision({"name": "大族激光科技产业集团股份有限公司"}, ORG | {"name": "大族激光"})
        == "review"
    )
    assert _decision({"name": "宁波富邦精业集团股份有限公司"}, {"name": "宁波富邦"}) == "review"
    phone = {"phone": "+867568668888"}
    assert _decision(legal | phone, ORG | {"name": "格力电器"} | phone) == "auto"


def test_the_same_trade_name_in_other_cities_and_homophones_never_link():
    beijing = {"name": "北京华信科技有限公司"}
    assert _decision(beijing, {"name": "上海华信科技有限公司"}) == "new"
    assert _decision(beijing, {"name": "北京华鑫科技有限公司"}) == "review"


def test_an_english_name_meets_the_name_of_another_record():
    erp = {
        "name": "大族激光科技产业集团股份有限公司",
        "english_name": "Han's Laser Technology Industry Group Co., Ltd.",
    }
    shop = {"name": "Han's Laser Technology Industry Group Co Ltd"}
    assert (
        compare_company_name("Han's Laser Technology Industry Group Co., Ltd.", shop["name"]) == 1.0
    )
    score = score_pair(RULE, erp, shop)
    assert score.decision == "review"
    assert score.explanation[0].note == "same core name"
    assert {k for k in _shared(erp, shop) if k[:3] == "py:"} == {"py:hansjiguangkejishiye"}


def test_a_former_name_meets_the_name_of_another_record():
    renamed = {
        "name": "招商局蛇口工业区控股股份有限公司",
        "former_name": "招商局地产控股股份有限公司",
    }
    old = {"name": "招商局地产控股股份有限公司"}
    score = score_pair(RULE, renamed, old)
    assert score.explanation[0].note == "same core name"
    assert score.decision == "review"


@pytest.mark.parametrize(
    ("left", "right", "place", "expected"),
    [
        # Fodors-Zagat: a hotel's restaurants; the city is the place, not the business.
        ("cafe  ritz-carlton  buckhead", "ritz-carlton dining room (buckhead)", "", True),
        ("restaurant  ritz-carlton  atlanta", "ritz-carlton cafe (atlanta)", "", True),
        (
            "restaurant  ritz-carlton  atlanta",
            "ritz-carlton restaurant",
            "181 peachtree st., atlanta",
            False,
        ),
        ("four seasons grill room", "four seasons", "", False),  # a short name
        ("arts delicatessen", "arts deli", "", False),  # an abbreviated word
        ("philippes the original", "philippe the original", "", False),  # a typo
        ("golden nugget hotel", "stefanos", "", True),  # nothing shared
        # Chinese: the trade name is the distinctive word; region and legal form are not.
        ("宁波富邦", "宁波富邦精业集团股份有限公司", "", False),
        ("赛象科技", "天津赛象科技股份有限公司", "", False),
        ("华信科技有限公司", "华信电子有限公司", "", True),  # two trades
        ("万向钱潮股份有限公司", "万向德农股份有限公司", "", True),  # one group, two companies
        # Two registered names: after the start they share, a word other than filler.
        ("华为技术有限公司", "华为终端有限公司", "", True),
        ("美的集团股份有限公司", "广东美的制冷设备有限公司", "", True),
        ("北京华信科技有限公司", "北京华信科技发展有限公司", "", False),
        ("美的集团", "广东美的制冷设备有限公司", "", False),  # no legal form of its own
        ("Huaxin Technology", "华信电子有限公司", "", False),  # across scripts: not told
    ],
)
def test_names_another_business(left, right, place, expected):
    place_words = frozenset(address_tokens(place)) if place else frozenset()
    parts = company_name_parts(left), company_name_parts(right)
    assert names_another_business(*parts, place_words) is expected
    assert names_another_business(*reversed(parts), place_words) is expected


@pytest.mark.parametrize(
    ("short", "long", "block"),
    [
        # A short form of the distinctive part, with or without its region.
        ("大族激光", "大族激光科技产业集团股份有限公司", "nm:大族激光"),
        ("宁波富邦", "宁波富邦精业集团股份有限公司", "nm:宁波富邦"),
        # A name approved for the whole country (no region), without its legal form.
        ("交通银行", "交通银行股份有限公司", "nm:交通银行"),
        ("片仔癀", "漳州片仔癀药业股份有限公司", "nm:片仔癀"),
        # A stock short name: the trade name and 股份.
        ("腾龙股份", "常州腾龙汽车零部件股份有限公司", "nm:腾龙"),
        # An abbreviation with the legal name's trade word, under its first two characters.
        ("蓝英装备", "沈阳蓝英工业自动化装备股份有限公司", "nm:蓝英"),
    ],
)
def test_a_short_name_that_may_stand_for_its_company(short, long, block):
    a, b = company_name_parts(short), company_name_parts(long)

    found = short_name_of(b, a)

    assert found == a
    assert short_name_block(found, b) == block
    assert block in block_keys("customers", ORG | {"name": long})


@pytest.mark.parametrize(
    ("left", "right"),
    [
        # A legal form of its own: a registered company, not a short name.
        ("江苏舜天股份有限公司", "江苏舜天船舶股份有限公司"),
        ("赛象科技有限公司", "天津赛象科技股份有限公司"),
        # The body of a name with a region: other cities' registries hold it too.
        ("赛象科技", "天津赛象科技股份有限公司"),
        ("华信科技", "北京华信科技有限公司"),
        # The region in front is not the other's.
        ("东方海洋", "海洋石油工程股份有限公司"),
        # Into the industry words: may be another 银河's.
        ("银河科技", "西藏银河科技发展股份有限公司"),
        # An abbreviation whose trade word the legal name lacks.
        ("天源科技", "深圳天源迪科信息技术股份有限公司"),
        # Two characters alone (京东 of 京东方), a homophone, an English name.
        ("京东", "京东方科技集团股份有限公司"),
        ("北京华鑫科技有限公司", "北京华信科技有限公司"),
        ("Han's Laser", "大族激光科技产业集团股份有限公司"),
    ],
)
def test_a_name_that_is_no_short_name_of_the_other(left, right):
    assert short_name_of(company_name_parts(left), company_name_parts(right)) is None


@pytest.mark.parametrize(
    "marked",
    [
        "北京华信科技有限公司(停用)",
        "北京华信科技有限公司【作废】",
        "作废-北京华信科技有限公司",
        "[已注销]北京华信科技有限公司",
        "北京华信科技有限公司（旧）",
        "北京华信科技有限公司重复",
    ],
)
def test_a_status_an_erp_writes_into_a_name_is_no_part_of_it(marked):
    clean = company_name_parts("北京华信科技有限公司")
    parts = company_name_parts(marked)
    assert (parts.region, parts.core, parts.legal_form) == (
        clean.region,
        clean.core,
        clean.legal_form,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "北京华信科技有限公司（原北京华鑫电子有限公司）",
            ("北京华信科技有限公司", "北京华鑫电子有限公司"),
        ),
        (
            "北京华信科技有限公司(原名:北京华鑫电子有限公司)",
            ("北京华信科技有限公司", "北京华鑫电子有限公司"),
        ),
        (
            "北京华信科技有限公司(曾用名 北京华鑫电子有限公司)",
            ("北京华信科技有限公司", "北京华鑫电子有限公司"),
        ),
        # A city in brackets (原平, Shanxi) is the region, not a former name.
        ("华信科技(原平)有限公司", ("华信科技(原平)有限公司", "")),
        ("北京华信科技有限公司", ("北京华信科技有限公司", "")),
    ],
)
def test_a_former_name_noted_in_brackets(name, expected):
    assert former_name_in(name) == expected
    assert company_name_parts(name).core == company_name_parts(expected[0]).core


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        # the English name after or before the Chinese one, in brackets or not
        (
            "北京华信科技有限公司 Beijing Huaxin Technology Co., Ltd.",
            ("北京华信科技有限公司", "beijing huaxin technology co., ltd.", ""),
        ),
        (
            "华信科技(北京)有限公司(Huaxin Tech Co Ltd)",
            ("华信科技(北京)有限公司", "huaxin tech co ltd", ""),
        ),
        ("Huaxin Technology Co., Ltd. 华信科技", ("华信科技", "huaxin technology co., ltd.", "")),
        # a second name after a slash; a code
        ("北京华信科技有限公司/北京华信", ("北京华信科技有限公司", "", "北京华信")),
        ("华信科技(600001)", ("华信科技", "", "")),
        ("600001 华信科技", ("华信科技", "", "")),
        ("北京华信科技有限公司(客户编号C001)", ("北京华信科技有限公司", "", "")),
        # a brand in Latin letters is part of the name; a store number is not a code
        ("TCL科技集团股份有限公司", ("tcl科技集团股份有限公司", "", "")),
        ("北京华联超市有限公司(3号店)", ("北京华联超市有限公司(3号店)", "", "")),
    ],
)
def test_what_a_name_field_holds_besides_the_name(field, expected):
    assert name_field_parts(field) == expected


@pytest.mark.parametrize(
    "field",
    [
        "北京华信科技有限公司/一级代理商",  # a tag after a slash
        "北京华信科技有限公司/北京",  # a place
        "北京华信科技有限公司/上海鼎盛贸易有限公司",  # another company (an agent)
        "一级代理商/北京华信科技有限公司",  # a tag before the name
        "北京华信科技有限公司(Key Account)",  # a Latin tag
        "北京华信科技有限公司(原料供应商)",  # 原 starting a word, no former name
        "华信科技 Huaxin Technology",  # Latin words without a legal form beside a short name
        "王伟/李娜",  # two persons
        "北京华信科技有限公司/华信电子",  # another business of the trade name
        "北京华信科技有限公司上海分公司/北京华信科技有限公司",  # a branch before the slash
    ],
)
def test_a_tag_or_another_name_in_a_name_field_is_no_name_of_the_company(field):
    assert dict(with_former_name({"name": field})).keys() == {"name"}


@pytest.mark.parametrize(
    ("field", "english"),
    [
        (
            "北京华信科技有限公司 Beijing Huaxin Technology Co., Ltd.",
            "beijing huaxin technology co., ltd.",
        ),
        ("联想 Lenovo Group Limited", "lenovo group limited"),  # an English company name
    ],
)
def test_an_english_company_name_in_a_name_field_is_the_english_name(field, english):
    assert with_former_name({"name": field})["english_name"] == english


@pytest.mark.parametrize(
    ("field", "branch"),
    [
        ("招商银行股份有限公司/北京分行", "北京分行"),  # a branch after a slash
        ("中国移动通信集团山西有限公司(原平分公司)", "原平分公司"),  # 原平, a city
        ("清华大学附属中学", "附属中学"),
        ("北京华信附属设备制造有限公司", ""),  # 附属设备: accessory equipment
    ],
)
def test_a_branch_in_a_name_field_stays_a_branch(field, branch):
    assert company_name_parts(field).branch == branch


@pytest.mark.parametrize(
    "field",
    [
        "Huaxin Technology(客户编号C001)",
        "ABC Trading Ltd (原XYZ Trading Ltd)",
        "(原北京华鑫电子有限公司)",
    ],
)
def test_a_name_field_without_a_chinese_name_left_parses(field):
    company_name_parts(field)  # no error
    assert name_field_parts(field)[1:] == ("", "")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("New Balance专卖店", "Hugo Boss专卖店"),  # glued: the brand
        ("New Balance 上海专卖店", "Hugo Boss 上海专卖店"),  # beside a shop, not a company
    ],
)
def test_latin_words_of_a_shops_name_are_its_brand(left, right):
    assert company_name_parts(left).core != company_name_parts(right).core


def test_a_registry_status_is_no_part_of_the_name():
    parts = company_name_parts("北京华信科技有限公司(吊销,未注销)")
    assert (parts.core, parts.legal_form) == ("华信科技", "有限公司")


@pytest.mark.parametrize(
    "name",
    [
        "北京华信酒店管理有限公司(原北京华信饭店)",  # a former name that is no company's
        "北京饭店(总店)",
        "北京华信科技有限公司(天猫旗舰店)",
        "北京厂甸书店有限公司",  # 厂甸, a place in Beijing
        "华信集团大酒店有限公司",
    ],
)
def test_a_name_with_a_shop_word_is_no_branch(name):
    assert company_name_parts(name).branch == ""
