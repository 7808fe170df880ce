"""An English company name read against a Chinese one: which words transliterate or translate
which characters.

``Shanghai Pudong Development Bank`` / 上海浦东发展银行: ``Shanghai`` and ``Pudong`` are the
pinyin of 上海 and 浦东, ``Development Bank`` translates 发展银行. Listed companies' English names
are made that way, and so are the names a shop or an export department types. Three things make
the plain pinyin comparison miss them:

* romanizations other than Hanyu pinyin and spacing: ``Lu Thai`` (鲁泰 lutai), ``Sinyang``
  (新阳 xinyang), ``Yonyou`` (用友 yongyou), ``Soling`` (索菱 suoling), ``Leejun`` (利君 lijun),
  ``Chimin`` (济民 jimin): :func:`fold` maps both sides to a coarser sound key in which the
  usual variants meet (retroflex and palatal initials, -ng, uo/o, ee/i, aspirates written with h);
* characters with several readings (天晟: sheng or cheng): every reading is tried;
* translated words (``Orient Landscape`` 东方园林, ``Black Sesame`` 黑芝麻, ``Port`` 港): the
  table of :mod:`matching.normalize.translations`;
* initials (``XJ Electric`` / 许继电气).

:func:`align` finds the alignment that explains the most characters and words, in order;
:func:`latin_relation` grades it. Regions are not judged here (the region comparator does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from matching.normalize.company import CompanyName, _industry_suffix, company_name_parts
from matching.normalize.company_relations import national_rest
from matching.normalize.company_words import _EN_LEGAL, _NATIONAL
from matching.normalize.pinyin import _toneless, pinyin_initials, pinyin_of
from matching.normalize.regions import _leading_region, _region_tables
from matching.normalize.text import has_cjk
from matching.normalize.translations import LONGEST_PHRASE, TRANSLATIONS

__all__ = [
    "FULL",
    "TRADE",
    "Alignment",
    "align",
    "chinese_keys",
    "fold",
    "initials_key",
    "latin_keys",
    "latin_relation",
    "without_national",
]

#: Grades of :func:`latin_relation`.
FULL = "full"  # every character of the core and every word of the English name explained
TRADE = "trade"  # the trade name (the core without its industry words) explained, in order

# Romanization variants that meet once folded, applied in this order. Retroflex, palatal and
# dental affricates and sibilants fold together (Wade-Giles ch/hs/ts, Hong Kong and Taiwan
# spellings); -ng ends fold into -n; uo/o, ee/i, ü/v/yu, and aspiration written with h.
_FOLDS = (
    ("zh", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("hs", "s"),
    ("ts", "c"),
    ("tz", "c"),
    ("j", "c"),
    ("q", "c"),
    ("z", "c"),
    ("x", "s"),
    ("th", "t"),
    ("ph", "p"),
    ("kh", "k"),
    ("uo", "o"),
    ("ee", "i"),
    ("yu", "u"),
    ("v", "u"),
    ("ü", "u"),
)
#: Where in ``_FOLDS`` the -ng fold applies (after the initials, before the vowels).
_NG_AT = next(i for i, (old, _) in enumerate(_FOLDS) if old == "uo")
_NG_END_RE = re.compile(r"ng(?![aeiouvü])")
_NOT_LETTER_RE = re.compile(r"[^a-z]+")
_VOWELS = frozenset("aeiouv")


@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Coarse sound key of Latin text (pinyin or another romanization): ``xinyang`` and
    ``sinyang`` -> ``sinian``; ``yongyou`` and ``yonyou`` -> ``yonyou``."""
    text = _NOT_LETTER_RE.sub("", text.lower())
    for old, new in _FOLDS[:_NG_AT]:
        text = text.replace(old, new)
    # -ng ends fold into -n; an ng before a vowel may be the start of the next syllable
    # (tiangong: tian·gong) and stays, so that a word folds as its syllables do one by one.
    text = _NG_END_RE.sub("n", text)
    for old, new in _FOLDS[_NG_AT:]:
        text = text.replace(old, new)
    return text


