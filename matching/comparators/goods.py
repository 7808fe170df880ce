"""Comparators of goods: product names, parsed specifications, model numbers, brands and units.

Registered in :data:`matching.compare.COMPARATORS`; see that module for the contract.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz import fuzz

from matching.comparators.distance import _osa
from matching.normalize import (
    normalize_text,
    pinyin_of,
)
from matching.normalize.goods import GoodsAttributes, parse_goods
from matching.normalize.goods_names import brand_names, goods_name_core, is_contained_name, uom_key


class PreparedGoodsName(NamedTuple):
    """A product or material name: its text without spaces, and its words without attributes."""

    text: str
    core: str


def _prepare_goods_name(value: str) -> PreparedGoodsName | None:
    text = normalize_text(value).replace(" ", "")
    if not text:
        return None
    return PreparedGoodsName(text, goods_name_core(value))


def _goods_name(a: PreparedGoodsName, b: PreparedGoodsName) -> float:
    """1.0 same name; the character ratio, at least 0.85 when the names say the same words once
    their attributes are left out (吹风机 MC-1201 2000W / 【美厨】吹风机2000W MC1201) or one name
    is the other with words left out (冷轧板 / 冷轧钢板, 空气炸锅 / 美厨空气炸锅 无油 可视).
    Attributes themselves are compared by the spec, model and the attribute veto."""
    if a.text == b.text:
        return 1.0
    similarity = fuzz.ratio(a.text, b.text) / 100.0
    if a.core and b.core:
        short, long_ = (a.core, b.core) if len(a.core) <= len(b.core) else (b.core, a.core)
        if short == long_ or is_contained_name(short, long_):
            return max(similarity, 0.85)
    return similarity


def _prepare_goods_spec(value: str) -> tuple[str, tuple[str, ...], GoodsAttributes] | None:
    text = normalize_text(value).replace("×", "x").replace("*", "x")
    if not text:
        return None
    numbers = tuple(re.findall(r"\d+(?:\.\d+)?", text))
    return text.replace(" ", ""), numbers, parse_goods(spec=value)


def _goods_spec(
    a: tuple[str, tuple[str, ...], GoodsAttributes],
    b: tuple[str, tuple[str, ...], GoodsAttributes],
) -> float:
    """Specifications: the same text or the same parsed attributes (``SPCC 1.0*1000*2500`` /
    ``1.0x1000x2500 SPCC``) score by how much they pin the item down — 1.0 with three or more
    attributes (M5*8 8.8级 本色: thread, class, finish), 0.95 with two (a part number such as
    6306-ZZ counts as two), 0.9 with fewer; 0.8 the same numbers otherwise; 0.0 different
    numbers."""
    same = a[0] == b[0] or (bool(a[2].values) and a[2].values == b[2].values)
    if same:
        # A part number (6306-ZZ, L-HM68) packs several attributes: it counts as two.
        attributes = max(len(x.values) + ("code" in x.values) for x in (a[2], b[2]))
        return 1.0 if attributes >= 3 else 0.95 if attributes == 2 else 0.9
    if a[1] != b[1]:
        return 0.0
    return 0.8


def _prepare_goods_codes(value: str) -> frozenset[str] | None:
    codes = parse_goods(name=value).values.get("code")
    return codes or None


def _goods_codes(a: frozenset[str], b: frozenset[str]) -> float:
    """Model numbers, from the model field or written in a name (a shop title): 1.0 a code in
    common; 0.8 one typo apart; 0.0 otherwise."""
    if a & b:
        return 1.0
    for x in a:
        for y in b:
            if len(x) == len(y) and _osa(x, y, score_cutoff=1) <= 1:
                return 0.8
    return 0.0


def _prepare_brand(value: str) -> frozenset[str] | None:
    names = frozenset(name if name.isascii() else pinyin_of(name) for name in brand_names(value))
    return frozenset(n.replace(" ", "") for n in names if n) or None


def _brand(a: frozenset[str], b: frozenset[str]) -> float:
    """Brands written in characters, pinyin or both (美厨 / 美厨（MEICHU）/ MEICHU): 1.0 a name in
    common (Chinese compared by pinyin), else the best character ratio."""
    if a & b:
        return 1.0
    return max(fuzz.ratio(x, y) for x in a for y in b) / 100.0


def _prepare_uom(value: str) -> str | None:
    return uom_key(value) or None
