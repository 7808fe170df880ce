"""Goods attributes: what tells two products or materials apart, parsed from their free text.

ERP material masters and shop titles write the attributes that make an item *this* item into
the name, the specification and the model: ``六角头螺栓 M12*30 8.8级 镀锌``, ``空气炸锅 6L``,
``劳保手套 9号 丁腈涂掌``, ``瓦楞纸箱 600*200*200mm 三层``. Two records alike in every other
word but one of these are two items, however high their text similarity. :func:`parse_goods`
extracts them into :class:`GoodsAttributes` and :func:`goods_conflicts` says where two records
disagree:

* quantities with units, in a canonical unit per dimension (1.5 L = 1500 ml, 20 Ah = 20000 mAh,
  10 nF = 10000 pF, 1 寸 = 1 inch, 三层 = 3 ply …) — :data:`UNITS`;
* sizes (``600*200*200mm``, ``Φ45*5``), threads (``M12*30`` = ``M12X30`` = ``M12×30``) and
  diameters (``Φ1.6``);
* grades: property classes of fasteners (8.8级, 10.9), stainless and structural steel grades
  (304, 316L, Q235) — :data:`GRADES`;
* qualifier words grouped in families — surface finish, colour, material and coating, paper
  size, clothing size — :data:`QUALIFIERS`; a word maps to a path (``zinc/hot-dip``) so that a
  generic word (镀锌) does not conflict with a more specific one of the same kind (热镀锌), while
  two specific ones (热镀锌 / 电镀锌) do;
* codes: model and part numbers (letters and digits, ``MC-1201`` = ``MC1201``).

Conflict: on a dimension both records state, each holds a value the other does not cover
(neither says a subset of the other): ``{6 L}`` / ``{5 L}`` conflict, ``{黑}`` / ``{黑, 白}``
do not (one record lists more). A missing attribute is never a conflict: shop titles and ERP
names do not say the same things.

The tables are plain module-level data, meant to be extended: words of one family conflict with
each other, so a new family is a new entry, not code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from matching.normalize.text import normalize_text

__all__ = [
    "DIMENSION_NAMES",
    "GRADES",
    "NAME_SYNONYMS",
    "NAME_SYNONYM_EXCEPTIONS",
    "QUALIFIERS",
    "UNITS",
    "UOM_SYNONYMS",
    "GoodsAttributes",
    "GoodsConflict",
    "goods_conflicts",
    "goods_from_text",
    "goods_to_text",
    "brand_names",
    "goods_name_core",
    "is_contained_name",
    "parse_goods",
    "uom_key",
]

# --------------------------------------------------------------------------- data tables

#: unit as written (lower case) -> (dimension, factor to the dimension's canonical unit).
UNITS: dict[str, tuple[str, float]] = {
    # volume, canonical ml
    **dict.fromkeys(("ml", "毫升", "cc"), ("volume", 1.0)),
    **dict.fromkeys(("l", "升", "公升"), ("volume", 1000.0)),
    # battery charge, canonical mAh
    **dict.fromkeys(("mah", "毫安时", "毫安"), ("charge", 1.0)),
    "ah": ("charge", 1000.0),
    # energy, canonical Wh
    "wh": ("energy", 1.0),
    "kwh": ("energy", 1000.0),
    # power, canonical W
    **dict.fromkeys(("w", "瓦"), ("power", 1.0)),
    **dict.fromkeys(("kw", "千瓦"), ("power", 1000.0)),
    # voltage, canonical V
    **dict.fromkeys(("v", "伏", "vac", "vdc"), ("voltage", 1.0)),
    "kv": ("voltage", 1000.0),
    "mv": ("voltage", 0.001),
    # current, canonical A
    **dict.fromkeys(("a", "安"), ("current", 1.0)),
    "ma": ("current", 0.001),
    # length, canonical mm
    **dict.fromkeys(("mm", "毫米"), ("length", 1.0)),
    **dict.fromkeys(("cm", "厘米"), ("length", 10.0)),
    **dict.fromkeys(("m", "米"), ("length", 1000.0)),
    **dict.fromkeys(("um", "μm", "微米"), ("length", 0.001)),
    "km": ("length", 1_000_000.0),
    # screens and pipes in inches (寸 in a TV or a wheel is the inch)
    **dict.fromkeys(("寸", "英寸", "吋", "inch", '"'), ("inch", 1.0)),
    # mass, canonical g
    **dict.fromkeys(("g", "克"), ("mass", 1.0)),
    **dict.fromkeys(("kg", "公斤", "千克"), ("mass", 1000.0)),
    "mg": ("mass", 0.001),
    **dict.fromkeys(("t", "吨"), ("mass", 1_000_000.0)),
    "斤": ("mass", 500.0),
    # capacitance, canonical pF
    "pf": ("capacitance", 1.0),
    "nf": ("capacitance", 1000.0),
    **dict.fromkeys(("uf", "μf", "µf"), ("capacitance", 1_000_000.0)),
    # resistance, canonical ohm
    **dict.fromkeys(("ω", "ohm", "欧"), ("resistance", 1.0)),
    **dict.fromkeys(("kω", "千欧"), ("resistance", 1000.0)),
    **dict.fromkeys(("mω", "兆欧"), ("resistance", 1_000_000.0)),
    # inductance, canonical uH
    "uh": ("inductance", 1.0),
    "mh": ("inductance", 1000.0),
    # frequency, canonical Hz
    "hz": ("frequency", 1.0),
    "khz": ("frequency", 1000.0),
    "mhz": ("frequency", 1_000_000.0),
    "ghz": ("frequency", 1_000_000_000.0),
    # data storage, canonical GB
    "gb": ("storage", 1.0),
    "tb": ("storage", 1024.0),
    "mb": ("storage", 1 / 1024),
    # pressure, canonical kPa
    "kpa": ("pressure", 1.0),
    "mpa": ("pressure", 1000.0),
    "bar": ("pressure", 100.0),
    "pa": ("pressure", 0.001),
    # temperature, rotation speed, illumination, paper weight
    **dict.fromkeys(("℃", "°c"), ("temperature", 1.0)),
    "度": ("degree", 1.0),
    **dict.fromkeys(("rpm", "转"), ("speed", 1.0)),
    **dict.fromkeys(("lm", "流明"), ("luminous_flux", 1.0)),
    "k色温": ("colour_temperature", 1.0),
    **dict.fromkeys(("g/m2", "g/㎡", "克/平方米"), ("grammage", 1.0)),
    # counts that name the item (layers / plies, tissue draws, sheets, mesh, size numbers)
    **dict.fromkeys(("层", "ply", "ply"), ("ply", 1.0)),
    "抽": ("draws", 1.0),
    "张": ("sheets", 1.0),
    "目": ("mesh", 1.0),
    **dict.fromkeys(("号", "#"), ("size_number", 1.0)),
    "件套": ("pieces", 1.0),
    **dict.fromkeys(("%", "％"), ("percent", 1.0)),
    **dict.fromkeys(("芯",), ("cores", 1.0)),
    **dict.fromkeys(("平方", "mm2", "mm²", "平方毫米"), ("cross_section", 1.0)),
}

#: Dimension -> how an explanation names it (Chinese English).
DIMENSION_NAMES: dict[str, str] = {
    "volume": "容量 volume",
    "charge": "电池容量 battery capacity",
    "energy": "能量 energy",
    "power": "功率 power",
    "voltage": "电压 voltage",
    "current": "电流 current",
    "length": "长度 length",
    "inch": "尺寸(英寸) size in inches",
    "mass": "重量 weight",
    "capacitance": "容值 capacitance",
    "resistance": "阻值 resistance",
    "inductance": "电感 inductance",
    "frequency": "频率 frequency",
    "storage": "存储容量 storage",
    "pressure": "压力 pressure",
    "temperature": "温度 temperature",
    "degree": "度数 degree",
    "speed": "转速 speed",
    "luminous_flux": "光通量 luminous flux",
    "colour_temperature": "色温 colour temperature",
    "grammage": "克重 grammage",
    "ply": "层数 ply",
    "draws": "抽数 draws",
    "sheets": "张数 sheets",
    "mesh": "目数 mesh",
    "size_number": "号型 size number",
    "pieces": "件数 pieces",
    "percent": "百分比 percentage",
    "tolerance": "精度 tolerance",
    "cores": "芯数 cores",
    "cross_section": "截面积 cross-section",
    "pack": "包装规格 pack size",
    "size": "尺寸 size",
    "thread": "螺纹规格 thread",
    "diameter": "直径 diameter",
    "property_class": "强度等级 property class",
    "steel_grade": "材质牌号 steel grade",
    "code": "型号 model / code",
    "finish": "表面处理 surface finish",
    "colour": "颜色 colour",
    "material": "材质 material",
    "paper_size": "纸张规格 paper size",
    "clothing_size": "尺码 clothing size",
    "construction": "结构 construction",
}

#: Qualifier families: word as written -> canonical path. Two words of one family conflict
#: unless one's path is a prefix of the other's (镀锌 ``zinc`` / 热镀锌 ``zinc/hot-dip``).
QUALIFIERS: dict[str, dict[str, str]] = {
    "finish": {
        **dict.fromkeys(("镀锌", "锌"), "zinc"),
        **dict.fromkeys(("电镀锌", "电锌", "冷镀锌"), "zinc/electro"),
        **dict.fromkeys(("热镀锌", "热浸锌", "热浸镀锌", "热镀"), "zinc/hot-dip"),
        **dict.fromkeys(("蓝白锌", "白锌", "蓝锌"), "zinc/electro/blue-white"),
        **dict.fromkeys(("彩锌", "镀彩锌", "黄锌"), "zinc/electro/yellow"),
        **dict.fromkeys(("黑锌", "镀黑锌"), "zinc/electro/black"),
        **dict.fromkeys(("达克罗", "达克锈", "锌铬涂层", "dacromet"), "dacromet"),
        **dict.fromkeys(("锌铝涂层", "久美特", "geomet"), "zinc-flake"),
        **dict.fromkeys(("发黑", "氧化黑", "黑化", "发蓝"), "black-oxide"),
        **dict.fromkeys(("镀镍", "镍"), "nickel"),
        **dict.fromkeys(("镀铬", "铬"), "chrome"),
        **dict.fromkeys(("镀铜",), "copper"),
        **dict.fromkeys(("镀锡",), "tin"),
        **dict.fromkeys(("镀金",), "gold"),
        **dict.fromkeys(("镀银",), "silver"),
        **dict.fromkeys(("磷化",), "phosphate"),
        **dict.fromkeys(("阳极氧化", "氧化"), "anodized"),
        **dict.fromkeys(("喷塑", "静电喷涂", "粉末喷涂"), "powder-coat"),
        **dict.fromkeys(("喷漆", "烤漆"), "paint"),
        **dict.fromkeys(("本色", "原色", "素色", "不处理", "无处理"), "plain"),
        **dict.fromkeys(("拉丝",), "brushed"),
        **dict.fromkeys(("镜面", "抛光"), "polished"),
        **dict.fromkeys(("喷砂",), "sandblasted"),
        **dict.fromkeys(("钝化",), "passivated"),
    },
    "colour": {
        **dict.fromkeys(("黑色", "黑", "black"), "black"),
        **dict.fromkeys(("亮黑", "曜石黑"), "black/glossy"),
        **dict.fromkeys(("哑黑", "磨砂黑"), "black/matte"),
        **dict.fromkeys(("白色", "白", "white"), "white"),
        **dict.fromkeys(("乳白", "奶白", "象牙白"), "white/milk"),
        **dict.fromkeys(("米白",), "off-white"),
        **dict.fromkeys(("米黄", "米色", "beige"), "beige"),
        **dict.fromkeys(("红色", "红", "red"), "red"),
        **dict.fromkeys(("酒红",), "red/wine"),
        **dict.fromkeys(("蓝色", "蓝", "blue"), "blue"),
        **dict.fromkeys(("深蓝", "藏蓝", "藏青", "navy"), "blue/dark"),
        **dict.fromkeys(("浅蓝", "天蓝"), "blue/light"),
        **dict.fromkeys(("绿色", "绿", "green"), "green"),
        **dict.fromkeys(("墨绿", "深绿"), "green/dark"),
        **dict.fromkeys(("浅绿",), "green/light"),
        **dict.fromkeys(("黄色", "黄", "yellow"), "yellow"),
        **dict.fromkeys(("灰色", "灰", "grey", "gray"), "grey"),
        **dict.fromkeys(("深灰", "深空灰"), "grey/dark"),
        **dict.fromkeys(("浅灰",), "grey/light"),
        **dict.fromkeys(("银色", "银", "silver"), "silver"),
        **dict.fromkeys(("金色", "香槟金", "gold"), "gold"),
        **dict.fromkeys(("玫瑰金",), "rose-gold"),
        **dict.fromkeys(("粉色", "粉红", "粉", "pink"), "pink"),
        **dict.fromkeys(("紫色", "紫", "purple"), "purple"),
        **dict.fromkeys(("橙色", "橘色", "橙", "orange"), "orange"),
        **dict.fromkeys(("棕色", "咖啡色", "褐色", "brown"), "brown"),
        **dict.fromkeys(("透明", "全透", "transparent", "clear"), "transparent"),
        **dict.fromkeys(("本色", "原色", "natural"), "natural"),
    },
    "material": {
        **dict.fromkeys(("丁腈", "nbr", "丁晴"), "nitrile"),
        **dict.fromkeys(("pu", "聚氨酯"), "polyurethane"),
        **dict.fromkeys(("棉纱", "纱线"), "cotton/yarn"),
        **dict.fromkeys(("纯棉", "棉"), "cotton"),
        **dict.fromkeys(("乳胶", "latex"), "latex"),
        **dict.fromkeys(("橡胶",), "rubber"),
        **dict.fromkeys(("氟橡胶", "fkm", "viton"), "fkm"),
        **dict.fromkeys(("三元乙丙", "epdm"), "epdm"),
        **dict.fromkeys(("硅胶", "硅橡胶", "silicone"), "silicone"),
        **dict.fromkeys(("四氟", "聚四氟乙烯", "ptfe"), "ptfe"),
        **dict.fromkeys(("pvc",), "pvc"),
        **dict.fromkeys(("尼龙", "nylon"), "nylon"),
        **dict.fromkeys(("涤纶", "聚酯纤维", "polyester"), "polyester"),
        **dict.fromkeys(("帆布",), "canvas"),
        **dict.fromkeys(("牛皮", "皮革", "真皮"), "leather"),
        **dict.fromkeys(("不锈钢",), "stainless"),
        **dict.fromkeys(("碳钢",), "carbon-steel"),
        **dict.fromkeys(("合金钢",), "alloy-steel"),
        **dict.fromkeys(("铝合金", "铝"), "aluminium"),
        **dict.fromkeys(("黄铜",), "copper/brass"),
        **dict.fromkeys(("紫铜", "红铜"), "copper/pure"),
        **dict.fromkeys(("铜",), "copper"),
        **dict.fromkeys(("铸铁",), "cast-iron"),
        **dict.fromkeys(("玻璃",), "glass"),
        **dict.fromkeys(("陶瓷",), "ceramic"),
        **dict.fromkeys(("abs",), "abs"),
        **dict.fromkeys(("pe", "聚乙烯"), "pe"),
        **dict.fromkeys(("pet",), "pet"),
        **dict.fromkeys(("竹",), "bamboo"),
        **dict.fromkeys(("实木",), "wood"),
    },
    "paper_size": {
        size: size
        for size in (
            *("a0", "a1", "a2", "a3", "a4", "a5", "a6"),
            *("b3", "b4", "b5", "b6", "16k", "8k", "32k"),
        )
    },
    "clothing_size": {
        size: size for size in ("xs", "s码", "m码", "l码", "xl", "xxl", "xxxl", "2xl", "3xl", "4xl")
    },
    "construction": {
        **dict.fromkeys(("单面",), "single-sided"),
        **dict.fromkeys(("双面",), "double-sided"),
        **dict.fromkeys(("单芯",), "single-core"),
        **dict.fromkeys(("多芯",), "multi-core"),
        **dict.fromkeys(("屏蔽",), "shielded"),
        **dict.fromkeys(("无屏蔽",), "unshielded"),
        **dict.fromkeys(("有线",), "wired"),
        **dict.fromkeys(("无线",), "wireless"),
    },
}

#: Words that contain a qualifier word but are none (蓝牙 is Bluetooth, not blue): they are
#: removed before qualifiers are looked for.
NOT_QUALIFIERS: tuple[str, ...] = (
    *("蓝牙", "红外", "白板", "黑板", "白糖", "红糖", "白酒", "红酒", "黑胡椒", "绿茶", "红茶"),
    *("白茶", "黑茶", "黄油", "白醋", "灰尘", "黄金", "白金", "铜版纸", "锌合金", "镍氢"),
    *("铝箔", "铝塑", "棉签", "棉柔", "粉末", "粉碎", "金属", "银行", "黑胶", "天然水"),
    "双面打印",
    # 透明胶(带) is the everyday name of packing tape of any colour (米黄透明胶带 is sold as
    # such): the colour is the one its specification states.
    *("透明胶带", "透明胶"),
)

#: Grades: family -> regular expression of the grade as written (its first group, folded to
#: upper case, is the canonical value).
GRADES: dict[str, str] = {
    # ISO 898 property classes of bolts and screws; nuts' classes with 级 only.
    "property_class": r"(?:(?<![\d.])|(?=\d+\.\d\s*级))(3\.6|4\.6|4\.8|5\.6|5\.8|6\.8|8\.8|9\.8|"
    r"10\.9|12\.9)(?:\s*级)?(?![\d.])|(?<![\d.])(4|5|6|8|10|12)\s*级",
    # stainless steels (AISI / GB), with the optional L / Ti suffix
    "steel_grade": r"(?<![0-9a-z\-/])((?:sus|ss)?(?:201|202|301|303|304|310s?|316|321|410|420|430|"
    r"440c?)(?:l|ti|h)?|\d{2}cr\d{2}ni\d{1,2}\w*|q195|q215|q235[a-e]?|q345[a-e]?|q355[a-e]?|"
    r"q390|q420|45#|40cr|42crmo|65mn|gcr15|spcc|spcd|spce|secc|sgcc|dc0[1-6]|h62|h65|"
    r"6061|6063|7075|5052)(?![0-9a-z])",
}

# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class GoodsAttributes:
    """Parsed attributes of one product or material: dimension -> canonical values, and for
    each canonical value the text it was read from (for explanations)."""

    values: Mapping[str, frozenset[str]]
    written: Mapping[tuple[str, str], str]

    def __bool__(self) -> bool:
        return bool(self.values)

    def shown(self, dimension: str, values: Iterable[str]) -> str:
        """Values of a dimension as the record wrote them, for an explanation."""
        return " / ".join(self.written.get((dimension, v), v) for v in sorted(values))


@dataclass(frozen=True, slots=True)
class GoodsConflict:
    """One dimension on which two records disagree, with the values each wrote."""

    dimension: str
    left: str
    right: str

    @property
    def name(self) -> str:
        return DIMENSION_NAMES.get(self.dimension, self.dimension)

    @property
    def note(self) -> str:
        return f"规格冲突 conflicting attribute: {self.name} {self.left} ≠ {self.right}"


_NUMBER = r"(\d+(?:\.\d+)?)"
_CN_NUMERALS = {"单": 1, "一": 1, "双": 2, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5}
_CN_NUMERALS.update({"六": 6, "七": 7, "八": 8, "九": 9, "十": 10})
_TIMES = r"\s*[x*×]\s*"
_THREAD_RE = re.compile(
    rf"(?<![0-9a-z])m{_NUMBER}(?:\s*[x*×]\s*{_NUMBER}(?!\s*[x*×]))?(?:\s*mm)?(?![\d.])"
)
_PHI_RE = re.compile(rf"[φΦϕø⌀]\s*{_NUMBER}((?:{_TIMES}{_NUMBER})*)\s*(mm|cm|m)?(?![a-z])")
_SIZE_RE = re.compile(
    rf"(?<![\d.a-z]){_NUMBER}\s*(mm|cm|m)?((?:{_TIMES}{_NUMBER}\s*(?:mm|cm|m)?)+)(?![\d.])"
)
_PACK_RE = re.compile(
    r"(\d+)\s*(支|包|卷|片|个|只|粒|袋|瓶|罐|盒|听|双|副|对|条|根|套|件|张|本|pcs|枚)\s*[/／]\s*"
    r"(盒|箱|包|袋|卷|提|件|板|桶|瓶|打|套|组)"
)
_TIMES_COUNT_RE = re.compile(
    r"[x*×]\s*(\d+)\s*(支|包|卷|片|个|只|粒|袋|瓶|罐|盒|听|双|副|对|条|根|套|件|张|本|pcs|枚)"
)
_TOLERANCE_RE = re.compile(r"[±+]\s*(\d+(?:\.\d+)?)\s*[%％]")
_CN_LAYER_RE = re.compile(r"([单一双两二三四五六七八九十])\s*层")
_CN_CORE_RE = re.compile(r"([单双两二三四五六七八九十])\s*芯")


def _unit_pattern() -> re.Pattern[str]:
    units = sorted(UNITS, key=len, reverse=True)
    # A Latin unit must not run on into a word or a number (5G, 4K, 1100N are no quantities
    # here); a Chinese one may (3层100抽).
    alternatives = "|".join(
        rf"{re.escape(u)}(?![a-z0-9μµω²])" if u.isascii() else re.escape(u) for u in units
    )
    return re.compile(rf"(?<![\d.a-z]){_NUMBER}\s*({alternatives})")


_QUANTITY_RE = _unit_pattern()
_GRADE_RES = {family: re.compile(pattern) for family, pattern in GRADES.items()}
_CODE_RE = re.compile(r"(?<![0-9a-z])([a-z0-9]+(?:[-/.][a-z0-9]+)*)(?![0-9a-z])")
_BARE_NUMBER_RE = re.compile(r"(?<![\d.a-z])(\d{2,}(?:\.\d+)?)(?![\d.a-z])")


_CJK = r"\u3400-\u9fff"


#: A trie node: the next character -> its node ("" marks the end of a word).
_TrieNode = dict[str, "_TrieNode"]


def _trie(words: Iterable[str]) -> str:
    """One regular expression for a set of words, as a trie: the engine decides on the first
    character instead of trying some 250 alternatives at every position, and the longest word
    wins (镀锌 before 锌, 热镀锌 before 镀锌 where it starts)."""
    tree: _TrieNode = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: _TrieNode) -> str:
        branches = [
            re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            # A word ends here: a longer word is tried first (greedy), then this one.
            return "(?:" + body + ")?"
        return body

    return pattern(tree)


def _qualifier_pattern() -> re.Pattern[str]:
    """Latin words only as whole words; a one-character Chinese word only standing alone (黑 in
    ``黑/白``, not in 黑板 or a brand); longer Chinese words anywhere (no spaces between words).
    Longer words are matched first wherever they start."""
    words = {word for family in QUALIFIERS.values() for word in family}
    latin = sorted(w for w in words if w.isascii())
    single = sorted(w for w in words if not w.isascii() and len(w) == 1)
    chinese = sorted(w for w in words if not w.isascii() and len(w) > 1)
    return re.compile(
        "|".join(
            (
                _trie(chinese),
                rf"(?<![a-z])(?:{_trie(latin)})(?![a-z])",
                rf"(?<![{_CJK}])[{''.join(single)}](?![{_CJK}])",
            )
        )
    )


_QUALIFIER_RE = _qualifier_pattern()
_NOT_QUALIFIER_RE = re.compile("|".join(re.escape(w) for w in NOT_QUALIFIERS))
#: Mobile network generations (5G手机) are no grams.
_NETWORK_RE = re.compile(r"(?<![\d.a-z])[2-6]g(?=\s*(?:手机|网络|全网通|路由|双模|版|cpe))")


def _number(value: float) -> str:
    """A canonical number: no trailing zeros, no float noise (1500.0 -> '1500')."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _mm(value: str, unit: str | None) -> str:
    factor = {"cm": 10.0, "m": 1000.0}.get(unit or "", 1.0)
    return _number(float(value) * factor)