@lru_cache(maxsize=1)
def _readings() -> dict[str, frozenset[str]]:
    """Character -> the folded keys of every reading pypinyin knows for it."""
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[str, frozenset[str]] = {}
    for code, value in pinyin_dict.items():
        # The two most usual readings: rare ones (食 yì) would make too many words fit.
        keys = {fold(_toneless(reading)) for reading in value.split(",")[:2]}
        keys.discard("")
        if keys:
            table[chr(code)] = frozenset(keys)
    return table


@lru_cache(maxsize=1)
def _plain_readings() -> dict[str, frozenset[str]]:
    """Character -> its usual reading as Hanyu pinyin, unfolded (for :func:`align`'s strict
    mode)."""
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[str, frozenset[str]] = {}
    for code, value in pinyin_dict.items():
        reading = _NOT_LETTER_RE.sub("", _toneless(value.split(",")[0]).lower())
        if reading:
            table[chr(code)] = frozenset({reading})
    return table


def _readings_of(ch: str, strict: bool = False) -> frozenset[str]:
    return (_plain_readings() if strict else _readings()).get(ch, frozenset())


def _spells(word: str, chars: str, strict: bool = False) -> bool:
    """True when ``word`` is the readings of ``chars``, one after the other (folded, or in
    strict mode the usual Hanyu pinyin reading as written)."""
    if not chars:
        return not word
    for reading in _readings_of(chars[0], strict):
        if not word.startswith(reading):
            continue
        rest = word[len(reading) :]
        if _spells(rest, chars[1:], strict):
            return True
        # An -ng before a vowel folds as written (xingan: xing·an): the g is this reading's.
        if (
            not strict
            and reading.endswith("n")
            and rest[:1] == "g"
            and chars[1:]
            and _spells(rest[1:], chars[1:], strict)
        ):
            return True
    return False


def _initials(word: str, chars: str) -> bool:
    """``xj`` / 许继: a word of consonants only, one per character, each a reading's first."""
    if len(word) != len(chars):
        return False
    return all(
        any(reading.startswith(letter) for reading in _readings_of(ch, strict=True))
        for letter, ch in zip(word, chars, strict=True)
    )


@dataclass(frozen=True, slots=True)
class Alignment:
    """What an alignment explains: the characters covered (a bit per position of the Chinese
    text) and the English words explained, of how many."""

    covered: int
    explained: int
    words: int
    said: int = 0  # a bit per English word explained

    def covers(self, start: int, end: int) -> bool:
        mask = ((1 << (end - start)) - 1) << start
        return self.covered & mask == mask


def _word_steps(
    words: tuple[str, ...], j: int, text: str, i: int, strict: bool
) -> list[tuple[int, int]]:
    """Ways word ``j`` (or a phrase from it) explains characters from ``i``: (chars, words)."""
    steps: list[tuple[int, int]] = []
    word = words[j]
    rest = text[i:]
    if has_cjk(word):  # a phrase the parser already translated (新材料)
        if rest.startswith(word):
            steps.append((len(word), 1))
        return steps
    folded = _NOT_LETTER_RE.sub("", word) if strict else fold(word)
    if folded:
        for n in range(1, min(4, len(rest)) + 1):
            if _spells(folded, rest[:n], strict):
                steps.append((n, 1))
        if (
            not strict
            and not _VOWELS & set(word)
            and 2 <= len(word) <= 4
            and _initials(word, rest[: len(word)])
        ):
            steps.append((len(word), 1))
    for span in range(1, LONGEST_PHRASE + 1):
        if j + span > len(words):
            break
        phrase = " ".join(words[j : j + span])
        for chinese in TRANSLATIONS.get(phrase, ()):
            if rest.startswith(chinese):
                steps.append((len(chinese), span))
    return steps


