"""English company names read against Chinese ones (``matching.normalize.latin``) and
abbreviated short names (``normalize.abbreviates``).

Every pair is a real listed company under its registered name and the English name it uses
itself, or its stock short name and former short names.
"""

from __future__ import annotations

import pytest

from matching.compare import compare_company_name
from matching.keys import block_keys
from matching.normalize import (
    abbreviates,
    abbreviation_key,
    company_name_parts,
    initial_abbreviations,
)
from matching.normalize.latin import (
    FULL,
    INITIALS,
    TRADE,
    chinese_keys,
    fold,
    initials_key,
    latin_keys,
    latin_relation,
)

ORG = {"customer_type": "organization"}


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("xinyang", "Sinyang"),  # 新阳: s for x
        ("yongyou", "Yonyou"),  # 用友: -ng dropped
        ("suoling", "Soling"),  # 索菱: o for uo
        ("lijun", "Leejun"),  # 利君: ee for i
        ("jimin", "Chimin"),  # 济民: Wade-Giles ch for j
        ("lutai", "Lu Thai"),  # 鲁泰: aspiration written th, a space
    ],
)
def test_romanizations_of_one_name_fold_alike(one, other):
    assert fold(one) == fold(other)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # an ng before a vowel starts the next syllable: tian·gong, not tiang·ong
        ("Jiangsu Tiangong Tools Co., Ltd.", "江苏天工工具股份有限公司"),
        ("Jinguan Electric Co., Ltd.", "金冠电气股份有限公司"),
        # ... or ends this one (xing·an, 兴安)
        ("Xingan Mining Co., Ltd.", "兴安矿业股份有限公司"),
    ],
)
def test_a_word_of_several_syllables_reads_as_its_characters(english, chinese):
    latin, han = company_name_parts(english), company_name_parts(chinese)

    assert latin_relation(latin, han) == FULL
    assert set(latin_keys(latin)) & set(chinese_keys(han))


def test_different_syllables_do_not_fold_alike():
    assert fold("tianma") != fold("dianma")  # 天马 / 电马: t and d stay apart
    assert fold("huaxin") != fold("huaxia")


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # transliterated in another romanization, the trade word translated
        ("Lu Thai Textile Co., Ltd.", "鲁泰纺织股份有限公司"),
        ("Shanghai Sinyang Semiconductor Materials Co., Ltd.", "上海新阳半导体材料股份有限公司"),
        ("Yonyou Network Technology Co.,Ltd.", "用友网络科技股份有限公司"),
        # a character read another way (晟: sheng or cheng)
        ("Changzhou Tiansheng New Materials Co., Ltd.", "常州天晟新材料股份有限公司"),
        # translated words of the name itself
        ("Nanfang Black Sesame Group Co., Ltd.", "南方黑芝麻集团股份有限公司"),
        # a name that is region and trade word only keeps its region
        ("Zhejiang Medicine Co., Ltd.", "浙江医药股份有限公司"),
        ("Nanjing Port Co., Ltd.", "南京港股份有限公司"),
        # a phrase of the table is one step of a sound key (Great Wall: 长城)
        ("Great Wall Motor Company Limited", "长城汽车股份有限公司"),
    ],
)
def test_an_english_name_explains_its_chinese_name_fully(english, chinese):
    latin, han = company_name_parts(english), company_name_parts(chinese)

    assert latin_relation(latin, han) == FULL
    # They meet under a sound key, and compare as well as the same pinyin does.
    assert set(latin_keys(latin)) & set(chinese_keys(han))
    assert {k for k in block_keys("customers", ORG | {"name": english}) if k[:3] == "tl:"} & {
        k for k in block_keys("customers", ORG | {"name": chinese}) if k[:3] == "tl:"
    }
    assert compare_company_name(english, chinese) == 0.98


def test_initials_explain_the_characters_they_start():
    # 许继 (xu ji): two letters make a sound key only with the word that follows them.
    latin = company_name_parts("XJ Electric Co., Ltd.")
    assert latin_relation(latin, company_name_parts("许继电气股份有限公司")) == FULL
    # ... and any other characters with those initials: weak evidence on its own.
    assert latin_relation(latin, company_name_parts("徐记电气股份有限公司")) == FULL
    assert latin_relation(latin, company_name_parts("许昌电气股份有限公司")) is None  # xu chang


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("BYD Company Limited", "比亚迪股份有限公司"),  # three initials alone
        ("GL Tech Co.,Ltd", "郑州光力科技股份有限公司"),  # two, with the trade word's sound
        ("XJ Electric Co., Ltd.", "许继电气股份有限公司"),
        ("Shanghai DZH Limited", "上海大智慧股份有限公司"),
    ],
)
def test_an_abbreviated_english_name_meets_the_chinese_name_it_abbreviates(english, chinese):
    latin, han = company_name_parts(english), company_name_parts(chinese)

    assert latin_relation(latin, han) == FULL
    shared = set(latin_keys(latin)) & set(chinese_keys(han))
    assert any(key.startswith(INITIALS) for key in shared)
    # Initials fit many names: as strong as a short form, evidence for review.
    assert compare_company_name(english, chinese) == 0.87