class _Found:
    def __init__(self) -> None:
        self.values: dict[str, set[str]] = {}
        self.written: dict[tuple[str, str], str] = {}

    def add(self, dimension: str, value: str, written: str) -> None:
        self.values.setdefault(dimension, set()).add(value)
        self.written.setdefault((dimension, value), written.strip())


def _blank(text: str, match: re.Match[str]) -> str:
    """The text with a parsed span replaced by spaces (positions kept, nothing parsed twice)."""
    start, end = match.span()
    return text[:start] + " " * (end - start) + text[end:]


def _take(text: str, pattern: re.Pattern[str]) -> tuple[str, list[re.Match[str]]]:
    matches = list(pattern.finditer(text))
    for match in matches:
        text = _blank(text, match)
    return text, matches


def _parse_text(text: str, found: _Found, *, bare_numbers: bool) -> None:
    text = text.replace("（", "(").replace("）", ")")
    text, _ = _take(text, _NETWORK_RE)
    text, matches = _take(text, _PACK_RE)
    for m in matches:
        found.add("pack", f"{m.group(1)}{m.group(2)}/{m.group(3)}", m.group(0))
    text, matches = _take(text, _TOLERANCE_RE)
    for m in matches:
        found.add("tolerance", _number(float(m.group(1))), m.group(0))
    for family, pattern in _GRADE_RES.items():
        text, matches = _take(text, pattern)
        for m in matches:
            value = next(g for g in m.groups() if g is not None).upper()
            if family == "steel_grade":
                value = value.removeprefix("SUS").removeprefix("SS")
            found.add(family, value, m.group(0))
    text, matches = _take(text, _THREAD_RE)
    for m in matches:
        diameter, length = m.group(1), m.group(2)
        value = _number(float(diameter)) + (f"/{_number(float(length))}" if length else "")
        found.add("thread", value, m.group(0))
    text, matches = _take(text, _PHI_RE)
    for m in matches:
        unit = m.group(4)
        found.add("diameter", _mm(m.group(1), unit), m.group(0))
        if m.group(2):
            rest = re.findall(_NUMBER, m.group(2))
            found.add("size", "x".join(_mm(v, unit) for v in (m.group(1), *rest)), m.group(0))
    text, matches = _take(text, _SIZE_RE)
    for m in matches:
        parts = re.findall(rf"{_NUMBER}\s*(mm|cm|m)?", m.group(0))
        last_unit = next((u for _, u in reversed(parts) if u), None)
        value = "x".join(_mm(number, unit or last_unit) for number, unit in parts)
        found.add("size", value, m.group(0))
    text, matches = _take(text, _TIMES_COUNT_RE)
    for m in matches:
        found.add("count", f"{m.group(1)}{m.group(2)}", m.group(0))
    for pattern, dimension in ((_CN_LAYER_RE, "ply"), (_CN_CORE_RE, "cores")):
        text, matches = _take(text, pattern)
        for m in matches:
            found.add(dimension, str(_CN_NUMERALS[m.group(1)]), m.group(0))
    text, matches = _take(text, _QUANTITY_RE)
    for m in matches:
        dimension, factor = UNITS[m.group(2)]
        found.add(dimension, _number(float(m.group(1)) * factor), m.group(0))
    text, _ = _take(text, _NOT_QUALIFIER_RE)
    text, matches = _take(text, _QUALIFIER_RE)
    for m in matches:
        word = m.group(0)
        for family, words in QUALIFIERS.items():
            if word in words:
                found.add(family, words[word], word)
    text, matches = _take(text, _CODE_RE)
    for m in matches:
        token = m.group(1)
        code = re.sub(r"[-/.]", "", token).upper()
        has_letter = any(ch.isalpha() for ch in code)
        has_digit = any(ch.isdigit() for ch in code)
        if has_letter and has_digit and len(code) >= 3:
            found.add("code", code, token)
        elif has_letter and len(code) >= 3 and not bare_numbers:
            continue  # a Latin word of a shop title (Lightning, USB): not an identity
        elif has_letter and len(code) >= 2 and bare_numbers:
            found.add("code", code, token)  # a spec's letters are a type (SPCC, FKM, ZZ)
        elif bare_numbers and has_digit and _BARE_NUMBER_RE.fullmatch(token):
            found.add("number", _number(float(token)), token)