@lru_cache(maxsize=16_384)
def _explainable(words: tuple[str, ...], strict: bool) -> tuple[str, frozenset[str], str]:
    """What ``words`` could explain at most: their letters (folded, or as written in strict
    mode, "|" between words), the characters of their translations and of the phrases the
    parser already translated, and the letters of their consonant-only words (initials)."""
    letters = "|".join(
        (_NOT_LETTER_RE.sub("", w) if strict else fold(w)) for w in words if not has_cjk(w)
    )
    chars = {ch for w in words if has_cjk(w) for ch in w}
    for j in range(len(words)):
        for span in range(1, LONGEST_PHRASE + 1):
            if j + span > len(words):
                break
            for chinese in TRANSLATIONS.get(" ".join(words[j : j + span]), ()):
                chars.update(chinese)
    initials = (
        ""
        if strict
        else "".join(
            w for w in words if not has_cjk(w) and not _VOWELS & set(w) and 2 <= len(w) <= 4
        )
    )
    return letters, frozenset(chars), initials


def _may_explain(words: tuple[str, ...], trade: str, strict: bool) -> bool:
    """A necessary condition of :func:`align` covering every character of ``trade``: each is
    in a translation, or a reading of it is in a word's letters, or its initial is in a
    consonant-only word. Most pairs of different companies fail it at the first character,
    without the dynamic programming."""
    letters, chars, initials = _explainable(words, strict)
    for ch in trade:
        if ch in chars:
            continue
        if any(reading in letters for reading in _readings_of(ch, strict)):
            continue
        if initials and any(reading[:1] in initials for reading in _readings_of(ch, strict=True)):
            continue
        return False
    return True


@lru_cache(maxsize=65_536)
def align(words: tuple[str, ...], text: str, strict: bool = False) -> Alignment:
    """The in-order alignment of English ``words`` with the Chinese ``text`` that covers the
    most characters, then explains the most words (dynamic programming over both positions).
    ``strict``: words read as Hanyu pinyin in the usual reading only (no other romanization,
    no rarer reading, no initials); translations count either way."""
    n, m = len(text), len(words)
    # best[(i, j)] = (covered chars, explained words, char mask, word mask) for the first i
    # chars and j words.
    best: dict[tuple[int, int], tuple[int, int, int, int]] = {(0, 0): (0, 0, 0, 0)}
    for i in range(n + 1):
        for j in range(m + 1):
            state = best.get((i, j))
            if state is None:
                continue
            chars, said, mask, word_mask = state
            moves = [(i + 1, j, state), (i, j + 1, state)]
            if i < n and j < m:
                for step_chars, step_words in _word_steps(words, j, text, i, strict):
                    moves.append(
                        (
                            i + step_chars,
                            j + step_words,
                            (
                                chars + step_chars,
                                said + step_words,
                                mask | (((1 << step_chars) - 1) << i),
                                word_mask | (((1 << step_words) - 1) << j),
                            ),
                        )
                    )
            for ni, nj, found in moves:
                if ni > n or nj > m:
                    continue
                current = best.get((ni, nj))
                if current is None or found[:2] > current[:2]:
                    best[(ni, nj)] = found
    chars, said, mask, word_mask = best[(n, m)]
    return Alignment(mask, said, m, word_mask)


#: Words of English legal forms that ``company_name_parts`` keeps in the core.
_MORE_LEGAL = frozenset({"stock", "joint", "share", "shares", "jointstock", "ind", "enterprise"})


def _english_words(latin: CompanyName) -> tuple[str, ...]:
    """The words of an English name that name the company: its full core (regions included)
    without legal and national words."""
    words = [
        w
        for w in latin.full_core.split()
        if w not in _EN_LEGAL and w not in _NATIONAL and w not in _MORE_LEGAL
    ]
    return tuple(words)


def _regions_differ(latin: CompanyName, chinese: CompanyName) -> bool:
    return bool(latin.region_code and chinese.region_code) and not latin.region_nests(chinese)


