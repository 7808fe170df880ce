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

The tables are plain module-level data in :mod:`matching.normalize.goods_words`, meant to be
extended: words of one family conflict with each other, so a new family is a new entry, not
code. Goods names, brands and units of measure are compared with the helpers of
:mod:`matching.normalize.goods_names`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from matching.normalize.goods_words import (
    DIMENSION_NAMES,
    GRADES,
    NOT_QUALIFIERS,
    QUALIFIERS,
    UNITS,
)
from matching.normalize.text import normalize_text

__all__ = [
    "GoodsAttributes",
    "GoodsConflict",
    "goods_conflicts",
    "goods_from_text",
    "goods_to_text",
    "parse_goods",
]

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