@lru_cache(maxsize=65_536)
def parse_goods(name: str = "", spec: str = "", model: str = "") -> GoodsAttributes:
    """The attributes of a product or material from its name, specification and model.

    A specification is a list of attributes, so its bare numbers (0603, 6306) and Latin type
    letters (FKM, SPCC) count too; in a name only numbers with units and codes with letters and
    digits do (a shop title's ``2023新款`` says nothing about the item). The model field is a
    code as a whole (``XC 9801`` = ``XC-9801``).
    """
    found = _Found()
    for text, bare in ((name, False), (spec, True)):
        if text:
            _parse_text(normalize_text(text), found, bare_numbers=bare)
    if model:
        code = re.sub(r"[^0-9A-Za-z]", "", normalize_text(model)).upper()
        if len(code) >= 3 and any(ch.isdigit() for ch in code):
            found.add("code", code, model)
    return GoodsAttributes({d: frozenset(v) for d, v in found.values.items()}, dict(found.written))


# --------------------------------------------------------------------------- comparing


def _covers(value: str, others: frozenset[str], dimension: str) -> bool:
    """``value`` agrees with one of ``others``: equal, or one a refinement of the other
    (``zinc`` / ``zinc/hot-dip``, thread ``12`` / ``12/30``)."""
    if value in others:
        return True
    if dimension not in _HIERARCHICAL:
        return False
    return any(value.startswith(o + "/") or o.startswith(value + "/") for o in others)