@lru_cache(maxsize=65_536)
def without_national(chinese: CompanyName) -> CompanyName | None:
    """A Chinese name under the national marker instead of a place, read without it (中国工商银行
    -> 工商银行, 中国银行 -> 银行: its English name ``Bank of China`` keeps no country in its
    core); None for any other name, or when less than two characters are left."""
    if chinese.is_latin or chinese.region or not (rest := national_rest(chinese.core)):
        return None
    marker = chinese.core[: len(chinese.core) - len(rest)]
    found = company_name_parts(chinese.text.replace(marker, "", 1))
    return found if found.core and not found.region and not found.is_latin else None


@lru_cache(maxsize=65_536)
def latin_relation(latin: CompanyName, chinese: CompanyName, *, strict: bool = False) -> str | None:
    """:func:`_latin_relation`, and for a Chinese name under the national marker the same read
    without it: the English name never keeps "China" in its core (``Industrial and Commercial
    Bank of China`` / 中国工商银行, ``China Petroleum & Chemical`` / 中国石油化工)."""
    found = _latin_relation(latin, chinese, strict=strict)
    # Only an English name that says the country and names no place (``Bank of Beijing`` is
    # not 中国银行, ``Telecom Co., Ltd.`` not 中国电信), and only read in full: a national name
    # is whole (``Agricultural Development Bank of China`` is not 中国农业银行).
    if found is None and _says_the_country(latin) and not _names_a_place(latin):
        national = without_national(chinese)
        if national is not None and _latin_relation(latin, national, strict=strict) == FULL:
            found = FULL
    return found


def _says_the_country(latin: CompanyName) -> bool:
    return any(word in _NATIONAL for word in re.findall(r"[a-z]+", latin.text))


def _names_a_place(latin: CompanyName) -> bool:
    regions = _region_tables()[2]
    return bool(latin.region) or any(word in regions for word in latin.full_core.split())


def _latin_relation(
    latin: CompanyName, chinese: CompanyName, *, strict: bool = False
) -> str | None:
    """How an English name explains a Chinese one: :data:`FULL`, :data:`TRADE` or None.

    The Chinese side is its region words and core (北京东方园林生态); the English side its words
    without legal form (``Beijing Orient Landscape Environment``). ``TRADE`` needs every
    character of the trade name (the core without its industry words, 东方园林) explained and
    the English words that are left to be industry words only; ``FULL`` needs everything
    explained on both sides. A name with a branch is compared only with a name of the same branch.
    ``strict``: see :func:`align`.
    """
    if not latin.is_latin or chinese.is_latin or not chinese.core or not latin.core:
        return None
    if bool(latin.branch) != bool(chinese.branch) or _regions_differ(latin, chinese):
        return None
    words = _english_words(latin)
    if not words:
        return None
    text = chinese.full_core
    trade = chinese.distinctive or chinese.core
    if len(trade) < 2 or not _may_explain(words, trade, strict):
        return None
    found = align(words, text, strict)
    start = len(text) - len(chinese.core)
    if not found.covers(start, start + len(trade)):
        return None
    regions = _region_tables()[2]
    all_said = all(found.said >> k & 1 or word in regions for k, word in enumerate(words))
    all_read = found.covers(start, len(text))
    if all_said and all_read:
        return FULL
    # One side says more than the other (``Kunlun Tech`` / 昆仑万维科技 would not do: 万维 is
    # trade name; ``Hongfa Technology`` / 宏发科技电子 does), never both: ``Wanda Film`` /
    # 万达信息 names two trades.
    if all_said:
        return TRADE
    # Every character read, and what the English name says beyond them is generic words only
    # (``Nanning Chemical Industry`` / 南宁化工): any other word names something the Chinese
    # name does not, a brand, another trade or another company's name (``Shanghai Kinetic
    # Medical`` and ``Shanghai Phoenix Medicine`` are not 上海医药, ``Nanning Chemical
    # Pharmaceutical`` not 南宁化工).
    unsaid = [word for k, word in enumerate(words) if not found.said >> k & 1]
    if all_read and all(w in regions or w in GENERIC_TRADE_WORDS for w in unsaid):
        return TRADE
    return None


