"""Seeded synthetic master data with known ground truth.

Enterprises keep the same customer, product or material in several systems (ERP, CRM, web
shop), each with its own codes and its own habits of writing things down. This module fakes
such exports: it first invents the real-world things (companies, persons, products,
materials), then writes each one into the systems that "know" it, every copy with the kind
of variation real data has (dropped legal forms, full-width brackets, traditional characters,
homophone typos, missing or mistyped credit codes, phone numbers in five formats ...).

Every record carries the ``truth_id`` of the thing it describes, so matching quality can be
measured. The hub itself never sees truth ids; they go to separate files.

The module is pure: no Django, no database, no network, no global random state. The same
arguments always give the same records (no iteration over sets or ``hash()`` of strings,
whose order changes between processes).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Generic, TypeVar

from stdnum import ean
from stdnum.cn import ric, uscc

__all__ = [
    "CUSTOMER_KEYS",
    "MATERIAL_KEYS",
    "NOISE",
    "PRODUCT_KEYS",
    "SYSTEMS",
    "Noise",
    "SynthRecord",
    "generate_customers",
    "generate_materials",
    "generate_products",
    "iter_customers_fast",
]

T = TypeVar("T")


def _words(text: str) -> tuple[str, ...]:
    """Word lists are written as space-separated strings: easier to read and extend."""
    return tuple(text.split())


def _split(text: str, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(sep) if part.strip())


def _table(text: str) -> list[list[str]]:
    """Rows of a '|'-separated table written as a module string (one row per line)."""
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


def _params(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Spec parameters: 'd=6,8; l=20,25' -> (("d", ("6", "8")), ("l", ("20", "25")))."""
    pairs = (part.split("=", 1) for part in _split(text, ";"))
    return tuple((name.strip(), _split(options, ",")) for name, options in pairs)


@dataclass(frozen=True)
class SynthRecord:
    """One row of one source system's export."""

    system: str  # "ERP" | "CRM" | "ECOM"
    entity: str  # "customers" | "products" | "materials"
    local_code: str
    attributes: dict[str, str]  # dictionary element code -> value as exported ("" = missing)
    truth_id: str  # same truth_id == same real-world thing


SYSTEMS: tuple[str, ...] = ("ERP", "CRM", "ECOM")

CUSTOMER_KEYS: tuple[str, ...] = (
    "name",
    "customer_type",
    "credit_code",
    "id_number",
    "phone",
    "email",
    "address",
    "region_code",
    "birth_date",
    "postal_code",
    "contact_name",
    "english_name",
)
PRODUCT_KEYS: tuple[str, ...] = ("name", "model", "brand", "category", "uom", "gtin")
MATERIAL_KEYS: tuple[str, ...] = ("name", "spec", "material_group", "base_uom", "material_type")


# ---------------------------------------------------------------------------------------------
# Noise: how often each kind of variation happens
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """Base probability of each variation for one copy of a record.

    Each system multiplies these by its SYSTEM_SLOPPINESS: the ERP is maintained by finance
    and fairly clean, the CRM is typed by sales people, the shop by the customers themselves.
    Tests replace NOISE (``dataclasses.replace``) to switch single variations off.
    """

    legal_form: float = 0.15  # 有限公司 -> 有限责任公司 / dropped
    name_region: float = 0.15  # 深圳市 -> 深圳 / 广东省深圳市 / dropped
    half_width_brackets: float = 0.30  # （上海） -> (上海)
    traditional: float = 0.03  # 华信 -> 華信
    homophone: float = 0.05  # 华信 -> 华鑫
    short_name: float = 0.06  # CRM and shop only: 华信科技 instead of the registered name
    extra_space: float = 0.06
    english_in_shop: float = 0.25  # shop uses the English name (if the company has one)
    pinyin_name: float = 0.04  # shop: a person signs up as "Wang Wei"
    credit_code_typo: float = 0.03  # one character changed: the check character fails
    credit_code_lower: float = 0.03
    credit_code_spaced: float = 0.03
    full_width: float = 0.03  # full-width digits and letters (ＡＢ１２)
    phone_format: float = 0.35  # a format other than the system's usual one
    other_phone: float = 0.15  # persons: their other mobile (companies: see _render_company)
    other_contact: float = 0.15
    address_province: float = 0.30  # province omitted
    address_city: float = 0.10  # city written without 市, or omitted
    address_abbrev: float = 0.10  # 号 / 号楼, 楼 / 层 / F, 大厦 / 大楼 ...
    address_spaces: float = 0.08


NOISE = Noise()

SYSTEM_SLOPPINESS: dict[str, float] = {"ERP": 0.6, "CRM": 1.0, "ECOM": 1.6}

# Probability that a system holds a given real thing at all, and that it holds it twice
# (two records created independently, e.g. by two sales reps).
COMPANY_PRESENCE: dict[str, float] = {"ERP": 0.80, "CRM": 0.70, "ECOM": 0.40}
PERSON_PRESENCE: dict[str, float] = {"ERP": 0.30, "CRM": 0.65, "ECOM": 0.75}
SAME_SYSTEM_DUPLICATE: dict[str, float] = {"ERP": 0.03, "CRM": 0.06, "ECOM": 0.05}

# Share of missing values per system (a credit code is rarely asked for in the shop).
CREDIT_CODE_MISSING: dict[str, float] = {"ERP": 0.08, "CRM": 0.35, "ECOM": 0.65}
ID_NUMBER_MISSING: dict[str, float] = {"ERP": 0.15, "CRM": 0.40, "ECOM": 0.70}
POSTAL_CODE_MISSING: dict[str, float] = {"ERP": 0.15, "CRM": 0.45, "ECOM": 0.55}
EMAIL_MISSING: dict[str, float] = {"ERP": 0.30, "CRM": 0.20, "ECOM": 0.05}

# Hard negatives: different real things that look alike.
SAME_CORE_OTHER_CITY_RATE = 0.08  # 北京华信科技 vs 广州华信科技
BRANCH_RATE = 0.05  # 北京华信科技有限公司上海分公司
ONE_CHAR_NEIGHBOUR_RATE = 0.03  # 华信科技 vs 华兴科技, same city
NAMESAKE_RATE = 0.12  # two persons called 王伟 with different birth dates
TWIN_RATE = 0.05  # same birth date and address, different given names

FAST_VARIANT_SHARE = 0.30  # iter_customers_fast: share of records re-describing an earlier entity
FAST_POOL_SIZE = 20_000  # earlier entities kept for that (bounded memory)


# ---------------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _City:
    name: str  # 深圳 (without 市)
    province: str  # 广东省; for municipalities the city itself (北京市)
    province_short: str  # 广东
    pinyin: str
    prefix: str  # first four digits of the administrative division code
    area_code: str
    postal_prefix: str
    crm_region: str  # region part of CRM customer codes
    erp_dept: str  # ERP sales department serving the city
    municipality: bool
    weight: int  # how many customers are based there
    landline_len: int = 8

    @property
    def with_shi(self) -> str:
        return self.name + "市"

    @property
    def city_code(self) -> str:
        """Division code of the city itself (municipalities: of the province level)."""
        return self.prefix[:2] + "0000" if self.municipality else self.prefix + "00"


CITIES: tuple[_City, ...] = (
    _City("北京", "北京市", "北京", "Beijing", "1101", "010", "100", "BJ", "SD01", True, 14),
    _City("上海", "上海市", "上海", "Shanghai", "3101", "021", "200", "SH", "SD02", True, 14),
    _City("广州", "广东省", "广东", "Guangzhou", "4401", "020", "510", "GZ", "SD03", False, 9),
    _City("深圳", "广东省", "广东", "Shenzhen", "4403", "0755", "518", "SZ", "SD03", False, 11),
    _City("杭州", "浙江省", "浙江", "Hangzhou", "3301", "0571", "310", "HZ", "SD02", False, 7),
    _City("南京", "江苏省", "江苏", "Nanjing", "3201", "025", "210", "NJ", "SD02", False, 5),
    _City("苏州", "江苏省", "江苏", "Suzhou", "3205", "0512", "215", "SU", "SD02", False, 6),
    _City("成都", "四川省", "四川", "Chengdu", "5101", "028", "610", "CD", "SD04", False, 6),
    _City("武汉", "湖北省", "湖北", "Wuhan", "4201", "027", "430", "WH", "SD04", False, 5),
    _City("天津", "天津市", "天津", "Tianjin", "1201", "022", "300", "TJ", "SD01", True, 4),
    _City("重庆", "重庆市", "重庆", "Chongqing", "5001", "023", "400", "CQ", "SD04", True, 4),
    _City("西安", "陕西省", "陕西", "Xi'an", "6101", "029", "710", "XA", "SD01", False, 3),
    _City("长沙", "湖南省", "湖南", "Changsha", "4301", "0731", "410", "CS", "SD04", False, 3),
    _City("青岛", "山东省", "山东", "Qingdao", "3702", "0532", "266", "QD", "SD01", False, 3),
    _City("济南", "山东省", "山东", "Jinan", "3701", "0531", "250", "JN", "SD01", False, 2),
    _City("厦门", "福建省", "福建", "Xiamen", "3502", "0592", "361", "XM", "SD03", False, 3, 7),
    _City("宁波", "浙江省", "浙江", "Ningbo", "3302", "0574", "315", "NB", "SD02", False, 3),
    _City("佛山", "广东省", "广东", "Foshan", "4406", "0757", "528", "FS", "SD03", False, 3),
    _City("无锡", "江苏省", "江苏", "Wuxi", "3202", "0510", "214", "WX", "SD02", False, 2),
)