_HIERARCHICAL = frozenset(QUALIFIERS) | {"thread"}


def goods_conflicts(a: GoodsAttributes, b: GoodsAttributes) -> list[GoodsConflict]:
    """The dimensions on which two records disagree: both state the dimension and each holds a
    value the other does not cover (a record that only lists more values does not conflict).
    Ordered by dimension name, so that the first one is stable."""
    conflicts: list[GoodsConflict] = []
    for dimension in sorted(a.values.keys() & b.values.keys()):
        left, right = a.values[dimension], b.values[dimension]
        only_left = {v for v in left if not _covers(v, right, dimension)}
        if not only_left:
            continue
        only_right = {v for v in right if not _covers(v, left, dimension)}
        if only_right:
            conflicts.append(
                GoodsConflict(
                    dimension, a.shown(dimension, only_left), b.shown(dimension, only_right)
                )
            )
    return conflicts


def goods_to_text(attributes: GoodsAttributes) -> str:
    """The canonical values as a compact, stable JSON text (kept with a batch's auto pairs)."""
    values = {d: sorted(v) for d, v in sorted(attributes.values.items())}
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=65_536)
def goods_from_text(text: str) -> GoodsAttributes:
    """:func:`goods_to_text` read back (values only: an explanation shows canonical values)."""
    values = json.loads(text)
    return GoodsAttributes({d: frozenset(v) for d, v in values.items()}, {})