#: English words that say a company is in business, not which business (实业, 制造, 发展…):
#: left over after the Chinese name is read, they do not make it another company's.
GENERIC_TRADE_WORDS = frozenset(
    {
        "industry",
        "industries",
        "industrial",
        "manufacturing",
        "manufacture",
        "development",
        "holding",
        "holdings",
        "enterprise",
        "enterprises",
        "products",
        "product",
    }
)


def reads_by_initials(latin: CompanyName) -> bool:
    """True when an English name holds a word of initials (``BYD``, ``GL Tech``): two to four
    consonants, which only initials can explain, and which fit many characters (百业达 as well
    as 比亚迪): an explanation through them is evidence for review, not for a link."""
    return any(_is_initials(word) for word in _english_words(latin))


def _is_initials(word: str) -> bool:
    return 2 <= len(word) <= 4 and word.isascii() and word.isalpha() and not _VOWELS & set(word)


def _images(word: str) -> list[str]:
    """Folded sound keys a word may stand for: itself read as pinyin, and the pinyin of the
    Chinese words it translates."""
    images = [fold(word)] if not has_cjk(word) else [fold(pinyin_of(word))]
    for chinese in TRANSLATIONS.get(word, ())[:2]:
        images.append(fold(pinyin_of(chinese)))
    return [image for image in dict.fromkeys(images) if image]


def _steps(words: list[str], j: int) -> list[tuple[int, list[str]]]:
    """What the words from ``j`` on may stand for, as (words used, sound keys): the word
    itself (:func:`_images`), and a phrase of the table (``Great Wall`` 长城, ``Far East``)."""
    steps = [(1, _images(words[j]))]
    for span in range(2, LONGEST_PHRASE + 1):
        if j + span > len(words):
            break
        chinese = TRANSLATIONS.get(" ".join(words[j : j + span]), ())[:2]
        if chinese:
            steps.insert(0, (span, [fold(pinyin_of(c)) for c in chinese]))
    return steps


def latin_keys(latin: CompanyName) -> list[str]:
    """Sound keys of the start of an English name: its first one, two and three words read as
    pinyin or translated (folded), from the trade name on, from the region on (a Chinese name
    whose core is only a trade word keeps its region: 浙江医药 / ``Zhejiang Medicine``), from
    the second word on (a county the English parser did not read as one: ``Shandong Yanggu
    Huatai`` / 山东阳谷华泰) and, behind a region written in syllables, from the third (``Zhe
    Jiang Hai Liang`` / 浙江海亮); a phrase of the table is one step (``Great Wall`` 长城); and the
    initials key of an abbreviated trade name (``GL Tech`` / 光力科技, ``BYD`` / 比亚迪:
    :func:`initials_key`)."""
    full = list(_english_words(latin))
    core = [w for w in latin.core.split() if w in full]
    keys: list[str] = []
    # From the third word only behind a region written in syllables (Zhe Jiang, Shang Hai).
    split_region = len(full) > 2 and full[0] + full[1] in _region_tables()[2]
    starts = (core, full, full[1:] if len(full) > 2 else [], full[2:] if split_region else [])
    for words in starts:
        # (key so far, words used): one, two and three steps of a word or a phrase.
        prefixes: list[tuple[str, int]] = [("", 0)]
        found: list[str] = []
        for _ in range(3):
            prefixes = [
                (key + image, used + span)
                for key, used in prefixes
                if used < len(words)
                for span, images in _steps(words, used)
                for image in images
            ][:_PREFIXES]
            found.extend(key for key, _used in prefixes if len(key) >= 4)
        keys.extend(list(dict.fromkeys(found))[:_KEYS_PER_START])
    keys = list(dict.fromkeys(keys))[:_LATIN_KEYS]
    for position, word in enumerate(full):
        if _is_initials(word):
            following = full[position + 1] if position + 1 < len(full) else ""
            keys.extend(_initials_keys(word, _images(following)[:3] if following else []))
            break
    return list(dict.fromkeys(keys))


