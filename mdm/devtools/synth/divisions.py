"""Administrative divisions (stdnum/cn/loc.dat): the districts of a city today, the codes
people were registered under at birth, and postal codes derived from them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from mdm.devtools.synth.helpers import _pick
from mdm.devtools.synth.words import _City

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