# --------------------------------------------------------------------------- names, brands, units

#: Units of measure that mean the same (ERP codes, Chinese words, English words).
UOM_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("pc", "pcs", "ea", "each", "piece", "个", "件", "只"),
    ("kg", "公斤", "千克"),
    ("g", "克"),
    ("t", "吨"),
    ("m", "米"),
    ("l", "升"),
    ("pr", "pair", "副", "双", "对"),
    ("set", "套"),
    ("rl", "roll", "卷"),
    ("dr", "drum", "桶"),
    ("box", "bx", "盒"),
    ("ctn", "carton", "箱"),
    ("bt", "btl", "bottle", "瓶"),
    ("bag", "袋"),
    ("sht", "sheet", "张"),
    ("unit", "台"),
)
_UOM = {word: group[0] for group in UOM_SYNONYMS for word in group}

#: Names of one kind of goods written in other words, as material masters and shops do: the
#: name a compared name is read as -> the words written for it. Only words that name the same
#: kind of item everywhere belong here (螺丝 is the everyday word for 螺钉; 防护手套, 劳保手套
#: and 工作手套 are one glove); a word that also names something else is an exception below.
NAME_SYNONYMS: dict[str, tuple[str, ...]] = {
    "螺钉": ("螺丝",),
    "螺母": ("螺帽",),
    "纸箱": ("包装箱", "纸板箱", "纸皮箱", "瓦楞箱", "外箱"),
    "封箱胶带": ("透明胶带", "透明胶", "封箱胶", "封口胶带", "打包胶带", "包装胶带"),
    "劳保手套": ("防护手套", "劳动保护手套", "工作手套", "作业手套"),
    "劳保鞋": ("防护鞋", "安全鞋", "劳动保护鞋"),
    "护目镜": ("防护眼镜", "劳保眼镜"),
    "电容": ("电容器",),
    "电阻": ("电阻器",),
    "电感": ("电感器",),
}

