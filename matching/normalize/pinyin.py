"""Toneless pinyin of Chinese text, and Latin words read as pinyin syllables."""

from __future__ import annotations

import re
from functools import lru_cache

from matching.normalize.text import _NON_ALNUM_RE, has_cjk


@lru_cache(maxsize=262_144)
def pinyin_of(text: str) -> str:
    """Toneless pinyin of the CJK characters, lower-case, no spaces; Latin letters and digits kept.

    Homophones share a pinyin (华信 / 华鑫 -> ``huaxin``), which is what lets a typed-by-ear name
    meet its registered spelling. ``ü`` is written ``v`` as pypinyin does.
    """
    if text.isascii():
        return _NON_ALNUM_RE.sub("", text).lower()  # lazy_pinyin keeps non-CJK text as it is
    fast = _plain_syllables(text)
    if fast is not None:
        return "".join(fast)
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    return _NON_ALNUM_RE.sub("", "".join(syllables)).lower()


@lru_cache(maxsize=4096)
def _toneless(reading: str) -> str:
    """pypinyin's ``Style.NORMAL`` of one reading: tone marks dropped, ü written v."""
    import unicodedata

    plain = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(ch for ch in plain if ch.isascii())


@lru_cache(maxsize=1)
def _pinyin_tables() -> tuple[dict[str, str], frozenset[str], frozenset[str], int]:
    """(character -> default toneless reading, phrases that read a character otherwise, their
    first two characters, the longest such phrase).

    ``lazy_pinyin`` reads a character alone by its first reading and inside a known phrase by the
    phrase's reading. A text that holds none of the phrases reading a character otherwise
    (银行, 重庆, 长大…) reads every character by its default, whatever the segmentation: a table
    look-up per character then gives exactly what ``lazy_pinyin`` gives, many times faster
    (pinyin was most of the cost of preparing a Chinese company name).
    """
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[str, str] = {}
    for code, value in pinyin_dict.items():
        reading = _toneless(value.split(",")[0])
        if reading.isalpha():
            table[chr(code)] = reading
    exceptions: set[str] = set()
    for phrase, readings in phrases_dict.items():
        if len(phrase) != len(readings) or any(
            table.get(ch) != _toneless(options[0])
            for ch, options in zip(phrase, readings, strict=True)
        ):
            exceptions.add(phrase)
    starts = frozenset(phrase[:2] for phrase in exceptions)
    return table, frozenset(exceptions), starts, max(map(len, exceptions), default=0)


def _plain_syllables(text: str) -> list[str] | None:
    """Syllables of an all-CJK text holding no exception phrase (see above), else None."""
    table, exceptions, starts, longest = _pinyin_tables()
    syllables = []
    for ch in text:
        syllable = table.get(ch)
        if syllable is None:
            return None
        syllables.append(syllable)
    n = len(text)
    for start in range(n - 1):
        if text[start : start + 2] not in starts:
            continue
        for end in range(start + 2, min(n, start + longest) + 1):
            if text[start:end] in exceptions:
                return None
    return syllables or None


@lru_cache(maxsize=1)
def _pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (about 420), for splitting Latin pinyin."""
    import unicodedata

    from pypinyin.pinyin_dict import pinyin_dict

    readings: set[str] = set()
    for value in pinyin_dict.values():
        readings.update(value.split(","))
    syllables: set[str] = set()
    for reading in readings:
        # Tone marks are combining characters after NFD; ü (u + U+0308) is written v.
        plain = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
        plain = "".join(ch for ch in plain if ch.isascii())
        # Interjection-only readings (hm, ng, m, n) would split any consonant cluster.
        if plain.isalpha() and re.search("[aeiouv]", plain):
            syllables.add(plain)
    return frozenset(syllables)


def is_pinyin(word: str) -> bool:
    """True when a Latin word is a run of pinyin syllables (``wang``, ``huaxin``; not ``acme``)."""
    return _segment(word.lower()) is not None


@lru_cache(maxsize=262_144)
def _segment(word: str) -> tuple[str, ...] | None:
    syllables = _pinyin_syllables()
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(1, n + 1):
        for start in range(max(0, end - 6), end):
            prefix = best[start]
            if prefix is None or word[start:end] not in syllables:
                continue
            candidate = (*prefix, word[start:end])
            current = best[end]
            if current is None or len(candidate) < len(current):
                best[end] = candidate
    return best[n] if n else None


def split_pinyin(word: str) -> tuple[str, ...]:
    """Split a run of Latin pinyin into syllables (``huaxin`` -> ``hua``, ``xin``).

    Dynamic programming that prefers the fewest syllables (``xian`` stays one syllable). A word
    that is not pinyin (``acme``) is returned whole.
    """
    word = word.lower()
    return _segment(word) or (word,)


@lru_cache(maxsize=262_144)
def pinyin_initials(text: str) -> str:
    """First letter of every syllable: 华信科技 -> ``hxkj``; Latin pinyin words are split first."""
    fast = _plain_syllables(text)
    if fast is not None:
        return "".join(s[0] for s in fast)
    if text.isascii():
        pieces = text.split()  # what lazy_pinyin's error handler below makes of non-CJK text
    else:
        from pypinyin import Style, lazy_pinyin

        # The stub types the handler as returning str; pypinyin documents (and accepts) a list.
        pieces = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: s.split())  # type: ignore[arg-type,return-value]
    initials: list[str] = []
    for piece in pieces:
        piece = _NON_ALNUM_RE.sub("", piece).lower()
        if not piece:
            continue
        if has_cjk(text) and len(piece) <= 6 and piece.isalpha():
            initials.append(piece[0])
        else:
            initials.extend(s[0] for s in split_pinyin(piece))
    return "".join(initials)
