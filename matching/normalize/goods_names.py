"""Goods names, brands and units of measure made comparable: a unit's canonical code, the words
of a name without its attributes (synonyms read as one name), a name contained in another, the
names a brand is written as. The goods comparators of :mod:`matching.compare` use them; the
attributes that tell two items apart are in :mod:`matching.normalize.goods`.
"""

from __future__ import annotations

import re

from matching.normalize.text import normalize_text

__all__ = [
    "NAME_SYNONYMS",
    "NAME_SYNONYM_EXCEPTIONS",
    "UOM_SYNONYMS",
    "brand_names",
    "goods_name_core",
    "is_contained_name",
    "uom_key",
]

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