#: Words that contain a synonym but name another item: read as written (a screwdriver is no
#: screw, a wooden or plastic packing case no carton).
NAME_SYNONYM_EXCEPTIONS: tuple[str, ...] = (
    *("螺丝刀", "螺丝批", "螺丝攻", "螺丝钳"),
    *("木包装箱", "木质包装箱", "木制包装箱", "塑料包装箱", "铁包装箱", "金属包装箱"),
)
_NAME_DROP_RE = re.compile(r"[^\u3400-\u9fffa-z]+")
_LATIN_WORD_RE = re.compile(r"[a-z]+")
_BRAND_SPLIT_RE = re.compile(r"[()/|,，、\s]+")


def uom_key(value: str) -> str:
    """A unit of measure's canonical code (``公斤`` -> ``kg``, ``PCS`` -> ``pc``)."""
    text = normalize_text(value).replace(" ", "")
    return _UOM.get(text, text)


def _synonym_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    read_as = {word: name for name, words in NAME_SYNONYMS.items() for word in words}
    # Names and exceptions read as themselves; longest first, so that an exception (螺丝刀)
    # or a name (封箱胶带) wins over a shorter word it contains (螺丝, 封箱胶).
    read_as.update((word, word) for word in (*NAME_SYNONYMS, *NAME_SYNONYM_EXCEPTIONS))
    words = sorted(read_as, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in words)), read_as