# Core names ("字号"): the distinctive part of a company name. Curated words first; the
# head x tail pairs make the space large enough for a million unique companies.
CORE_WORDS: tuple[str, ...] = _words(
    "华信 腾达 恒瑞 中科 金桥 浦江 宏达 鼎盛 瑞丰 天元 海纳 博远 "
    "永利 联创 汇通 正泰 远航 嘉禾 安泰 明辉 东方 南天 星河 盛世 "
    "新华 光明 德润 佳美 润丰 凯盈 泰和 云峰 立信 宇通 富源 珠江 "
    "燕山 西湖 钱塘 华夏 中恒 金鼎 银河 天成 顺达 华美 九州 环球 "
    "蓝天 绿源 万通 百盛 同创 信达 和泰 恒通 华创 中瑞 华瑞 锦程"
)
CORE_HEADS = "华金中新宏恒天海东南盛鼎瑞博永汇正远联嘉佳德泰明光星安凯富润云万百同和顺银绿蓝九世宇航创腾浩锦鑫荣诚"
CORE_TAILS = "信达瑞科桥丰元纳远利创通泰航禾辉方天河世华润美盈和峰源宇成州球盛鼎恒兴晨康祥安业邦泽力杰腾隆宝昌德"
CORE_TRIPLES: tuple[str, ...] = _words(
    "新纪元 金太阳 东方龙 百事通 大中华 新时代 华夏星 金三角 千里马 "
    "好运来 四海通 五洲汇 七星河 万家福 天地人"
)


@dataclass(frozen=True)
class _Industry:
    zh: str
    en: str
    domain: str  # used in made-up e-mail domains (huaxin-tech.com)


INDUSTRIES: tuple[_Industry, ...] = (
    _Industry("科技", "Technology", "tech"),
    _Industry("电子", "Electronics", "elec"),
    _Industry("物流", "Logistics", "logistics"),
    _Industry("医药", "Pharmaceutical", "pharma"),
    _Industry("贸易", "Trading", "trade"),
    _Industry("机械", "Machinery", "mach"),
    _Industry("建材", "Building Materials", "bm"),
    _Industry("食品", "Food", "food"),
    _Industry("信息技术", "Information Technology", "it"),
    _Industry("网络科技", "Network Technology", "net"),
    _Industry("新能源", "New Energy", "energy"),
    _Industry("环保科技", "Environmental Technology", "env"),
    _Industry("化工", "Chemical", "chem"),
    _Industry("纺织", "Textile", "textile"),
    _Industry("服饰", "Apparel", "fashion"),
    _Industry("汽车配件", "Auto Parts", "auto"),
    _Industry("餐饮管理", "Catering Management", "catering"),
    _Industry("文化传媒", "Culture Media", "media"),
    _Industry("实业", "Industrial", "group"),
    _Industry("建筑工程", "Construction Engineering", "build"),
    _Industry("供应链管理", "Supply Chain Management", "scm"),
    _Industry("生物科技", "Biotechnology", "bio"),
    _Industry("电气", "Electric", "electric"),
    _Industry("包装", "Packaging", "pack"),
    _Industry("家居", "Home Furnishing", "home"),
    _Industry("软件", "Software", "soft"),
    _Industry("医疗器械", "Medical Devices", "med"),
    _Industry("农业发展", "Agricultural Development", "agri"),
)


@dataclass(frozen=True)
class _LegalForm:
    zh: str
    en: str
    variants: tuple[str, ...]  # how people write it differently ("" = omitted)
    weight: int


LEGAL_FORMS: tuple[_LegalForm, ...] = (
    _LegalForm("有限公司", "Co., Ltd.", ("有限责任公司", "", "公司"), 55),
    _LegalForm("有限责任公司", "Co., Ltd.", ("有限公司", ""), 15),
    _LegalForm("股份有限公司", "Co., Ltd.", ("股份公司", "有限公司", ""), 15),
    _LegalForm("集团有限公司", "Group Co., Ltd.", ("集团", "集团公司", "有限公司"), 8),
)
ENGLISH_LEGAL_VARIANTS = ("Co.,Ltd.", "CO., LTD.", "Company Limited", "Co. Ltd", "Co., Ltd")

# Simplified character -> characters pronounced (nearly) the same: what an input method
# offers first when someone types the pinyin quickly.
HOMOPHONES: dict[str, str] = {
    "信": "鑫新欣", "达": "大答", "华": "化骅", "恒": "衡横", "瑞": "锐睿", "科": "可",
    "金": "今津", "桥": "侨乔", "宏": "鸿弘", "鼎": "顶", "盛": "胜晟", "丰": "峰锋",
    "元": "源圆", "博": "搏柏", "远": "源元", "世": "士事", "利": "力立", "创": "闯",
    "汇": "惠会", "通": "同童", "正": "政证", "泰": "太态", "航": "杭", "腾": "藤誊",
    "天": "添田", "联": "连莲", "纳": "娜", "晨": "辰臣", "辉": "晖徽", "星": "兴",
    "安": "岸", "嘉": "佳家", "伟": "玮炜", "建": "健剑", "康": "慷", "明": "鸣铭",
    "光": "广", "德": "得", "新": "欣心", "中": "忠钟", "成": "诚城", "祥": "翔",
    "兴": "星馨", "江": "疆", "东": "冬", "南": "楠", "永": "泳勇", "立": "力利",
    "佳": "嘉家", "浦": "普谱", "云": "芸", "峰": "丰锋", "凯": "恺楷", "盈": "营赢",
    "润": "闰", "富": "福复", "源": "元远", "宇": "雨羽", "浩": "昊皓", "鹏": "朋",
    "杰": "洁捷", "静": "婧", "丽": "莉俐", "婷": "亭", "琳": "林霖", "芳": "方",
    "敏": "民", "娜": "那", "军": "君均", "勇": "永涌", "涛": "韬", "斌": "彬",
    "超": "潮", "平": "萍", "飞": "菲", "波": "博", "宁": "凝", "俊": "骏",
    "志": "智", "文": "雯", "燕": "艳", "玲": "凌铃", "霞": "侠", "红": "虹宏",
    "慧": "惠蕙", "颖": "莹", "倩": "茜", "欣": "心新", "怡": "仪宜", "瑶": "遥",
    "月": "悦", "梅": "玫", "莉": "丽", "秀": "绣", "桂": "贵", "萍": "平",
    "艳": "燕", "娟": "鹃", "洁": "杰", "琪": "琦祺", "美": "媄", "和": "禾",
    "禾": "和", "宝": "保", "昌": "常", "隆": "龙", "邦": "帮", "泽": "则",
    "锦": "金", "荣": "容", "诚": "成", "鑫": "信", "银": "寅", "绿": "律",
}  # fmt: skip

# (surname, weight): the most common surnames are much more common.
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (s, 6 if i < 10 else 3 if i < 30 else 1)
    for i, s in enumerate(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
        "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    )
)
SURNAME_PINYIN: dict[str, str] = {"曾": "zeng"}  # pypinyin reads the character, not the surname
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁凯浩宇俊峰建国文志鸿晨轩博"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红琳婷雪慧颖倩洁佳琪欣怡瑶月梅莉"
CONTACT_TITLES = ("经理", "总", "先生", "女士", "主任")

STREET_WORDS: tuple[str, ...] = _words(
    "中山 解放 人民 建设 新华 和平 长江 黄河 学院 科技 创业 文化 "
    "东风 胜利 光明 青年 迎宾 滨江 江南 金融 工业 高新 软件园 华山 "
    "泰山 延安 北京 南京 湖滨 花园"
)
STREET_KINDS = (
    ("路", 12),
    ("大道", 3),
    ("街", 3),
    ("东路", 1),
    ("西路", 1),
    ("南路", 1),
    ("北路", 1),
)
TOWERS: tuple[str, ...] = _words(
    "科技大厦 国际大厦 金融中心 商务中心 创新大厦 时代广场 世纪大厦 环球中心 财富广场 中心大厦"
)
ESTATES: tuple[str, ...] = _words(
    "阳光花园 碧水湾 翠苑 锦绣家园 金色港湾 世纪花城 幸福里 和谐小区 "
    "东方名都 绿地新城 滨江花园 融创府"
)

MOBILE_PREFIXES: tuple[str, ...] = _words(
    "130 131 132 133 135 136 137 138 139 "
    "150 151 152 155 156 158 159 166 177 "
    "180 181 185 186 187 188 189 199"
)
FREE_MAIL = ("qq.com", "163.com", "126.com", "sina.com", "aliyun.com", "foxmail.com")
ROLE_MAILBOXES = ("info", "sales", "service", "contact", "admin", "office", "finance")

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    # rng.choice and rng.randint go through _randbelow, several times slower than one
    # rng.random(); that matters for the million-record stream. Bias is below 2**-40.
    return seq[int(rng.random() * len(seq))]


def _randint(rng: random.Random, a: int, b: int) -> int:
    """Like rng.randint(a, b), cheaper (see _pick)."""
    return a + int(rng.random() * (b - a + 1))


