"""Small helpers: cheap seeded choices, and the text variations every kind of record uses
(full-width characters, stray spaces, homophone typos, traditional characters, pinyin).
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Generic, TypeVar

from mdm.devtools.synth.words import _FULL_WIDTH, HOMOPHONES, SURNAME_PINYIN

T = TypeVar("T")


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