_SYNONYM_RE, _READ_AS = _synonym_pattern()


def goods_name_core(value: str) -> str:
    """The words of a goods name without its attributes: Chinese characters and Latin words
    with no digits (``【美厨】空气炸锅6L MC-8601`` -> ``美厨空气炸锅``), each word of
    :data:`NAME_SYNONYMS` read as the name it stands for (``内六角螺丝`` -> ``内六角螺钉``)."""
    text = normalize_text(value)
    text = re.sub(r"[a-z0-9.\-/_]*\d[a-z0-9.\-/_]*", " ", text)  # codes and quantities
    text = _NAME_DROP_RE.sub("", text)
    return _SYNONYM_RE.sub(lambda m: _READ_AS[m.group(0)], text)


def is_contained_name(short: str, long: str) -> bool:
    """``short`` is ``long`` with words left out: its characters appear in order in ``long``
    and its head noun is there — the last character ends ``long`` too (ERP names: 冷轧板 /
    冷轧钢板, 电容 / 贴片电容), or its last two characters stand together in ``long`` (a shop
    title that goes on after the noun: 空气炸锅 / 美厨空气炸锅无油可视)."""
    if len(short) < 2 or len(short) >= len(long):
        return False
    position = 0
    for char in short:
        position = long.find(char, position) + 1
        if position == 0:
            return False
    return long.endswith(short[-1]) or short[-2:] in long


def brand_names(value: str) -> frozenset[str]:
    """The names a brand is written as, each as pinyin-comparable text: ``美厨（MEICHU）``,
    ``美厨/MEICHU`` -> {美厨, meichu}. The Chinese ones are compared by their pinyin by
    the brand comparator."""
    text = normalize_text(value)
    return frozenset(part for part in _BRAND_SPLIT_RE.split(text) if part)