#: Combinations of word images kept per start of an English name, sound keys per start and
#: per name (the initials key comes on top).
_PREFIXES = 6
_KEYS_PER_START = 4
_LATIN_KEYS = 10
#: The prefix of :func:`initials_key`'s keys (inside the ``tl:`` family of ``matching.keys``).
INITIALS = "#"


def _initials_keys(initials: str, following: list[str]) -> list[str]:
    """Keys of an abbreviated trade name: three or four initials alone (``#byd``), two with the
    sound of the word that follows (``#gl`` + ``keci``: two letters alone name thousands)."""
    if len(initials) >= 3:
        return [INITIALS + initials]
    return [INITIALS + initials + image for image in following if image]


def _industry_words(industry: str) -> list[str]:
    """A Chinese core's trailing industry words, first to last (自动化设备 -> 自动化, 设备)."""
    words: list[str] = []
    rest = industry
    while rest and (word := _industry_suffix(rest)):
        words.insert(0, word)
        rest = rest[: -len(word)]
    return ([rest] if rest else []) + words


def initials_key(chinese: CompanyName) -> list[str]:
    """The keys a Chinese trade name of two to four characters meets its English initials
    under: 比亚迪 -> ``#byd``; 光力科技 -> ``#glkeci`` (the industry word's sound)."""
    trade = chinese.distinctive
    if not 2 <= len(trade) <= 4 or not has_cjk(trade):
        return []
    initials = pinyin_initials(trade)
    if len(initials) != len(trade) or not initials.isalpha():
        return []
    industry = _industry_words(chinese.industry)
    following = [fold(pinyin_of(industry[0]))] if industry else []
    return _initials_keys(initials, following)


def _region_starts(chinese: CompanyName) -> list[str]:
    """Each region word of a Chinese name (its short form) with the two characters after it:
    福建省永安林业 -> 福建永安, 永安林业 (the core left is only 林业); 长春高新技术 -> 长春高新.
    An English name starts the same way (``Fujian Yongan Forestry``, ``Yongan Forestry``); a
    region alone is no key (it is every company's of that place)."""
    full, core = chinese.full_core, chinese.core
    if not full.endswith(core) or len(full) == len(core):
        return []
    text, after = full, False
    starts: list[str] = []
    while len(text) > len(core):
        found = _leading_region(text, after_region=after)
        if found is None:
            break
        region, head, _ = found
        text, after = text[len(head) :], True
        if len(text) >= 2:
            starts.append(region.short + text[:2])
    return starts


def chinese_keys(chinese: CompanyName) -> list[str]:
    """Sound keys of a Chinese name's trade name (``tl:`` + folded): its first two, three and
    four characters and the whole trade name in their usual reading, and the first two
    characters in their other readings (天晟: tiansheng, tiancheng); each region word with the
    two characters after it (:func:`_region_starts`: 永安林业 of 福建省永安林业, whose core is only
    林业); and the initials of a short trade name (:func:`initials_key`)."""
    core = chinese.core
    if chinese.is_latin or len(core) < 2:
        return []
    starts = [core[:n] for n in (2, 3, 4) if n <= len(core)]
    if chinese.distinctive:
        starts.append(chinese.distinctive)
    starts.extend(_region_starts(chinese))
    keys = [fold(pinyin_of(start)) for start in starts]
    first, second = (sorted(_readings_of(ch)) for ch in core[:2])
    keys.extend(a + b for a in first[:2] for b in second[:2])
    keys.extend(initials_key(chinese))
    national = without_national(chinese)
    if national is not None:
        # Met by an English name, which never keeps "China" in its core (see latin_relation);
        # first: 中国's own sound is every such name's.
        keys = chinese_keys(national) + keys
    return list(dict.fromkeys(k for k in keys if len(k) >= 4))