def test_initials_that_fit_other_names_are_no_more_than_review_evidence():
    assert compare_company_name("BYD Company Limited", "百业达股份有限公司") == 0.87
    # b·y·d of 博雅电 leaves 子: nothing more than the characters' ratio
    assert compare_company_name("BYD Company Limited", "博雅电子股份有限公司") < 0.85
    assert compare_company_name("XJ Co Ltd", "兴佳电气有限公司") < 0.85


def test_a_translated_trade_phrase_is_no_initials_key():
    # The parser turns "Information Technology" into 信息技术: letters, but not initials.
    keys = latin_keys(company_name_parts("Beijing Huaxin Information Technology Co., Ltd."))
    assert not [k for k in keys if k[:1] == INITIALS]


def test_two_initials_alone_make_no_key():
    # Two letters name thousands of companies: no key of their own.
    assert not [k for k in latin_keys(company_name_parts("GL Co., Ltd.")) if k[:1] == INITIALS]
    assert initials_key(company_name_parts("光力股份有限公司")) == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # the Chinese core is a trade word only once the county is read as a region
        ("Fujian Yongan Forestry(Group)Joint -Stock Co.,Ltd.", "福建省永安林业(集团)股份有限公司"),
        ("Yunnan Jinggu Forestry Co.,Ltd", "云南景谷林业股份有限公司"),
        # a province written in two syllables
        ("Zhe Jiang Kangsheng Co.,Ltd.", "浙江康盛股份有限公司"),
        ("Shang Hai Ya Tong Co.,Ltd.", "上海亚通股份有限公司"),
        # "A of B" says B A
        ("Bank of Ningbo Co., Ltd.", "宁波银行股份有限公司"),
    ],
)
def test_an_english_name_meets_its_chinese_name_past_the_region_words(english, chinese):
    latin, han = company_name_parts(english), company_name_parts(chinese)

    assert latin_relation(latin, han) == FULL
    assert set(latin_keys(latin)) & set(chinese_keys(han))
    assert compare_company_name(english, chinese) == 0.98


def test_an_english_name_that_says_a_trade_word_more_explains_the_trade_name():
    # Every character read; the English name's words left over are trade words.
    english, chinese = "Nanning Chemical Industry Co., Ltd.", "南宁化工股份有限公司"
    assert latin_relation(company_name_parts(english), company_name_parts(chinese)) == TRADE
    assert compare_company_name(english, chinese) == 0.86
    english, chinese = "Xiangtan Electric Manufacturing Co. Ltd.", "湘潭电机股份有限公司"
    assert latin_relation(company_name_parts(english), company_name_parts(chinese)) == TRADE


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # 上海医药 read, and a word more that names something else: Kinetic Medical is 凯利泰
        ("Shanghai Kinetic Medical Co., Ltd", "上海医药集团股份有限公司"),
        ("Shanghai Phoenix Medicine Co., Ltd", "上海医药集团股份有限公司"),
        ("Nanning Golden Dragon Chemical Industry Co., Ltd.", "南宁化工股份有限公司"),
        ("Xiangtan Red Star Electric Manufacturing Co., Ltd.", "湘潭电机股份有限公司"),
        # another trade said more: 化工 is not 化工制药's
        ("Nanning Chemical Pharmaceutical Co., Ltd.", "南宁化工股份有限公司"),
    ],
)
def test_an_english_name_that_says_another_name_or_trade_more_is_not_explained(english, chinese):
    assert latin_relation(company_name_parts(english), company_name_parts(chinese)) is None


def test_an_english_name_with_a_brand_word_unexplained_is_another_company():
    english, chinese = "Shanghai Kinetic Medical Co., Ltd", "上海医药集团股份有限公司"
    assert compare_company_name(english, chinese) < 0.85


def test_a_region_alone_is_no_sound_key():
    # Every Shenzhen company's English name starts with Shenzhen: a key of its own would be
    # a block of them all.
    keys = chinese_keys(company_name_parts("广东省深圳市华为技术有限公司"))
    assert fold("shenzhen") not in keys and fold("guangdong") not in keys
    assert fold("shenzhen") + fold("huawei") in keys


def test_an_of_name_keeps_its_branch_and_its_region():
    assert company_name_parts("Bank of China Limited Shenzhen Branch").branch == "深圳分公司"
    branch = company_name_parts("Bank of Ningbo Co., Ltd. Shanghai Branch")
    head = company_name_parts("Bank of Ningbo Co Ltd")
    # The same name, one a branch: the branch rule keeps them apart, not the name.
    assert (branch.core, branch.branch, head.branch) == (head.core, "上海分公司", "")
    # Ningbo Bank and Beijing Bank: the region is the name, as in 宁波银行 / 北京银行.
    assert compare_company_name("Bank of Ningbo Co., Ltd.", "Bank of Beijing Co., Ltd.") < 0.85


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # another region: 佛山 is not 湘潭
        ("Foshan Electrical and Lighting Co.,Ltd", "湘潭电机股份有限公司"),
        # each side names a trade the other does not: film and 信息
        ("Wanda Film Holding Co., Ltd.", "万达信息股份有限公司"),
        # 万维 is trade name, and no English word says it
        ("Kunlun Tech Co., Ltd.", "北京昆仑万维科技股份有限公司"),
        # a brand says nothing of the characters
        ("Glodon Company Limited", "广联达软件股份有限公司"),
    ],
)
def test_an_english_name_that_does_not_explain_the_chinese_one(english, chinese):
    assert latin_relation(company_name_parts(english), company_name_parts(chinese)) is None


