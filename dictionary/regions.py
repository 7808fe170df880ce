"""Administrative-division codes (GB/T 2260) as shipped by python-stdnum.

python-stdnum keeps the codes in ``stdnum/cn/loc.dat`` for its resident-ID module and parses
the file with ``stdnum.numdb``. We read the same parsed tree so that the hub, stdnum's ID
checks and the derivations all agree on which codes exist, and so that a python-stdnum upgrade
is the one way the list changes.

The file has two levels: a 2-digit province, and 4-digit entries beneath it that cover the
province itself (XX0000), its prefecture-level divisions (XXYY00) and county-level divisions
(XXYYZZ). A name may carry its years of validity, several names may share a code over time:
``[-1991]东郊区,[1992-]东丽区``. A code with an open-ended (or undated) name is current.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Prefecture-level placeholders: they group county-level units for statistics but are not part
# of a place's name (北京市 + 市辖区 + 朝阳区 is called 北京市朝阳区; 湖北省 + 省直辖县级行政单位 +
# 仙桃市 is 湖北省仙桃市).
_PLACEHOLDER_RE = re.compile(r"^(?:市辖区|县|(?:省|自治区)直辖(?:县级)?行政(?:单位|区划))$")

_SPAN_RE = re.compile(r"^\[(?P<start>\d*)-(?P<end>\d*)\](?P<name>.+)$")


@dataclass(frozen=True)
class Region:
    code: str  # 6 digits
    name: str  # full name: 北京市朝阳区, 河北省石家庄市长安区, 河北省石家庄市, 河北省
    province: str  # name of the province-level division: 北京市, 河北省
    is_current: bool  # False for divisions that have been abolished or renumbered


def _latest_name(spec: str) -> tuple[str, bool]:
    """(name to show, is current) for a loc.dat county value like ``[-1991]东郊区,[1992-]东丽区``."""
    current: str | None = None
    latest = ""
    for part in spec.split(","):
        match = _SPAN_RE.match(part)
        if match is None:  # undated: valid throughout
            current = latest = part
            continue
        latest = match["name"]
        if not match["end"]:
            current = latest
    return (current, True) if current is not None else (latest, False)


def load_regions() -> list[Region]:
    """All codes in stdnum's table, current and historic, ordered by code.

    The table is parsed once; each call gets its own list so that a caller sorting or
    filtering it in place cannot corrupt the cache.
    """
    return list(_regions())


@lru_cache(maxsize=1)
def _regions() -> tuple[Region, ...]:
    from stdnum import numdb

    regions: list[Region] = []
    for _, province_code, _, province_props, children in numdb.get("cn/loc").prefixes:
        entries = {low: _latest_name(props["county"]) for _, low, _, props, _ in children}
        # The XX0000 entry carries the province's own (simplified) name; the 2-digit line may
        # be in traditional characters (香港特別行政區).
        province = entries.get("0000", (province_props.get("province", ""), True))[0]
        for sub, (name, is_current) in sorted(entries.items()):
            regions.append(
                Region(
                    code=province_code + sub,
                    name=_full_name(province, sub, name, entries),
                    province=province,
                    is_current=is_current,
                )
            )
    return tuple(sorted(regions, key=lambda region: region.code))


def _full_name(province: str, sub: str, name: str, entries: dict[str, tuple[str, bool]]) -> str:
    if sub == "0000":
        return name
    parts = [province]
    if not sub.endswith("00"):
        prefecture = entries.get(sub[:2] + "00", ("", True))[0]
        if prefecture and not _PLACEHOLDER_RE.match(prefecture):
            parts.append(prefecture)
    parts.append(name)
    return "".join(parts)


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Region]:
    return {region.code: region for region in _regions()}


def get_region(code: str) -> Region | None:
    return _by_code().get(code)


def region_name(code: str) -> str | None:
    """Full name of a 6-digit division code (current or historic), None if unknown."""
    region = get_region(code)
    return region.name if region else None
