"""Administrative regions (provinces, prefectures, counties) as they open company names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dictionary.standardizers import to_simplified
from matching.normalize.pinyin import pinyin_of
from matching.normalize.text import _words, normalize_text


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative division: full name, short name (no 省/市/区 suffix), level and code.

    ``level`` is 1 for a province, 2 for a prefecture, 3 for a county or district. ``code`` has 2,
    4 or 6 digits so that containment is a prefix test (``4403`` 深圳 lies in ``44`` 广东).
    """

    name: str
    short: str
    level: int
    code: str
    current: bool


_LOC_LINE_RE = re.compile(r'^(\s*)(\d+) (province|county)="([^"]*)"')
_YEARS_RE = re.compile(r"^\[(\d*)-(\d*)\]")
_GENERIC_DIVISIONS = {"市辖区", "郊区", "市区", "城区", "矿区", "新区", "县", "区", "近郊区"}
_ETHNIC_GROUPS = _words(
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
    "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
)
# The base name keeps at least two characters: 内蒙古自治区 is 内蒙古, not 内 + 蒙古族.
_AUTONOMOUS_RE = re.compile(
    "^(.{2,}?)(?:(?:"
    + "|".join(sorted(_ETHNIC_GROUPS, key=len, reverse=True))
    + ")族?)+自治(?:区|州|县|旗)$"
)
_DIVISION_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "新区",
    "特区",
)
_SHORT_SUFFIXES = "省市区县盟旗"


def _short_name(name: str) -> str:
    """广西壮族自治区 -> 广西, 延边朝鲜族自治州 -> 延边, 海淀区 -> 海淀, 广州市 -> 广州."""
    match = _AUTONOMOUS_RE.match(name)
    if match:
        return match.group(1)
    for suffix in _DIVISION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    if name[-1] in _SHORT_SUFFIXES and len(name) > 2:
        return name[:-1]
    return name


@lru_cache(maxsize=1)
def _regions() -> tuple[Region, ...]:
    """Parse stdnum's loc.dat into Region rows (provinces, prefectures, counties; old names too).

    Old names (``[-2010]崇文区``) are kept because company names registered under them live on;
    where a short name is shared, the lookup tables below prefer the current, higher-level one.
    """
    import stdnum

    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    rows: list[Region] = []
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LOC_LINE_RE.match(line)
        if match is None:
            continue
        _indent, code, kind, names = match.groups()
        if kind == "province":
            province = code
            name = to_simplified(names)
            rows.append(Region(name, _short_name(name), 1, code, True))
            continue
        if code == "0000":
            continue
        level = 2 if code.endswith("00") else 3
        full_code = province + (code[:2] if level == 2 else code)
        for entry in names.split(","):
            years = _YEARS_RE.match(entry)
            name = to_simplified(_YEARS_RE.sub("", entry))
            if name in _GENERIC_DIVISIONS or "辖" in name or len(name) < 2:
                continue
            current = years is None or years.group(2) == ""
            rows.append(Region(name, _short_name(name), level, full_code, current))
    return tuple(rows)


def _preference(region: Region) -> tuple[int, int, str]:
    return (region.level, 0 if region.current else 1, region.code)


@lru_cache(maxsize=1)
def _region_tables() -> tuple[dict[str, Region], dict[str, Region], dict[str, Region], int]:
    """(names usable at the start of a name, county short names usable after a higher region,
    pinyin of province/prefecture short names, longest key length).

    Usable at the start: full names of every level, and short names of provinces, prefectures and
    county-level cities (昆山, 义乌 are written without 市 in company names; districts are not).
    """
    prefix: dict[str, Region] = {}
    county_short: dict[str, Region] = {}
    latin: dict[str, Region] = {}

    def put(table: dict[str, Region], key: str, region: Region) -> None:
        if len(key) < 2:
            return
        known = table.get(key)
        if known is None or _preference(region) < _preference(known):
            table[key] = region

    for region in _regions():
        put(prefix, region.name, region)
        if region.level <= 2:
            put(prefix, region.short, region)
            put(latin, pinyin_of(region.short), region)
        elif region.name.endswith("市"):
            put(prefix, region.short, region)
        else:
            put(county_short, region.short, region)
    longest = max(len(key) for key in prefix)
    return prefix, county_short, latin, longest


def region_lookup(name: str) -> Region | None:
    """The region a name denotes: 北京, 北京市, 广西壮族自治区, 海淀区, or pinyin ``beijing``."""
    prefix, county_short, latin, _ = _region_tables()
    key = normalize_text(name).replace(" ", "")
    return prefix.get(key) or county_short.get(key) or latin.get(key)


def _leading_region(text: str, *, after_region: bool) -> tuple[Region, str, bool] | None:
    """Longest region name at the start of ``text``: (region, matched text, had a suffix).

    County short names without 区/县/市 (``海淀``) only count right after a higher region
    (``北京海淀…``): on their own too many of them are ordinary words (新华, 长安, 城关).
    """
    prefix, county_short, _, longest = _region_tables()
    for length in range(min(longest, len(text) - 1), 1, -1):
        head = text[:length]
        region = prefix.get(head)
        if region is None and after_region:
            region = county_short.get(head)
        if region is not None:
            return region, head, head != region.short
    return None