def test_strict_reading_refuses_other_romanizations():
    latin, han = (
        company_name_parts("Lu Thai Textile Co., Ltd."),
        company_name_parts("鲁泰纺织股份有限公司"),
    )
    assert latin_relation(latin, han, strict=True) is None
    assert (
        latin_relation(
            company_name_parts("Jinzhou Port Co., Ltd."),
            company_name_parts("锦州港股份有限公司"),
            strict=True,
        )
        == FULL
    )


@pytest.mark.parametrize(
    ("short", "legal"),
    [
        ("创元", "创元科技股份有限公司"),  # the trade name
        ("宁沪", "江苏宁沪高速公路股份有限公司"),  # the start of the trade name
        ("江铜", "江西铜业股份有限公司"),  # region initial + core initial
        ("新赛", "新疆赛里木现代农业股份有限公司"),
        ("深天地", "深圳市天地(集团)股份有限公司"),
        # the first character of each word (缩略语)
        ("长电", "长江电力股份有限公司"),
        ("宜纸", "宜宾纸业股份有限公司"),
        ("招行", "招商银行股份有限公司"),  # a bank by its last character
        ("中石化", "中国石油化工股份有限公司"),
        ("工行", "中国工商银行股份有限公司"),  # read without the national marker
    ],
)
def test_a_stock_short_name_abbreviates_its_legal_name(short, legal):
    a, b = company_name_parts(short), company_name_parts(legal)

    assert abbreviates(a, b)
    keys = block_keys("customers", ORG | {"name": legal})
    assert abbreviation_key(a) in keys or "nm:" + a.core[:2] in keys


@pytest.mark.parametrize(
    ("legal", "abbreviations"),
    [
        ("长江电力股份有限公司", ("长电",)),
        ("中国银行股份有限公司", ("中行",)),
        ("中国石油化工股份有限公司", ("中石", "中石化", "石化")),
        # a trade name of more than one word is cut at its start instead (海康 of 海康威视)
        ("杭州海康威视数字技术股份有限公司", ()),
        # nothing after the trade name to abbreviate
        ("比亚迪股份有限公司", ()),
        # a branch is no company's short name
        ("招商银行股份有限公司北京分行", ()),
    ],
)
def test_the_initials_of_a_name_of_several_words(legal, abbreviations):
    assert initial_abbreviations(company_name_parts(legal)) == abbreviations


@pytest.mark.parametrize(
    ("short", "legal"),
    [
        ("国际", "中国大连国际合作(集团)股份有限公司"),  # a trade word, not a name
        ("科技", "创元科技股份有限公司"),
        ("北京华联", "北京华联综合超市股份有限公司"),  # a region: a regional short form instead
        ("华信科技有限公司", "北京华信科技有限公司"),  # a legal form of its own: a company
        ("长力", "长江电力股份有限公司"),  # not the first character of each word
        ("江电", "长江电力股份有限公司"),
    ],
)
def test_what_is_not_an_abbreviation(short, legal):
    assert not abbreviates(company_name_parts(short), company_name_parts(legal))


ENGLISH = [
    "Lu Thai Textile Co., Ltd.",
    "XJ Electric Co., Ltd.",
    "Shanghai Kinetic Medical Co., Ltd",
    "Nanjing Port Co., Ltd.",
    "Changzhou Tiansheng New Materials Co., Ltd.",
    "Wanda Film Holding Co., Ltd.",
    "Bank of Ningbo Co., Ltd.",
    "Jiangsu Tiangong Tools Co., Ltd.",
]
CHINESE = [
    "鲁泰纺织股份有限公司",
    "许继电气股份有限公司",
    "徐记电气股份有限公司",
    "上海医药集团股份有限公司",
    "南京港股份有限公司",
    "常州天晟新材料股份有限公司",
    "万达信息股份有限公司",
    "湘潭电机股份有限公司",
    "锦州港股份有限公司",
    "宁波银行股份有限公司",
    "江苏天工工具股份有限公司",
]


@pytest.mark.parametrize("strict", [False, True])
def test_the_quick_refusal_never_refuses_what_the_alignment_would_find(monkeypatch, strict):
    from matching.normalize import latin

    pairs = [(company_name_parts(e), company_name_parts(c)) for e in ENGLISH for c in CHINESE]
    quick = [latin_relation(a, b, strict=strict) for a, b in pairs]
    monkeypatch.setattr(latin, "_may_explain", lambda *_args: True)
    latin.latin_relation.cache_clear()  # answered again, without the quick refusal

    assert [latin_relation(a, b, strict=strict) for a, b in pairs] == quick
    assert sum(1 for found in quick if found) >= 3  # not all refused
