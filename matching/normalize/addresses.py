"""Addresses in their matching form: abbreviations expanded, tokens, leading words."""

from __future__ import annotations

import re
from functools import lru_cache

from matching.normalize.text import arabic_number, digits, has_cjk, normalize_text

_EN_ADDRESS_ABBREVIATIONS = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "dr": "drive",
    "ct": "court",
    "pl": "place",
    "cres": "crescent",
    "cct": "circuit",
    "hwy": "highway",
    "ln": "lane",
    "tce": "terrace",
    "pde": "parade",
    "bldg": "building",
    "apt": "apartment",
    "no": "",
}
# Street types and generic place words: long, but shared by half of all addresses.
_STREET_TYPES = set(_EN_ADDRESS_ABBREVIATIONS.values()) | {
    "boulevard",
    "close",
    "grove",
    "square",
    "village",
    "heights",
    "north",
    "south",
    "east",
    "west",
    "mount",
    "estate",
}
# Chinese address markers after which a token ends: 省 市 区 县 镇 乡 路 街 道 号 弄 栋 楼 室 …
_CN_ADDRESS_SPLIT_RE = re.compile(
    r"(.+?(?:特别行政区|自治区|自治州|省|市|区|县|旗|镇|乡|街道|大道|大街|路|街|道|巷|胡同|弄|号院|号楼|号|栋|幢|座|单元|楼|层|室))"
)


@lru_cache(maxsize=262_144)
def normalize_address(address: str) -> str:
    """Folded, simplified, lower-cased address with English street-type abbreviations expanded."""
    text = normalize_text(address)
    text = re.sub(r"[,，、;；#]+", " ", text)
    if has_cjk(text):
        text = _CN_NUMBER_RE.sub(lambda m: arabic_number(m.group(0)), text)
        return text.replace(" ", "")
    words = [_EN_ADDRESS_ABBREVIATIONS.get(w.rstrip("."), w.rstrip(".")) for w in text.split()]
    return " ".join(w for w in words if w)


#: A number written in Chinese numerals before a unit of an address (一号, 十二栋, 三单元).
_CN_NUMBER_RE = re.compile(r"[零〇一二两三四五六七八九十百千]+(?=号|栋|幢|座|单元|楼|层|室)")


def house_number(address: str) -> str:
    """The number of a Chinese address on its road (中关村大街27号 -> 27), or "": the first road or
    street piece followed by a number. Two addresses on one road with other numbers are two
    buildings, however alike their text."""
    tokens = address_tokens(address)
    if not tokens or not has_cjk(tokens[0]):
        return ""
    for position, token in enumerate(tokens[:-1]):
        if token.endswith(_CN_ROADS):
            found = _NUMBER_ON_ROAD_RE.match(tokens[position + 1])
            return arabic_number(found.group(1)) if found else ""  # 01号 is 1号
    return ""


_CN_ROADS = ("路", "街", "道", "巷", "胡同", "弄", "大道", "大街")
#: 27号, 27号院, 27号楼: the number on the road (not a unit or room after it).
_NUMBER_ON_ROAD_RE = re.compile(r"(\d+)号")


@lru_cache(maxsize=262_144)
def address_tokens(address: str) -> tuple[str, ...]:
    """Address tokens: words for Latin addresses; for Chinese ones, pieces ending in an address
    marker (北京市 / 海淀区 / 中关村大街 / 27号), and runs of digits on their own."""
    text = normalize_address(address)
    if not text:
        return ()
    if not has_cjk(text):
        return tuple(text.split())
    pieces = _CN_ADDRESS_SPLIT_RE.findall(text)
    rest = _CN_ADDRESS_SPLIT_RE.sub("", text)
    return tuple(pieces + ([rest] if rest else []))


def address_words(address: str, count: int = 2) -> list[str]:
    """The ``count`` longest words of a Latin address (letters only, five or more, not a street
    type), longest first, ties by position; none for a Chinese address.

    Long words are the rare ones (a street or estate name, not ``st`` or ``nsw``), and they
    survive a missing house number, reordered parts and a typo in another word.
    """
    tokens = address_tokens(address)
    if not tokens:
        return []
    if has_cjk(tokens[0]):
        # Chinese addresses: the road + number key (address_key) is the selective one; the
        # longest pieces are provinces and office-tower names shared by thousands.
        return []
    else:
        words = [t for t in tokens if t.isalpha() and len(t) >= 5 and t not in _STREET_TYPES]
    ranked = sorted(dict.fromkeys(words), key=lambda w: (-len(w), words.index(w)))
    return ranked[:count]


def address_key(address: str) -> str:
    """A short blocking key for the street part of an address.

    Latin: house number + first four letters of the next word (``7 wallaby place`` -> ``7wall``).
    Chinese: the first road/street piece with its number (中关村大街27号 -> 中关村大街27).
    Empty when the address has no number: a bare street would gather too many records.
    """
    tokens = address_tokens(address)
    if not tokens:
        return ""
    if not has_cjk(tokens[0]):
        for position, token in enumerate(tokens[:-1]):
            if token.isdigit():
                return token + tokens[position + 1][:4]
        return ""
    for position, token in enumerate(tokens):
        if token.endswith(_CN_ROADS):
            number = digits(tokens[position + 1]) if position + 1 < len(tokens) else ""
            return token + number if number else ""
    return ""