class _Weighted(Generic[T]):
    """Weighted choice with precomputed cumulative weights (random.choices recomputes them)."""

    def __init__(self, items: Sequence[tuple[T, float]]) -> None:
        self.values: list[T] = [v for v, _ in items]
        self.cum: list[float] = list(itertools.accumulate(w for _, w in items))

    def __call__(self, rng: random.Random) -> T:
        return self.values[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


def _full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def _insert_space(parts: list[str], rng: random.Random) -> str:
    """Join parts, with one stray space somewhere: between parts, around, or ideographic."""
    parts = [p for p in parts if p]
    where = rng.randrange(len(parts) + 1)
    space = _pick(rng, (" ", " ", "  ", "\u3000"))
    if where == 0:
        return space + "".join(parts)
    if where == len(parts):
        return "".join(parts) + " "
    return "".join(parts[:where]) + space + "".join(parts[where:])


def _homophone_typo(text: str, rng: random.Random) -> str:
    positions = [i for i, ch in enumerate(text) if ch in HOMOPHONES]
    if not positions:
        return text
    i = _pick(rng, positions)
    return text[:i] + _pick(rng, HOMOPHONES[text[i]]) + text[i + 1 :]


@lru_cache(maxsize=1)
def _s2t() -> Callable[[str], str]:
    import opencc  # opencc-python-reimplemented; imported lazily, it loads dictionaries

    return opencc.OpenCC("s2t").convert


@lru_cache(maxsize=8192)
def _traditional(text: str) -> str:
    return _s2t()(text)


# Pinyin caches are unbounded: their keys come from the finite word lists (cores, industries,
# name characters), and pypinyin is by far the most expensive call in the stream.
@cache
def _phrase_pinyin(text: str) -> str:
    """Pinyin of a word, phrase-aware (长江 -> changjiang), lower case, no tones."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text))


@cache
def _initials(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))


def _name_pinyin(surname: str, given: str) -> tuple[str, str]:
    return SURNAME_PINYIN.get(surname) or _phrase_pinyin(surname), _phrase_pinyin(given)


# ---------------------------------------------------------------------------------------------
# Administrative divisions (stdnum/cn/loc.dat)
# ---------------------------------------------------------------------------------------------

_OPEN_END = 9999


@dataclass(frozen=True)
class _Division:
    """A six-digit division code and the names it carried over time."""

    code: str
    spans: tuple[tuple[int, int, str], ...]  # (first year, last year, name)

    @property
    def current_name(self) -> str | None:
        for _start, end, name in self.spans:
            if end == _OPEN_END:
                return name
        return None

    def assigned_in(self, year: int) -> bool:
        # Mirrors stdnum.cn.ric.get_birth_place: an ID's region must exist in its birth year.
        return any(start <= year <= end for start, end, _ in self.spans)


_SPAN_RE = re.compile(r"^\[(\d*)-(\d*)\](.*)$")


def _parse_spans(value: str) -> tuple[tuple[int, int, str], ...]:
    spans = []
    for part in value.split(","):
        m = _SPAN_RE.match(part)
        if m is None:
            spans.append((0, _OPEN_END, part))
        else:
            start, end, name = m.groups()
            spans.append((int(start or 0), int(end or _OPEN_END), name))
    return tuple(spans)


@lru_cache(maxsize=1)
def _divisions() -> dict[str, _Division]:
    text = (resources.files("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8")
    result: dict[str, _Division] = {}
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, rest = line.strip().partition(" ")
        if not line.startswith(" "):
            province = code
            continue
        m = re.search(r'county="([^"]*)"', rest)
        if m:
            full = province + code
            result[full] = _Division(full, _parse_spans(m.group(1)))
    return result


@lru_cache(maxsize=64)
def _districts(city: _City) -> tuple[_Division, ...]:
    """Urban districts of a city that exist today (what a current address would name)."""
    found = []
    for code, div in _divisions().items():
        name = div.current_name
        if (
            code.startswith(city.prefix)
            and code[4:] != "00"
            and name
            and name.endswith("区")
            and name not in ("市辖区", "市区", "郊区")
        ):
            found.append(div)
    if not found:
        raise RuntimeError(f"no districts for {city.name} in stdnum loc.dat")
    return tuple(found)


@lru_cache(maxsize=64)
def _birth_divisions(city: _City) -> tuple[_Division, ...]:
    """Every county-level code of a city: older people's IDs carry since-abolished codes."""
    return tuple(
        div
        for code, div in _divisions().items()
        if code.startswith(city.prefix) and code[4:] != "00" and "市辖区" not in div.spans[-1][2]
    )


def _postal_code(city: _City, district: _Division, rng: random.Random) -> str:
    # Real codes are prefix + delivery area; derive the area from the district so that
    # neighbours share it, and vary the last digit per address.
    area = int(district.code[4:]) % 90 + 1
    return f"{city.postal_prefix}{area:02d}{_pick(rng, '0001234568')}"


# ---------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------


def _org_code(rng: random.Random) -> str:
    """Organisation code (GB 11714) as embedded in a USCC: 8 characters + check character.

    Companies registered since 2015 got codes starting with MA; older ones kept their
    numeric organisation code.
    """
    if rng.random() < 0.6:
        body = "MA" + "".join(rng.choices(_USCC_ALPHABET, k=6))
    else:
        body = f"{_randint(rng, 0, 10**8 - 1):08d}"
    total = sum(w * int(ch, 36) for w, ch in zip((3, 7, 9, 10, 5, 8, 4, 2), body, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _credit_code(region: str, rng: random.Random) -> str:
    """Unified social credit code: 9 (market regulator) 1 (enterprise) + region + org code."""
    body = "91" + region + _org_code(rng)
    return body + uscc.calc_check_digit(body)


def _corrupt_credit_code(code: str, rng: random.Random) -> str:
    """Change one character. USCC weights are units mod 31, so the check always fails."""
    while True:
        i = rng.randrange(len(code))
        ch = _pick(rng, "0123456789" if i < 8 else _USCC_ALPHABET)
        if ch != code[i]:
            return code[:i] + ch + code[i + 1 :]


def _resident_id(region: str, birth: dt.date, male: bool, rng: random.Random) -> str:
    seq = _randint(rng, 0, 498) * 2 + (1 if male else 2)  # odd = male, even = female
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _gtin(company_prefix: str, item_ref: int) -> str:
    body = f"{company_prefix}{item_ref:0{12 - len(company_prefix)}d}"
    return body + ean.calc_check_digit(body)


# ---------------------------------------------------------------------------------------------
# Phones, people, addresses
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Phone:
    area: str  # "" for mobiles
    number: str

    @property
    def mobile(self) -> bool:
        return not self.area


def _mobile(rng: random.Random) -> _Phone:
    return _Phone("", _pick(rng, MOBILE_PREFIXES) + f"{_randint(rng, 0, 10**8 - 1):08d}")


def _landline(city: _City, rng: random.Random) -> _Phone:
    first = _pick(rng, "2345678")
    rest = city.landline_len - 1
    return _Phone(city.area_code, first + f"{_randint(rng, 0, 10**rest - 1):0{rest}d}")


def _format_phone(phone: _Phone, system: str, rng: random.Random, m: float) -> str:
    n, a = phone.number, phone.area
    if phone.mobile:
        if rng.random() >= NOISE.phone_format * m:
            text = n
        else:
            text = _pick(
                rng,
                (
                    f"{n[:3]}-{n[3:7]}-{n[7:]}",
                    f"+86 {n[:3]} {n[3:7]} {n[7:]}",
                    f"{n[:3]} {n[3:7]} {n[7:]}",
                    f"+86{n}",
                    f"86-{n}",
                    f"0086 {n}",
                ),
            )
    else:
        usual = f"{a}-{n}" if system != "ECOM" else f"{a}{n}"
        if rng.random() >= NOISE.phone_format * m:
            text = usual
        else:
            half = len(n) // 2
            text = _pick(
                rng,
                (
                    f"({a}){n}",
                    f"{a}{n}",
                    f"{a}-{n}",
                    f"{a} {n[:half]} {n[half:]}",
                    f"+86 {a[1:]} {n[:half]} {n[half:]}",
                    f"+86-{a[1:]}-{n}",
                    n,  # local callers leave out the area code
                    f"{a}-{n}-{_randint(rng, 800, 8998)}",  # with an extension
                ),
            )
    if rng.random() < NOISE.full_width * m:
        text = _full_width(text)
    return text


_SURNAME_PICK = _Weighted(SURNAMES)


def _person_name(rng: random.Random, male: bool) -> tuple[str, str]:
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    given = _pick(rng, pool)
    if rng.random() < 0.65:  # two-character given names are the norm
        given += _pick(rng, pool)
    return _SURNAME_PICK(rng), given


@dataclass(frozen=True)
class _Address:
    city: _City
    district: _Division
    street: str  # 中山东路
    number: int
    tail: tuple[str, ...]  # ("tower", 科技大厦, floor) / ("block", A, floor, room) / ...

    @property
    def district_name(self) -> str:
        return self.district.current_name or ""


def _street(rng: random.Random) -> str:
    return _pick(rng, STREET_WORDS) + _STREET_KIND_PICK(rng)


_STREET_KIND_PICK = _Weighted(STREET_KINDS)


def _company_address(city: _City, district: _Division, rng: random.Random) -> _Address:
    floor = _randint(rng, 2, 28)
    room = f"{floor}{_randint(rng, 1, 20):02d}"
    kind = _pick(rng, ("tower", "tower", "block", "building", "plain"))
    tail: tuple[str, ...]
    if kind == "tower":
        tail = ("tower", _pick(rng, TOWERS), str(floor))
    elif kind == "block":
        tail = ("block", _pick(rng, "ABCD"), str(floor), room)
    elif kind == "building":
        tail = ("building", str(_randint(rng, 1, 12)), room)
    else:
        tail = ("plain",)
    return _Address(city, district, _street(rng), _randint(rng, 1, 888), tail)


def _home_address(city: _City, district: _Division, rng: random.Random) -> _Address:
    floor = _randint(rng, 1, 32)
    tail = (
        "estate",
        _pick(rng, ESTATES),
        str(_randint(rng, 1, 30)),
        str(_randint(rng, 1, 4)),
        f"{floor}{_randint(rng, 1, 4):02d}",
    )
    return _Address(city, district, _street(rng), _randint(rng, 1, 999), tail)


def _format_tail(tail: tuple[str, ...], rng: random.Random, vary: bool) -> str:
    kind = tail[0]
    if kind == "tower":
        tower, floor = tail[1], tail[2]
        if vary and tower.endswith("大厦") and rng.random() < 0.5:
            tower = tower[:-2] + "大楼"
        unit = _pick(rng, ("楼", "层", "F")) if vary else "楼"
        return f"{tower}{floor}{unit}"
    if kind == "block":
        letter, floor, room = tail[1:]
        if vary:
            return _pick(
                rng, (f"{letter}座{room}", f"{letter}栋{floor}楼{room}室", f"{letter}座{room}室")
            )
        return f"{letter}座{floor}层{room}室"
    if kind == "building":
        no, room = tail[1:]
        if vary:
            return _pick(rng, (f"{no}栋{room}室", f"{no}幢{room}", f"{no}号楼{room}"))
        return f"{no}号楼{room}室"
    if kind == "estate":
        estate, bldg, unit, room = tail[1:]
        if vary:
            return _pick(
                rng,
                (
                    f"{estate}{bldg}-{unit}-{room}",
                    f"{estate}{bldg}号楼{unit}单元{room}",
                    f"{estate}{bldg}栋{unit}单元{room}",
                ),
            )
        return f"{estate}{bldg}栋{unit}单元{room}室"
    return ""


def _format_address(a: _Address, rng: random.Random, m: float) -> str:
    city = a.city
    admin: list[str] = []
    if not city.municipality and rng.random() >= NOISE.address_province * m:
        admin.append(city.province if rng.random() >= 0.15 * m else city.province_short)
    r = rng.random()
    if r < NOISE.address_city * m * 0.4 and not admin:
        pass  # locals write just the district: 南山区科技路18号
    elif r < NOISE.address_city * m:
        admin.append(city.name)
    else:
        admin.append(city.with_shi)
    admin.append(a.district_name)

    vary = rng.random() < NOISE.address_abbrev * m
    street, number = a.street, f"{a.number}号"
    if vary and a.tail[0] in ("plain", "tower"):
        if rng.random() < 0.5:
            number += "楼"  # 号 -> 号楼
        elif street.endswith("路") and rng.random() < 0.3:
            street += "口"  # 路 -> 路口
    local = street + number + _format_tail(a.tail, rng, vary)

    text = (" " if rng.random() < NOISE.address_spaces * m else "").join(admin + [local])
    if rng.random() < NOISE.full_width * m * 2:  # shop users type on phones: full-width digits
        text = text.translate(_FULL_WIDTH_DIGITS)
    return text


_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


# ---------------------------------------------------------------------------------------------
# Companies and persons (the real things)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Company:
    truth_id: str
    city: _City  # where it is registered and located
    name_city: _City  # the city in its name (a branch carries its head office's)
    region_style: str  # "plain" 北京华信 | "shi" 深圳市腾达 | "bracket" 华瑞医药（上海） | "none"
    core: str
    industry: _Industry
    legal: _LegalForm
    branch: bool  # name gets "<city>分公司"
    credit_code: str
    region_code: str  # district of the address
    address: _Address
    postal_code: str
    phone: _Phone
    alt_phone: _Phone  # the contact's mobile
    contact: str
    other_contact: str
    email: str
    contact_email: str
    english_name: str


@dataclass(frozen=True)
class _Person:
    truth_id: str
    surname: str
    given: str
    male: bool
    birth: dt.date
    id_number: str
    address: _Address
    postal_code: str
    phone: _Phone
    alt_phone: _Phone
    email: str

    @property
    def name(self) -> str:
        return self.surname + self.given


_CITY_PICK = _Weighted([(c, c.weight) for c in CITIES])
_LEGAL_PICK = _Weighted([(lf, lf.weight) for lf in LEGAL_FORMS])


def _region_style(city: _City, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return "bracket"  # usually subsidiaries of national groups: 华瑞医药（上海）有限公司
    if r < 0.12:
        return "none"  # nationally registered names carry no region
    # Municipalities are written without 市 (北京华信); other cities mostly with (深圳市腾达).
    if city.municipality:
        return "plain"
    return "shi" if r < 0.75 else "plain"


def _random_core(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return _pick(rng, CORE_WORDS)
    if r < 0.85:
        head = _pick(rng, CORE_HEADS)
        tail = _pick(rng, CORE_TAILS)
        return head + tail if head != tail else _pick(rng, CORE_WORDS)
    if r < 0.93:
        return _pick(rng, CORE_TRIPLES)
    a, b = _pick(rng, CORE_WORDS), _pick(rng, CORE_WORDS)
    return a + b if a != b else a


def _english_name(
    name_city: _City, style: str, core: str, industry: _Industry, legal: _LegalForm
) -> str:
    core_en = _phrase_pinyin(core).capitalize()
    if style == "bracket":
        return f"{core_en} {industry.en} ({name_city.pinyin}) {legal.en}"
    if style == "none":
        return f"{core_en} {industry.en} {legal.en}"
    return f"{name_city.pinyin} {core_en} {industry.en} {legal.en}"


def _company_emails(
    core: str, industry: _Industry, contact: tuple[str, str], rng: random.Random
) -> tuple[str, str]:
    core_py = _phrase_pinyin(core)
    sur_py, given_py = _name_pinyin(*contact)
    if rng.random() < 0.3:  # small firms use free mail
        domain = _pick(rng, FREE_MAIL)
        return f"{core_py}{_randint(rng, 1, 2024)}@{domain}", f"{sur_py}{given_py}@{domain}"
    domain = _pick(
        rng,
        (
            f"{_initials(core)}{_initials(industry.zh)}.com",
            f"{core_py}{industry.domain}.com",
            f"{core_py}-{industry.domain}.com.cn",
            f"{core_py}.cn",
        ),
    )
    contact_local = _pick(
        rng, (f"{sur_py}{given_py}", f"{given_py}.{sur_py}", f"{sur_py}.{given_py}")
    )
    return f"{_pick(rng, ROLE_MAILBOXES)}@{domain}", f"{contact_local}@{domain}"


def _make_company(
    rng: random.Random,
    truth_id: str,
    city: _City,
    core: str,
    industry: _Industry,
    *,
    english_names: bool = True,
    head: _Company | None = None,
    region_style: str | None = None,
) -> _Company:
    """A company located in `city`; with `head`, a branch of that head office."""
    if head is not None:
        name_city, style, legal = head.name_city, head.region_style, head.legal
    else:
        style = region_style or _region_style(city, rng)
        name_city, legal = city, _LEGAL_PICK(rng)
    district = _pick(rng, _districts(city))
    # Credit codes carry the registering authority's region: the district's, or the city's
    # for companies registered at city level (very common in Shenzhen, Beijing ...).
    reg_region = district.code if rng.random() < 0.7 else city.city_code
    male = rng.random() < 0.6
    contact = _person_name(rng, male)
    other = _person_name(rng, rng.random() < 0.5)
    email, contact_email = _company_emails(core, industry, contact, rng)
    english = ""
    if english_names and rng.random() < 0.6:
        english = _english_name(name_city, style, core, industry, legal)
        if head is not None:
            english += f" {city.pinyin} Branch"
    address = _company_address(city, district, rng)
    return _Company(
        truth_id=truth_id,
        city=city,
        name_city=name_city,
        region_style=style,
        core=core,
        industry=industry,
        legal=legal,
        branch=head is not None,
        credit_code=_credit_code(reg_region, rng),
        region_code=district.code,
        address=address,
        postal_code=_postal_code(city, district, rng),
        phone=_landline(city, rng) if rng.random() < 0.8 else _mobile(rng),
        alt_phone=_mobile(rng),
        contact="".join(contact),
        other_contact="".join(other),
        email=email,
        contact_email=contact_email,
        english_name=english,
    )


def _birth_region(city: _City, district: _Division, year: int, rng: random.Random) -> str:
    """Region digits of a resident ID: where the person was registered at birth.

    Mostly the district they live in, if that code already existed in their birth year;
    otherwise another code of the city valid back then (older people carry since-abolished
    codes); if the city had none (重庆 districts date from 1997), they were born elsewhere.
    """
    if rng.random() < 0.7 and district.assigned_in(year):
        return district.code
    options = [d for d in _birth_divisions(city) if d.assigned_in(year)]
    while not options:
        options = [d for d in _birth_divisions(_CITY_PICK(rng)) if d.assigned_in(year)]
    return _pick(rng, options).code


def _make_person(
    rng: random.Random,
    truth_id: str,
    *,
    name: tuple[str, str] | None = None,
    male: bool | None = None,
    birth: dt.date | None = None,
    address: _Address | None = None,
) -> _Person:
    if male is None:
        male = rng.random() < 0.5
    surname, given = name or _person_name(rng, male)
    if birth is None:
        birth = dt.date(1955, 1, 1) + dt.timedelta(days=_randint(rng, 0, 365 * 49 - 1))
    if address is None:
        city = _CITY_PICK(rng)
        address = _home_address(city, _pick(rng, _districts(city)), rng)
    city, district = address.city, address.district
    region = _birth_region(city, district, birth.year, rng)
    sur_py, given_py = _name_pinyin(surname, given)
    if rng.random() < 0.35:
        email = f"{_randint(rng, 10**7, 10**10 - 1)}@qq.com"  # QQ number mailboxes
    else:
        suffix = _pick(rng, ("", str(birth.year), f"{birth:%m%d}", str(_randint(rng, 1, 999))))
        email = f"{sur_py}{given_py}{suffix}@{_pick(rng, FREE_MAIL)}"
    return _Person(
        truth_id=truth_id,
        surname=surname,
        given=given,
        male=male,
        birth=birth,
        id_number=_resident_id(region, birth, male, rng),
        address=address,
        postal_code=_postal_code(city, district, rng),
        phone=_mobile(rng),
        alt_phone=_mobile(rng),
        email=email,
    )


# ---------------------------------------------------------------------------------------------
# Rendering one copy of a customer as a given system would export it
# ---------------------------------------------------------------------------------------------


def _legal_variant(legal: _LegalForm, rng: random.Random, m: float) -> str:
    return _pick(rng, legal.variants) if rng.random() < NOISE.legal_form * m else legal.zh


def _name_region_variant(c: _Company, rng: random.Random, m: float) -> tuple[str, str]:
    """(prefix, bracket) for this copy of the name."""
    city, style = c.name_city, c.region_style
    change = rng.random() < NOISE.name_region * m
    if style == "bracket":
        if change and rng.random() < 0.3:
            return city.name, ""  # 上海华瑞医药有限公司
        half = rng.random() < NOISE.half_width_brackets * m
        return "", f"({city.name})" if half else f"（{city.name}）"
    if style == "none":
        return (city.name if change and rng.random() < 0.3 else ""), ""
    canonical = city.name if style == "plain" else city.with_shi
    if not change:
        return canonical, ""
    full = city.with_shi if city.municipality else city.province + city.with_shi
    options = [o for o in ("", city.name, city.with_shi, full) if o != canonical]
    return _pick(rng, options), ""


def _english_variant(name: str, rng: random.Random, m: float) -> str:
    if rng.random() < 0.3 * m:
        name = name.replace("Co., Ltd.", _pick(rng, ENGLISH_LEGAL_VARIANTS))
    if rng.random() < 0.1 * m:
        name = name.upper()
    if rng.random() < NOISE.full_width * m:
        name = _full_width(name)
    return name


def _company_name(c: _Company, system: str, rng: random.Random, m: float) -> str:
    if c.english_name and system == "ECOM" and rng.random() < NOISE.english_in_shop:
        return _english_variant(c.english_name, rng, m)
    core = c.core
    if rng.random() < NOISE.homophone * m:
        core = _homophone_typo(core, rng)
    if system != "ERP" and not c.branch and rng.random() < NOISE.short_name * m:
        parts = [core, c.industry.zh]  # what sales reps type: 华信科技
    else:
        prefix, bracket = _name_region_variant(c, rng, m)
        branch = f"{c.city.name}分公司" if c.branch else ""
        parts = [prefix, core, c.industry.zh, bracket, _legal_variant(c.legal, rng, m), branch]
    extra_space = rng.random() < NOISE.extra_space * m
    name = _insert_space(parts, rng) if extra_space else "".join(parts)
    if rng.random() < NOISE.traditional * m:
        name = _traditional(name)
    return name


def _credit_code_copy(code: str, system: str, rng: random.Random, m: float) -> str:
    if rng.random() < CREDIT_CODE_MISSING[system]:
        return ""
    if rng.random() < NOISE.credit_code_typo * m:
        code = _corrupt_credit_code(code, rng)
    r = rng.random()
    if r < NOISE.credit_code_lower * m:
        code = code.lower()
    elif r < (NOISE.credit_code_lower + NOISE.credit_code_spaced) * m:
        code = _pick(
            rng,
            (
                f"{code[:2]} {code[2:8]} {code[8:17]} {code[17]}",
                " ".join(code[i : i + 4] for i in range(0, 18, 4)),
                f" {code}",
                f"{code} ",
            ),
        )
    elif r < (NOISE.credit_code_lower + NOISE.credit_code_spaced + NOISE.full_width) * m:
        code = _full_width(code)
    return code


_COMPANY_TYPE = {"ERP": ("企业",), "CRM": ("B", "B", "org"), "ECOM": ("", "", "org")}
_PERSON_TYPE = {"ERP": ("个人",), "CRM": ("C", "C", "person"), "ECOM": ("", "", "person")}


def _region_code_copy(district_code: str, city: _City, system: str, rng: random.Random) -> str:
    r = rng.random()
    if system == "ERP":
        return district_code if r < 0.9 else ""
    if system == "CRM":  # the CRM often only knows the city
        return district_code if r < 0.35 else city.city_code if r < 0.8 else ""
    return district_code if r < 0.35 else ""


def _render_company(c: _Company, system: str, rng: random.Random) -> dict[str, str]:
    m = SYSTEM_SLOPPINESS[system]
    # The ERP bills the office line; sales and shop talk to the contact's mobile.
    main_share = {"ERP": 0.85, "CRM": 0.5, "ECOM": 0.35}[system]
    r = rng.random()
    if r < 0.05 * m:
        phone = ""
    elif r < main_share:
        phone = _format_phone(c.phone, system, rng, m)
    else:
        phone = _format_phone(c.alt_phone, system, rng, m)

    r = rng.random()
    if r < NOISE.other_contact * m:
        contact = c.other_contact
    elif r < (NOISE.other_contact + 0.05) * m:
        contact = c.contact[0] + _pick(rng, CONTACT_TITLES)  # 王经理
    elif r < (NOISE.other_contact + 0.12) * m:
        contact = ""
    else:
        contact = c.contact

    r = rng.random()
    if r < EMAIL_MISSING[system]:
        email = ""
    else:
        email = c.email if rng.random() < 0.6 else c.contact_email
        if rng.random() < 0.03 * m:
            email = email.upper()

    english = ""
    if c.english_name and system != "ECOM" and rng.random() < (0.5 if system == "ERP" else 0.25):
        english = _english_variant(c.english_name, rng, m * 0.5)

    return {
        "name": _company_name(c, system, rng, m),
        "customer_type": _pick(rng, _COMPANY_TYPE[system]),
        "credit_code": _credit_code_copy(c.credit_code, system, rng, m),
        "id_number": "",
        "phone": phone,
        "email": email,
        "address": _format_address(c.address, rng, m),
        "region_code": _region_code_copy(c.region_code, c.city, system, rng),
        "birth_date": "",
        "postal_code": "" if rng.random() < POSTAL_CODE_MISSING[system] else c.postal_code,
        "contact_name": contact,
        "english_name": english,
    }


_DATE_FORMATS: tuple[Callable[[dt.date], str], ...] = (
    lambda d: d.isoformat(),  # 1985-03-12
    lambda d: f"{d.year}/{d.month}/{d.day}",  # 1985/3/12
    lambda d: f"{d:%Y%m%d}",  # 19850312
    lambda d: f"{d.year}年{d.month}月{d.day}日",  # 1985年3月12日
    lambda d: f"{d:%Y.%m.%d}",  # 1985.03.12
    lambda d: f"{d:%Y/%m/%d}",  # 1985/03/12
)


def _birth_date_copy(d: dt.date, system: str, rng: random.Random) -> str:
    r = rng.random()
    if system == "ERP":
        return d.isoformat() if r < 0.8 else "" if r < 0.9 else _pick(rng, _DATE_FORMATS)(d)
    if system == "CRM":
        return _DATE_FORMATS[1](d) if r < 0.5 else d.isoformat() if r < 0.8 else ""
    return _pick(rng, _DATE_FORMATS)(d) if r < 0.6 else ""


def _id_number_copy(number: str, system: str, rng: random.Random) -> str:
    if rng.random() < ID_NUMBER_MISSING[system]:
        return ""
    if number.endswith("X") and rng.random() < 0.3:
        number = number[:-1] + "x"
    if rng.random() < 0.05:
        number = f"{number[:6]} {number[6:14]} {number[14:]}"
    return number


def _person_name_copy(p: _Person, system: str, rng: random.Random, m: float) -> str:
    if system == "ECOM" and rng.random() < NOISE.pinyin_name:
        sur, given = _name_pinyin(p.surname, p.given)
        name = f"{sur.capitalize()} {given.capitalize()}"
        return name.upper() if rng.random() < 0.3 else name
    given = p.given
    if rng.random() < NOISE.homophone * 0.6 * m:
        given = _homophone_typo(given, rng)
    sep = " " if rng.random() < NOISE.extra_space * m else ""  # 王 伟
    name = p.surname + sep + given
    if rng.random() < NOISE.traditional * 0.6 * m:
        name = _traditional(name)
    return name


def _render_person(p: _Person, system: str, rng: random.Random) -> dict[str, str]:
    m = SYSTEM_SLOPPINESS[system]
    phone = p.alt_phone if rng.random() < NOISE.other_phone * m else p.phone
    email_share = {"ERP": 0.3, "CRM": 0.6, "ECOM": 0.85}[system]
    return {
        "name": _person_name_copy(p, system, rng, m),
        "customer_type": _pick(rng, _PERSON_TYPE[system]),
        "credit_code": "",
        "id_number": _id_number_copy(p.id_number, system, rng),
        "phone": _format_phone(phone, system, rng, m),
        "email": p.email if rng.random() < email_share else "",
        "address": _format_address(p.address, rng, m),
        "region_code": _region_code_copy(p.address.district.code, p.address.city, system, rng),
        "birth_date": _birth_date_copy(p.birth, system, rng),
        "postal_code": "" if rng.random() < POSTAL_CODE_MISSING[system] else p.postal_code,
        "contact_name": p.name if system == "ERP" and rng.random() < 0.3 else "",
        "english_name": "",
    }


# ---------------------------------------------------------------------------------------------
# Local codes
# ---------------------------------------------------------------------------------------------


class _CustomerCodes:
    """Per-system customer numbering: ERP SD01-000123, CRM BJ-B-00042, shop WEB00012345."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.erp = rng.randrange(100, 2000)
        self.crm: dict[str, int] = {}
        self.ecom = rng.randrange(10**6, 5 * 10**6)

    def next(self, system: str, city: _City, person: bool) -> str:
        rng = self.rng
        if system == "ERP":
            # One ERP-wide serial; gaps are records deleted since.
            self.erp += 1 if rng.random() < 0.8 else _randint(rng, 2, 5)
            return f"{'SD05' if person else city.erp_dept}-{self.erp:06d}"
        if system == "CRM":
            key = f"{city.crm_region}-{'C' if person else 'B'}"
            self.crm[key] = self.crm.get(key, _randint(rng, 1, 199)) + 1
            return f"{key}-{self.crm[key]:05d}"
        if system == "ECOM":
            self.ecom += _randint(rng, 1, 40)  # shop sign-ups interleave with guests
            return f"WEB{self.ecom:08d}"
        raise ValueError(f"unknown system {system!r}")


def _check_systems(systems: Sequence[str]) -> tuple[str, ...]:
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown or not systems:
        raise ValueError(f"systems must be a non-empty subset of {SYSTEMS}, got {systems!r}")
    return tuple(dict.fromkeys(systems))


def _placements(
    rng: random.Random, presence: dict[str, float], systems: tuple[str, ...]
) -> list[str]:
    """The systems (with repeats for in-system duplicates) that hold one real thing."""
    chosen = [s for s in systems if rng.random() < presence[s]]
    if not chosen:  # every real thing is known somewhere, or it would not be in the data
        chosen = [_pick(rng, systems)]
    return chosen + [s for s in chosen if rng.random() < SAME_SYSTEM_DUPLICATE[s]]


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


def _companies(n: int, rng: random.Random, english_names: bool) -> list[_Company]:
    """n distinct real companies, including deliberate look-alikes."""
    out: list[_Company] = []
    # Two companies with the same name in the same city cannot both be registered.
    taken: dict[tuple[str, str, str], None] = {}
    national: dict[tuple[str, str], None] = {}  # names without a region are unique nationwide

    def add(city: _City, core: str, industry: _Industry, head: _Company | None = None) -> bool:
        key = (city.name if head is None else f"{head.truth_id}@{city.name}", core, industry.zh)
        if len(out) >= n or key in taken:
            return False
        taken[key] = None
        style = _unique_region_style(city, core, industry, national, rng) if head is None else None
        out.append(
            _make_company(
                rng,
                f"C{len(out) + 1:06d}",
                city,
                core,
                industry,
                english_names=english_names,
                head=head,
                region_style=style,
            )
        )
        return True

    while len(out) < n:
        city, industry = _CITY_PICK(rng), _pick(rng, INDUSTRIES)
        if not add(city, _random_core(rng), industry):
            continue
        base = out[-1]
        if rng.random() < SAME_CORE_OTHER_CITY_RATE:
            other = _pick(rng, [c for c in CITIES if c != city])
            add(other, base.core, industry)
        if rng.random() < BRANCH_RATE:
            other = _pick(rng, [c for c in CITIES if c != city])
            add(other, base.core, industry, head=base)
        if rng.random() < ONE_CHAR_NEIGHBOUR_RATE:
            add(city, _one_char_neighbour(base.core, rng), industry)
    return out


def _unique_region_style(
    city: _City,
    core: str,
    industry: _Industry,
    national: dict[tuple[str, str], None],
    rng: random.Random,
) -> str:
    """A region style for a new company; a name without region must not be taken already."""
    style = _region_style(city, rng)
    if style == "none":
        if (core, industry.zh) in national:
            return "plain"
        national[(core, industry.zh)] = None
    return style


def _one_char_neighbour(core: str, rng: random.Random) -> str:
    """Same core with one character replaced by an unrelated one (not a homophone)."""
    i = rng.randrange(len(core))
    banned = core[i] + HOMOPHONES.get(core[i], "")
    pool = [ch for ch in CORE_HEADS + CORE_TAILS if ch not in banned]
    return core[:i] + _pick(rng, pool) + core[i + 1 :]


def _persons(n: int, rng: random.Random) -> list[_Person]:
    out: list[_Person] = []
    while len(out) < n:
        p = _make_person(rng, f"P{len(out) + 1:06d}")
        out.append(p)
        if len(out) < n and rng.random() < NAMESAKE_RATE:
            # Same name, another birthday: a different person (王伟 is very common).
            birth = p.birth + dt.timedelta(days=rng.choice((-1, 1)) * _randint(rng, 30, 9000))
            out.append(
                _make_person(
                    rng, f"P{len(out) + 1:06d}", name=(p.surname, p.given), male=p.male, birth=birth
                )
            )
        if len(out) < n and rng.random() < TWIN_RATE:
            male = rng.random() < 0.5
            given = _person_name(rng, male)[1]
            if given != p.given:
                out.append(
                    _make_person(
                        rng,
                        f"P{len(out) + 1:06d}",
                        name=(p.surname, given),
                        male=male,
                        birth=p.birth,
                        address=p.address,
                    )
                )
    return out


def _sorted_records(records: list[SynthRecord], systems: Sequence[str]) -> list[SynthRecord]:
    order = {s: i for i, s in enumerate(systems)}
    return sorted(records, key=lambda r: (order[r.system], r.local_code))


def generate_customers(
    n_companies: int,
    n_persons: int = 0,
    *,
    seed: int = 42,
    systems: Sequence[str] = SYSTEMS,
    english_names: bool = True,
) -> list[SynthRecord]:
    """Customer records of `n_companies` + `n_persons` real customers across `systems`.

    Each real customer appears in at least one system, each system holding it with
    COMPANY_PRESENCE / PERSON_PRESENCE and occasionally twice. `english_names=False` gives
    companies no English names (no english_name values, no English names in the shop).
    Records are ordered by system, then local code.
    """
    if n_companies < 0 or n_persons < 0:
        raise ValueError("counts must not be negative")
    systems = _check_systems(systems)
    rng = random.Random(seed)
    entities: list[_Company | _Person] = [*_companies(n_companies, rng, english_names)]
    entities += _persons(n_persons, rng)

    per_system: dict[str, list[_Company | _Person]] = {s: [] for s in systems}
    for e in entities:
        presence = COMPANY_PRESENCE if isinstance(e, _Company) else PERSON_PRESENCE
        for system in _placements(rng, presence, systems):
            per_system[system].append(e)

    codes = _CustomerCodes(rng)
    records: list[SynthRecord] = []
    for system in systems:
        held = per_system[system]
        rng.shuffle(held)  # creation order in a system has nothing to do with truth ids
        for e in held:
            records.append(_customer_record(e, system, rng, codes))
    return _sorted_records(records, systems)


def _customer_record(
    e: _Company | _Person, system: str, rng: random.Random, codes: _CustomerCodes
) -> SynthRecord:
    if isinstance(e, _Company):
        code = codes.next(system, e.city, person=False)
        attrs = _render_company(e, system, rng)
    else:
        code = codes.next(system, e.address.city, person=True)
        attrs = _render_person(e, system, rng)
    return SynthRecord(system, "customers", code, attrs, e.truth_id)


# ---------------------------------------------------------------------------------------------
# Customers at benchmark scale
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _all_cores() -> tuple[str, ...]:
    """Every core name the stream may use: curated words, head+tail pairs, triples, pairs of
    curated words (中科华信). Fixed order, so index i always means the same core."""
    cores = dict.fromkeys(CORE_WORDS)
    cores.update(dict.fromkeys(h + t for h in CORE_HEADS for t in CORE_TAILS if h != t))
    cores.update(dict.fromkeys(CORE_TRIPLES))
    cores.update(dict.fromkeys(a + b for a in CORE_WORDS for b in CORE_WORDS if a != b))
    return tuple(cores)


_FAST_SYSTEM_PICK = _Weighted([(s, COMPANY_PRESENCE[s]) for s in SYSTEMS])


def iter_customers_fast(n_records: int, *, seed: int = 42) -> Iterator[SynthRecord]:
    """Stream `n_records` customer records for 100k-1M scale benchmarks.

    About FAST_VARIANT_SHARE of the records re-describe an entity seen earlier (in any
    system, possibly the same one); the rest introduce a new company (~91%), person (~8%)
    or branch of an earlier company (~1%). Only a bounded pool of earlier entities is kept.

    New companies walk a fixed permutation of (city, core, industry) combinations, so no two
    different companies share a name while fewer than ~3 million have been made; the same
    core in other cities and cores one character apart still occur, as in reality.
    """
    if n_records < 0:
        raise ValueError("n_records must not be negative")
    rng = random.Random(seed)
    cores = _all_cores()
    n_ind, n_core = len(INDUSTRIES), len(cores)
    space = len(CITIES) * n_core * n_ind
    # idx_k = (start + k * step) mod space visits every combination once when gcd == 1.
    step = int(space * 0.6180339887) | 1
    while math.gcd(step, space) != 1:
        step += 2
    idx = rng.randrange(space)

    pool: list[_Company | _Person] = []
    branches: dict[tuple[str, str], None] = {}  # (head truth id, city): one branch each
    national: dict[tuple[str, str], None] = {}  # names without region: ~4% of companies
    codes = _CustomerCodes(rng)
    n_companies = n_persons = 0
    for _ in range(n_records):
        if pool and rng.random() < FAST_VARIANT_SHARE:
            entity = _pick(rng, pool)
            system = _FAST_SYSTEM_PICK(rng)
        else:
            r = rng.random()
            parent = _pick(rng, pool) if pool and r < 0.01 else None
            city = _pick(rng, CITIES)
            branch_of = (
                parent
                if isinstance(parent, _Company)
                and not parent.branch
                and city != parent.city
                and (parent.truth_id, city.name) not in branches
                else None
            )
            if r < 0.09 and parent is None:
                n_persons += 1
                entity = _make_person(rng, f"P{n_persons:06d}")
            else:
                n_companies += 1
                truth = f"C{n_companies:06d}"
                if branch_of is not None:
                    branches[(branch_of.truth_id, city.name)] = None
                    entity = _make_company(
                        rng, truth, city, branch_of.core, branch_of.industry, head=branch_of
                    )
                else:
                    idx = (idx + step) % space
                    rest, ind = divmod(idx, n_ind)
                    city_i, core_i = divmod(rest, n_core)
                    city, core, industry = CITIES[city_i], cores[core_i], INDUSTRIES[ind]
                    style = _unique_region_style(city, core, industry, national, rng)
                    entity = _make_company(rng, truth, city, core, industry, region_style=style)
            if len(pool) < FAST_POOL_SIZE:
                pool.append(entity)
            else:
                pool[_randint(rng, 0, FAST_POOL_SIZE - 1)] = entity
            system = _FAST_SYSTEM_PICK(rng)
        yield _customer_record(entity, system, rng, codes)


# ---------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Brand:
    zh: str
    en: str
    letters: str  # model prefix
    categories: tuple[str, ...]


BRANDS: tuple[_Brand, ...] = (
    _Brand("华彩", "HUACAI", "HC", ("小家电",)),
    _Brand("美厨", "MEICHU", "MC", ("小家电",)),
    _Brand("安居", "ANJU", "AJ", ("小家电", "日化用品")),
    _Brand("星辰", "XINGCHEN", "XC", ("数码配件",)),
    _Brand("极光", "JIGUANG", "JG", ("数码配件",)),
    _Brand("德仕", "DESHI", "DS", ("办公用品",)),
    _Brand("优品", "YOUPIN", "YP", ("办公用品", "日化用品")),
    _Brand("清泉", "QINGQUAN", "QQ", ("食品饮料",)),
    _Brand("绿野", "LVYE", "LY", ("食品饮料",)),
    _Brand("金工", "JINGONG", "JT", ("五金工具",)),
    _Brand("力拓", "LITUO", "LT", ("五金工具",)),
    _Brand("净白", "JINGBAI", "JB", ("日化用品",)),
)


@dataclass(frozen=True)
class _Item:
    name: str
    category: str  # ERP category
    shop_category: str  # the shop's own category tree
    uom: str
    specs: tuple[str, ...]
    keywords: tuple[str, ...]  # what the shop adds to titles


# name | ERP category | shop category tree | unit | variants (;) | words the shop adds to titles
_ITEM_TABLE = """
    电水壶 | 小家电 | 家用电器>厨房小电>电水壶 | 台 | 1.5L; 1.7L; 1.8L | 家用大容量 304不锈钢 自动断电
    吹风机 | 小家电 | 家用电器>个护健康>吹风机 | 台 | 1200W; 1800W; 2000W | 负离子 大功率 速干
    电饭煲 | 小家电 | 家用电器>厨房小电>电饭煲 | 台 | 3L; 4L; 5L | 智能预约 家用 不粘内胆
    空气炸锅 | 小家电 | 家用电器>厨房小电>空气炸锅 | 台 | 3.5L; 5L; 6L | 无油 可视 多功能
    数据线 | 数码配件 | 手机数码>手机配件>数据线 | 根 | USB-C 1m; USB-C 2m; Lightning 1m | 快充 编织 耐用
    充电器 | 数码配件 | 手机数码>手机配件>充电器 | 个 | 20W; 33W; 65W | 快充头 氮化镓 多口
    移动电源 | 数码配件 | 手机数码>手机配件>移动电源 | 个 | 10000mAh; 20000mAh | 大容量 轻薄 快充
    无线鼠标 | 数码配件 | 电脑办公>外设>鼠标 | 个 | 黑色; 白色; 灰色 | 静音 办公 便携
    复印纸 | 办公用品 | 电脑办公>办公用品>打印纸 | 箱 | A4 70g 5包/箱; A4 80g 5包/箱; A3 80g 5包/箱 | 整箱 办公 双面打印
    中性笔 | 办公用品 | 电脑办公>办公用品>笔类 | 盒 | 0.5mm 黑色 12支/盒; 0.38mm 黑色 12支/盒; 0.5mm 红色 12支/盒 | 考试 签字笔 速干
    文件夹 | 办公用品 | 电脑办公>办公用品>文件管理 | 个 | A4 蓝色; A4 黑色; A4 透明 | 加厚 办公 资料夹
    饮用天然水 | 食品饮料 | 食品饮料>饮料冲调>饮用水 | 箱 | 550ml*24瓶; 350ml*24瓶; 1.5L*12瓶 | 整箱 家庭装 弱碱性
    绿茶饮料 | 食品饮料 | 食品饮料>饮料冲调>茶饮料 | 箱 | 500ml*15瓶; 250ml*24盒 | 整箱 低糖 夏季
    苏打饼干 | 食品饮料 | 食品饮料>休闲食品>饼干 | 盒 | 400g; 800g | 早餐 代餐 咸味
    洗衣液 | 日化用品 | 家庭清洁>衣物清洁>洗衣液 | 瓶 | 2kg; 3kg | 持久留香 深层洁净 家庭装
    洗洁精 | 日化用品 | 家庭清洁>厨房清洁>洗洁精 | 瓶 | 1.1kg; 1.5kg | 不伤手 去油 食品级
    抽纸 | 日化用品 | 家庭清洁>纸品>抽纸 | 提 | 3层100抽*6包; 4层80抽*6包 | 整提 家用 柔韧
    螺丝刀套装 | 五金工具 | 家装建材>五金工具>手动工具 | 套 | 32件套; 45件套; 63件套 | 家用 多功能 精密
    卷尺 | 五金工具 | 家装建材>五金工具>测量工具 | 个 | 3m; 5m; 7.5m | 加厚 自锁 耐摔
    电钻 | 五金工具 | 家装建材>五金工具>电动工具 | 台 | 500W; 750W | 家用 冲击钻 多功能
"""
ITEMS: tuple[_Item, ...] = tuple(
    _Item(name, cat, shop_cat, uom, _split(specs, ";"), _words(words))
    for name, cat, shop_cat, uom, specs, words in _table(_ITEM_TABLE)
)


@dataclass(frozen=True)
class _Product:
    truth_id: str
    brand: _Brand
    item: _Item
    spec: str
    model: str
    gtin: str


def _products(n: int, rng: random.Random) -> list[_Product]:
    # Each brand owns a GS1 China company prefix (690-699 + 4 digits) and numbers its items.
    prefixes: dict[str, str] = {}
    next_ref: dict[str, int] = {}
    for b in BRANDS:
        while True:
            prefix = f"69{rng.randrange(10)}{rng.randrange(10**4):04d}"
            if prefix not in prefixes.values():
                break
        prefixes[b.zh], next_ref[b.zh] = prefix, rng.randrange(100, 5000)
    used_series: dict[tuple[str, int], None] = {}
    out: list[_Product] = []
    while len(out) < n:
        brand = _pick(rng, BRANDS)
        item = _pick(rng, [i for i in ITEMS if i.category in brand.categories])
        # Two-digit series look like real models; widen once they run out.
        series = rng.randrange(10, 100 if len(used_series) < 8 * len(BRANDS) * 8 else 1000)
        if (brand.zh, series) in used_series:
            continue
        used_series[(brand.zh, series)] = None
        # A product line comes in several variants: different real products whose names
        # and models differ only slightly (HC-3201 1.5L vs HC-3202 1.7L) - hard negatives.
        k = min(_pick(rng, (1, 1, 1, 2, 2, 3)), len(item.specs), n - len(out))
        for j, spec in enumerate(rng.sample(item.specs, k)):
            next_ref[brand.zh] += _randint(rng, 1, 7)
            out.append(
                _Product(
                    truth_id=f"PRD{len(out) + 1:05d}",
                    brand=brand,
                    item=item,
                    spec=spec,
                    model=f"{brand.letters}-{series}{j + 1:02d}",
                    gtin=_gtin(prefixes[brand.zh], next_ref[brand.zh]),
                )
            )
    return out


def _model_copy(model: str, rng: random.Random, sloppy: bool) -> str:
    r = rng.random()
    if not sloppy:
        return model if r < 0.85 else model.replace("-", "") if r < 0.95 else model.lower()
    if r < 0.45:
        return model
    return _pick(rng, (model.replace("-", ""), model.lower(), model.replace("-", " "), ""))


def _render_product(p: _Product, system: str, rng: random.Random) -> dict[str, str]:
    b, item, model = p.brand, p.item, p.model
    if system == "ERP":
        name = _pick(
            rng,
            (
                f"{b.zh}{item.name}{p.spec}",
                f"{b.zh}{item.name} {p.spec}",
                f"{item.name}({p.spec})",
                f"{item.name} {model}",
                f"{item.name} {model} {p.spec}",
            ),
        )
        brand = b.zh if rng.random() < 0.9 else b.en
        category, uom = item.category, item.uom
        gtin_missing = 0.08
    else:
        kw = " ".join(rng.sample(item.keywords, rng.randint(1, len(item.keywords))))
        m_shown = _pick(rng, (model, model.replace("-", "")))
        name = _pick(
            rng,
            (
                f"{b.zh} {m_shown} {item.name} {p.spec} {kw}",
                f"【{b.zh}】{item.name}{p.spec} {kw} {m_shown}",
                f"{b.zh}/{b.en} {item.name} {m_shown} {p.spec} {kw}",
                f"{b.zh}{item.name} {p.spec}",
            ),
        )
        if rng.random() < 0.02:
            name = _traditional(name)
        brand = _pick(rng, (b.zh, b.zh, f"{b.zh}（{b.en}）", b.en, f"{b.zh}/{b.en}"))
        category = item.shop_category
        uom = "件" if rng.random() < 0.5 else item.uom
        gtin_missing = 0.15
    gtin = "" if rng.random() < gtin_missing else p.gtin
    if gtin and rng.random() < 0.03:
        gtin = f"{gtin[0]} {gtin[1:7]} {gtin[7:]}"  # as printed under the barcode
    return {
        "name": name,
        "model": _model_copy(model, rng, sloppy=system != "ERP"),
        "brand": brand,
        "category": category,
        "uom": uom,
        "gtin": gtin,
    }


PRODUCT_PRESENCE: dict[str, float] = {"ERP": 0.85, "ECOM": 0.70}
PRODUCT_DUPLICATE: dict[str, float] = {"ERP": 0.03, "ECOM": 0.06}


def generate_products(n: int, *, seed: int = 42) -> list[SynthRecord]:
    """Records of `n` real products in the ERP (PD01-000123) and the shop (WEB + digits).

    The two overlap via GTIN and brand + model; variants of one product line (same name,
    model differing in one digit, own GTIN) are different products.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    held: dict[str, list[_Product]] = {"ERP": [], "ECOM": []}
    for p in _products(n, rng):
        chosen = [s for s in held if rng.random() < PRODUCT_PRESENCE[s]] or [
            _pick(rng, ("ERP", "ECOM"))
        ]
        for s in chosen + [s for s in chosen if rng.random() < PRODUCT_DUPLICATE[s]]:
            held[s].append(p)
    records: list[SynthRecord] = []
    serial = {"ERP": rng.randrange(100, 900), "ECOM": rng.randrange(10**6, 5 * 10**6)}
    categories = list(dict.fromkeys(i.category for i in ITEMS))
    for system, products in held.items():
        rng.shuffle(products)
        for p in products:
            serial[system] += _randint(rng, 1, 3)
            if system == "ERP":
                code = f"PD{categories.index(p.item.category) + 1:02d}-{serial[system]:06d}"
            else:
                code = f"WEB{serial[system]:08d}"
            records.append(
                SynthRecord(system, "products", code, _render_product(p, system, rng), p.truth_id)
            )
    return _sorted_records(records, ("ERP", "ECOM"))


# ---------------------------------------------------------------------------------------------
# Materials
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MaterialKind:
    name: str
    synonyms: tuple[str, ...]  # what another plant called it when it created the duplicate
    group: str
    other_group: str
    uom: str
    uom_variants: tuple[str, ...]
    mtype: str  # SAP-style material type
    spec: str  # format string over params
    params: tuple[tuple[str, tuple[str, ...]], ...]


# name | synonyms | group | group another plant used | unit | unit as others wrote it | type
# | spec format | spec parameters (name=option,option; ...)
_MATERIAL_TABLE = """
    六角头螺栓 | 外六角螺栓 六角螺栓 | 紧固件 | 标准件 | PC | 个 件 EA | ROH | M{d}*{l} {g}级 {f} | d=6,8,10,12,16; l=20,25,30,35,40,50,60,80; g=4.8,8.8,10.9; f=镀锌,发黑,达克罗
    内六角圆柱头螺钉 | 内六角螺钉 内六角螺丝 | 紧固件 | 标准件 | PC | 个 件 EA | ROH | M{d}*{l} {g}级 {f} | d=3,4,5,6,8; l=8,10,12,16,20,25; g=8.8,12.9; f=发黑,镀镍,本色
    平垫圈 | 平垫 平垫片 | 紧固件 | 标准件 | PC | 个 件 | ROH | M{d} {f} | d=4,5,6,8,10,12,16,20; f=镀锌,304不锈钢,发黑
    不锈钢板 | 不锈钢板材 不锈钢平板 | 钢材 | 金属材料 | KG | 千克 公斤 kg | ROH | {g} {t}mm*1220*2440 | g=304,316L,201; t=0.5,0.8,1.0,1.2,1.5,2.0,3.0
    冷轧钢板 | 冷轧板 冷板 | 钢材 | 金属材料 | KG | 千克 公斤 | ROH | SPCC {t}*{w}*{l} | t=0.8,1.0,1.2,1.5,2.0; w=1000,1250; l=2000,2500
    无缝钢管 | 无缝管 钢管 | 钢材 | 金属材料 | M | 米 m | ROH | Φ{od}*{t} 20# | od=25,32,38,45,57,76,89; t=2.5,3,3.5,4,5
    深沟球轴承 | 轴承 深沟轴承 | 轴承 | 机械配件 | SET | 套 个 | ERSA | {s}{n}-{seal} | s=60,62,63; n=00,01,02,03,04,05,06,08,10; seal=2RS,ZZ
    O型圈 | O形圈 O型密封圈 | 密封件 | 橡胶件 | PC | 个 只 | ERSA | {id}*{cs} {mat} | id=10,12,15,20,25,30,40; cs=1.9,2.4,3.1,3.5; mat=NBR70,FKM,EPDM
    贴片电阻 | 电阻 片式电阻 | 电子元器件 | 电子料 | PC | 个 PCS | ROH | {pkg} {r} ±{tol} | pkg=0402,0603,0805,1206; r=100Ω,1KΩ,4.7KΩ,10KΩ,47KΩ,100KΩ; tol=1%,5%
    贴片电容 | 电容 多层陶瓷电容 | 电子元器件 | 电子料 | PC | 个 PCS | ROH | {pkg} {c} {v} {die} | pkg=0402,0603,0805; c=10nF,100nF,1uF,10uF; v=16V,25V,50V; die=X7R,X5R
    液压油 | 抗磨液压油 液压油（抗磨） | 油品 | 辅料 | DR | 桶 | HIBE | L-HM{g} {size} | g=32,46,68; size=18L,200L
    PP颗粒 | 聚丙烯颗粒 PP粒料 | 塑料原料 | 化工原料 | KG | 千克 公斤 kg | ROH | {grade} {color} | grade=T30S,K8003,1100N,V30G,EPS30R; color=本色,黑色
    瓦楞纸箱 | 纸箱 包装箱 | 包装材料 | 包材 | PC | 个 只 | VERP | {l}*{w}*{h}mm {ply} | l=300,350,400,450,600; w=200,250,300; h=150,200,250; ply=三层,五层
    封箱胶带 | 胶带 透明胶带 | 包装材料 | 包材 | RL | 卷 | VERP | {w}mm*{len}m {color} | w=45,48,60; len=50,100,150; color=透明,米黄
    劳保手套 | 手套 防护手套 | 劳保用品 | 辅料 | PR | 双 副 | HIBE | {size}号 {mat} | size=8,9,10; mat=丁腈涂掌,棉纱,PU涂掌
    实心焊丝 | 焊丝 气保焊丝 | 焊接材料 | 辅料 | KG | 千克 公斤 | HIBE | ER50-6 Φ{d} {pack} | d=0.8,1.0,1.2,1.6; pack=15kg/盘,20kg/盘
"""
MATERIAL_KINDS: tuple[_MaterialKind, ...] = tuple(
    _MaterialKind(name, _words(syn), group, other, uom, _words(uoms), mtype, spec, _params(params))
    for name, syn, group, other, uom, uoms, mtype, spec, params in _table(_MATERIAL_TABLE)
)

MATERIAL_TYPE_NAMES = {
    "ROH": "原材料",
    "HALB": "半成品",
    "ERSA": "备件",
    "VERP": "包装材料",
    "HIBE": "辅料",
}
MATERIAL_DUPLICATE_RATE = 0.25  # share of materials created more than once in the ERP
MATERIAL_NEIGHBOUR_RATE = 0.15  # same kind, one spec parameter different: another material


@dataclass(frozen=True)
class _Material:
    truth_id: str
    kind: _MaterialKind
    params: tuple[str, ...]

    @property
    def spec(self) -> str:
        names = [k for k, _ in self.kind.params]
        return self.kind.spec.format(**dict(zip(names, self.params, strict=True)))


def _materials(n: int, rng: random.Random) -> list[_Material]:
    capacity = sum(math.prod(len(o) for _, o in k.params) for k in MATERIAL_KINDS)
    if n > capacity // 2:
        raise ValueError(f"at most {capacity // 2} materials can be generated")
    out: list[_Material] = []
    taken: dict[tuple[str, tuple[str, ...]], None] = {}

    def add(kind: _MaterialKind, params: tuple[str, ...]) -> bool:
        if len(out) >= n or (kind.name, params) in taken:
            return False
        taken[(kind.name, params)] = None
        out.append(_Material(f"MAT{len(out) + 1:05d}", kind, params))
        return True

    while len(out) < n:
        kind = _pick(rng, MATERIAL_KINDS)
        params = tuple(_pick(rng, options) for _, options in kind.params)
        if not add(kind, params):
            continue
        if rng.random() < MATERIAL_NEIGHBOUR_RATE:  # M8*30 next to M8*35
            i = rng.randrange(len(params))
            alt = _pick(rng, kind.params[i][1])
            add(kind, params[:i] + (alt,) + params[i + 1 :])
    return out


def _spec_copy(spec: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return spec
    if r < 0.65:
        return spec.replace("*", _pick(rng, ("×", "X", "x")))
    if r < 0.75:
        return spec.replace(" ", "")
    if r < 0.85:
        tokens = spec.split(" ")
        return " ".join(tokens[1:] + tokens[:1]) if len(tokens) > 1 else spec
    if r < 0.92:
        return spec.replace(" ", _pick(rng, ("  ", ",", "，", "/")))
    return spec.translate(_FULL_WIDTH_DIGITS) if rng.random() < 0.5 else spec.lower()


def _render_material(mat: _Material, original: bool, rng: random.Random) -> dict[str, str]:
    k = mat.kind
    # The first record follows the master-data rules; duplicates were created by other
    # plants or in a hurry, with their own naming habits.
    if original:
        return {
            "name": k.name,
            "spec": mat.spec,
            "material_group": k.group,
            "base_uom": k.uom,
            "material_type": k.mtype,
        }
    return {
        "name": _pick(rng, k.synonyms) if rng.random() < 0.5 else k.name,
        "spec": _spec_copy(mat.spec, rng),
        "material_group": k.other_group if rng.random() < 0.3 else k.group,
        "base_uom": _pick(rng, k.uom_variants) if rng.random() < 0.4 else k.uom,
        "material_type": MATERIAL_TYPE_NAMES[k.mtype] if rng.random() < 0.15 else k.mtype,
    }


MATERIAL_DEPTS = ("MM01", "MM02", "MM03")  # plants / purchasing departments


def generate_materials(n: int, *, seed: int = 42) -> list[SynthRecord]:
    """ERP material master records of `n` real materials, with in-system duplicates."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    copies: list[tuple[_Material, bool]] = []
    for mat in _materials(n, rng):
        copies.append((mat, True))
        if rng.random() < MATERIAL_DUPLICATE_RATE:
            copies.append((mat, False))
            if rng.random() < 0.2:
                copies.append((mat, False))
    rng.shuffle(copies)
    serial = rng.randrange(1000, 5000)
    records = []
    for mat, original in copies:
        serial += _randint(rng, 1, 3)
        code = f"{_pick(rng, MATERIAL_DEPTS)}-{serial:06d}"
        records.append(
            SynthRecord(
                "ERP", "materials", code, _render_material(mat, original, rng), mat.truth_id
            )
        )
    return _sorted_records(records, ("ERP",))
