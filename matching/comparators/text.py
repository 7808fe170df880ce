"""Comparators of free text: addresses, divisions, plain text and specifications.

Registered in :data:`matching.compare.COMPARATORS`; see that module for the contract.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz import fuzz

from matching.comparators.distance import _jw
from matching.normalize import (
    address_tokens,
    digits,
    house_number,
    normalize_address,
    normalize_text,
)


class PreparedAddress(NamedTuple):
    """An address as the comparator uses it, with the strings each of its measures compares
    built once per record rather than once per pair."""

    text: str
    tokens: tuple[str, ...]
    joined: str  # the tokens, space-separated: what token-set similarity splits
    sorted_joined: str  # the tokens sorted, space-separated: token-sort similarity's string
    compact: str  # the tokens run together: words written together or apart agree
    number: str = ""  # a Chinese address's number on its road (``house_number``)


#: The most two Chinese addresses with other numbers on their road agree: the same street, two
#: buildings (科技园路1号 / 科技园路11号 differ by one character in a dozen).
OTHER_BUILDING = 0.6


def _prepare_address(value: str) -> PreparedAddress | None:
    text = normalize_address(value)
    if not text:
        return None
    tokens = address_tokens(value)
    return PreparedAddress(
        text,
        tokens,
        " ".join(tokens),
        " ".join(sorted(tokens)),
        "".join(tokens),
        house_number(value),
    )


def _address(a: PreparedAddress, b: PreparedAddress) -> float:
    """The best of: token-sort similarity (words reordered), 0.95 x token-set similarity (one
    address omits a unit or district of the other) and the similarity without spaces (words run
    together or split: ``stanleystreet``, ``winston hills`` / ``winstonhills``)."""
    if a.text == b.text:
        return 1.0
    if a.number and b.number and a.number != b.number:
        return min(OTHER_BUILDING, _address_text(a, b))
    return _address_text(a, b)


def _address_text(a: PreparedAddress, b: PreparedAddress) -> float:
    if len(a.tokens) > 1 and len(b.tokens) > 1:
        # token_sort_ratio is the ratio of the sorted token strings; each later measure only
        # has to beat the best so far (rapidfuzz stops early below ``score_cutoff``).
        best = fuzz.ratio(a.sorted_joined, b.sorted_joined)
        best = max(best, fuzz.ratio(a.compact, b.compact, score_cutoff=best))
        if best < 95.0:
            best = max(
                best, 0.95 * fuzz.token_set_ratio(a.joined, b.joined, score_cutoff=best / 0.95)
            )
        return best / 100.0
    return fuzz.ratio(a.text, b.text) / 100.0


def _prepare_division(value: str) -> str | None:
    """An administrative division code without its zero padding (110000 -> 11, 320200 -> 3202)."""
    code = digits(value)
    if len(code) != 6:
        return None
    for suffix in ("0000", "00"):
        if code.endswith(suffix):
            return code[: -len(suffix)]
    return code


def _division(a: str, b: str) -> float:
    """1.0 same division; 0.8 one contains the other (a city and one of its districts); 0.5 same
    province; 0.0 otherwise."""
    if a == b:
        return 1.0
    if a.startswith(b) or b.startswith(a):
        return 0.8
    if a[:2] == b[:2]:
        return 0.5
    return 0.0


def _prepare_text(value: str) -> str | None:
    text = normalize_text(value)
    return text or None


def _text(a: str, b: str) -> float:
    """Generic fuzzy text: the better of plain and token-sort ratio."""
    if a == b:
        return 1.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100.0


def _exact(a: str, b: str) -> float:
    return 1.0 if a == b else 0.0


def _jaro_winkler(a: str, b: str) -> float:
    return _jw(a, b)


def _prepare_spec(value: str) -> tuple[str, tuple[str, ...]] | None:
    text = normalize_text(value).replace("×", "x").replace("*", "x")
    if not text:
        return None
    numbers = tuple(re.findall(r"\d+(?:\.\d+)?", text))
    return text.replace(" ", ""), numbers


def _spec(a: tuple[str, tuple[str, ...]], b: tuple[str, tuple[str, ...]]) -> float:
    """Specifications (M8x20, 220V 50Hz): any different number means a different item (0.0);
    with the same numbers, the text similarity (units written differently still agree)."""
    if a[0] == b[0]:
        return 1.0
    if a[1] != b[1]:
        return 0.0
    return max(0.8, fuzz.ratio(a[0], b[0]) / 100.0)
