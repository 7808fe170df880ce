"""Comparators of names: company names (core, pinyin, region) and person names.

Registered in :data:`matching.compare.COMPARATORS`; see that module for the contract.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from matching.comparators.distance import _jw, _osa
from matching.normalize import (
    CompanyName,
    company_name_parts,
    is_abbreviation,
    is_registered,
    is_short_form,
    person_name_tokens,
    pinyin_of,
    transliterates_trade_name,
)
from matching.normalize.latin import FULL, TRADE, latin_relation, reads_by_initials
from matching.normalize.text import numbers_in

# --------------------------------------------------------------------------- companies


def _prepare_company(value: str) -> CompanyName | None:
    parts = company_name_parts(value)
    return parts if parts.core else None


def _company_name(a: CompanyName, b: CompanyName) -> float:
    """Core-name similarity: 1.0 same core, 0.98 same pinyin across scripts (中文 vs Latin),
    0.96 same pinyin with other characters (homophone typo), 0.9 one is a short form of the
    other (大族激光 / 大族激光科技产业, 宁波富邦 / 宁波富邦精业, ``Dazu Laser`` / 大族激光科技产业:
    ``normalize.is_short_form``; 0.87 for a two-character one or across scripts), 0.88 an
    abbreviation (天晟新材 / 天晟新材料), 0.86 a transliterated trade name with translated words
    (``Jiangsu Changbao Steeltube`` / 江苏常宝钢管), 0.85 the same name with and without its industry word, 0.4
    the same name in another industry, else the character ratio.

    The best of core and full core (with region words) counts, so that a name whose region prefix
    was read differently (东方希望 / 四川东方希望) is not punished twice: region agreement is a
    separate comparator.
    """
    if a.is_latin and b.is_latin:
        if a.pinyin == b.pinyin:
            return 1.0
        return max(fuzz.ratio(a.pinyin, b.pinyin), fuzz.token_sort_ratio(a.core, b.core)) / 100.0
    if a.is_latin or b.is_latin:
        # Across scripts only the pinyin can agree; equal pinyin is nearly as good as equal
        # characters (0.98), but not quite: homophones exist.
        if a.pinyin == b.pinyin:
            return 0.98
        latin, chinese = (a, b) if a.is_latin else (b, a)
        relation = latin_relation(latin, chinese)
        initials = relation is not None and reads_by_initials(latin)
        if relation == FULL and not initials:
            # Every word read or translated, every character explained (``Lu Thai Textile`` /
            # 鲁泰纺织, ``Orient Landscape`` / 东方园林): as good as the same pinyin.
            return 0.98
        if initials and relation == FULL:
            # ``BYD`` / 比亚迪, and as well 百业达: initials fit many names, as a short form does.
            return 0.87
        if relation == TRADE and not initials:
            # The trade name explained in order, generic words left over on the English side
            # (``Nanning Chemical Industry`` / 南宁化工, ``Xiangtan Electric Manufacturing`` /
            # 湘潭电机) or industry words on the Chinese side: as a transliterated trade name.
            return 0.86
        if _other_trades(a, b):
            return 0.9 * fuzz.ratio(a.pinyin, b.pinyin) / 100.0
        # Transliterated: homophones of the trade name are many (Longsheng: 龙生 / 龙盛).
        if is_short_form(a, b) or is_short_form(b, a):
            return 0.87
        if transliterates_trade_name(a, b) or transliterates_trade_name(b, a):
            return 0.86  # Jiangsu Changbao Steeltube / 江苏常宝钢管
        return 0.85 * fuzz.ratio(a.pinyin, b.pinyin) / 100.0
    if a.core == b.core:
        return 1.0
    if a.pinyin == b.pinyin:
        return 0.96  # 华信 / 华鑫: typed by ear
    if _numbered_apart(a, b):
        # 北京大学第一医院 / 北京大学第三医院, 中铁一局 / 中铁二局: numbered units of one body.
        return min(0.4, _ratio(a, b))
    if _other_trades(a, b):
        # 华信科技 / 华信电子, 大中华科技 / 大中华环保科技: another company of the same name.
        return 0.4 if a.distinctive == b.distinctive else _ratio(a, b)
    if is_short_form(a, b) or is_short_form(b, a):
        # 大族激光 / 大族激光科技产业: a short name (简称); two characters (万科, 富邦) are many
        # companies' start.
        if min(len(a.core), len(b.core)) > 2:
            return 0.9
        short = a if len(a.core) <= len(b.core) else b
        if not is_registered(short):
            return 0.87
        # 美的集团股份有限公司 / 广东美的制冷设备有限公司: two characters with a legal form of
        # their own are a registered company (a group), not its subsidiary's short name.
    if is_abbreviation(a, b) or is_abbreviation(b, a):
        return 0.88  # 天晟新材 / 天晟新材料: an abbreviated short name
    if a.distinctive == b.distinctive and a.industry != b.industry:
        # 华信 / 华信科技: a short name; 华信科技 / 华信电子: another company of the same group.
        return 0.85 if not (a.industry and b.industry) else 0.4
    return _ratio(a, b)


def _numbered_apart(a: CompanyName, b: CompanyName) -> bool:
    """Both names say numbers and not the same ones (第一 / 第三, 一局 / 二局, 一汽 / 二汽)."""
    x, y = numbers_in(a.full_core), numbers_in(b.full_core)
    return bool(x) and bool(y) and x != y


def _ratio(a: CompanyName, b: CompanyName) -> float:
    return max(fuzz.ratio(a.core, b.core), fuzz.ratio(a.full_core, b.full_core)) / 100.0


def _other_trades(a: CompanyName, b: CompanyName) -> bool:
    """Both names state their trade and the trades differ, neither one starting the other
    (科技 / 电子, 实业 / 信息技术, 科技 / 环保科技; not 农业 / 农业发展): whatever else the
    names share, they are two companies. An English name's trade is its translated words, and
    agrees with a Chinese one when they share a character."""
    x, y = a.industry, b.industry
    if not (x and y) or x.startswith(y) or y.startswith(x):
        return False
    # A translation names the trade in other words (Pharmaceutical 医药 / 药业): one shared
    # character is agreement enough across scripts.
    return not (a.is_latin != b.is_latin and set(x) & set(y))


def _company_pinyin(a: CompanyName, b: CompanyName) -> float:
    """Pinyin of the cores: homophone typos (华信 / 华鑫) agree here and not on the characters."""
    if a.pinyin == b.pinyin:
        return 1.0
    return fuzz.ratio(a.pinyin, b.pinyin) / 100.0


def _company_region(a: CompanyName, b: CompanyName) -> float | None:
    """1.0 same region; 0.8 one contains the other (广东 / 深圳); 0.0 different; None if unknown."""
    if not a.region_code or not b.region_code:
        return None
    if a.region_code == b.region_code:
        return 1.0
    if a.region_code.startswith(b.region_code) or b.region_code.startswith(a.region_code):
        return 0.8
    return 0.0


# --------------------------------------------------------------------------- persons


def _prepare_person_name(value: str) -> tuple[tuple[str, ...], str] | None:
    tokens = person_name_tokens(value)
    if not tokens:
        return None
    # Chinese names also compare by pinyin: 张丽 / 张莉 are the same name said aloud.
    joined = "".join(tokens)
    return tokens, (pinyin_of(joined) if not joined.isascii() else "")


def _person_name(a: tuple[tuple[str, ...], str], b: tuple[tuple[str, ...], str]) -> float:
    """Token-wise similarity that tolerates swapped given name / surname, a typo and a missing
    token.

    1.0 identical; 0.97 same tokens in another order (``Smith John`` / ``John Smith``); 0.95 one
    typo in one token (a letter wrong, missing, extra, or two adjacent letters swapped:
    ``Koch`` / ``Kocn``) or the same letters written together or apart (``Zhang San`` /
    ``Zhangsan``); 0.9 one typo and the parts swapped; otherwise the mean Jaro–Winkler of the
    best one-to-one token pairing (straight or swapped), times 0.9 when one side lacks tokens (a
    name recorded without its surname is weaker evidence than the full name). When only one part
    agrees (same surname, another given name: a relative, or a re-typed given name) the result
    is 0.6, its own level, instead of an average that would read as "similar".
    """
    ta, pa = a
    tb, pb = b
    if ta == tb:
        return 1.0
    if pa or pb:
        return _chinese_name(ta, pa, tb, pb)
    if len(ta) == len(tb) and sorted(ta) == sorted(tb):
        return 0.97
    typo = _one_typo_apart(ta, tb)
    if typo is not None:
        return typo
    if len(ta) != len(tb) and len(ta) + len(tb) <= 5 and _joined_equal(ta, tb):
        return 0.95
    if len(ta) == 1 and len(tb) == 1:
        return _jw(ta[0], tb[0])
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) == 2 and len(long_) == 2:
        straight = (_jw(short[0], long_[0]), _jw(short[1], long_[1]))
        swapped = (_jw(short[0], long_[1]), _jw(short[1], long_[0]))
        # The alignment is chosen as it is scored: swapped parts count slightly less, so that
        # "jaden jessup" / "jaden mccarthy" (the given name agrees) is not read as two weak
        # cross-agreements (jaden ~ mccarthy, jessup ~ jaden) that hide the one part that agrees.
        best = max(sum(straight) / 2.0, sum(swapped) * 0.49)
        pair = straight if sum(straight) / 2.0 >= sum(swapped) * 0.49 else swapped
        if max(pair) >= 0.92 and min(pair) < 0.6:
            return 0.6  # one part agrees, the other is another name
        return best
    # General case: pair tokens greedily, best-scoring pair first (hyphenated and middle names).
    candidates = sorted(
        ((_jw(x, y), i, j) for i, x in enumerate(short) for j, y in enumerate(long_)),
        reverse=True,
    )
    used_short: set[int] = set()
    used_long: set[int] = set()
    scores: list[float] = []
    for score, i, j in candidates:
        if i in used_short or j in used_long:
            continue
        used_short.add(i)
        used_long.add(j)
        scores.append(score)
    similarity = sum(scores) / len(scores)
    if len(short) < len(long_):
        similarity *= 0.9
    if similarity < 0.7 and max(scores) >= 0.92 and len(long_) > 1:
        return 0.6
    return similarity


# A typo is only told from another name in a token of at least this many letters: Li / Lu,
# Jo / Ja are different names, Koch / Kocn is Koch mistyped.
_MIN_TYPO_TOKEN = 4


def _one_typo_apart(ta: tuple[str, ...], tb: tuple[str, ...]) -> float | None:
    """At least 0.95 when the names have the same tokens in the same order but for one typo in
    one of them, at least 0.9 when that is so after swapping the parts (more when the tokens'
    Jaro–Winkler says so); None otherwise."""
    if len(ta) != len(tb):
        return None
    for order, level, factor in ((tb, 0.95, 1.0), (tuple(reversed(tb)), 0.9, 0.98)):
        differing = [(x, y) for x, y in zip(ta, order, strict=True) if x != y]
        if len(differing) == 1:
            x, y = differing[0]
            if min(len(x), len(y)) >= _MIN_TYPO_TOKEN and _osa(x, y, score_cutoff=1) <= 1:
                mean = (len(ta) - 1 + _jw(x, y)) / len(ta)
                return max(level, factor * mean)
        if len(ta) == 1:
            break
    return None


def _joined_equal(ta: tuple[str, ...], tb: tuple[str, ...]) -> bool:
    """The same letters written together or apart, in either order of the parts."""
    a = "".join(ta)
    return a in {"".join(tb), "".join(reversed(tb))} or "".join(reversed(ta)) == "".join(tb)


def _chinese_name(ta: tuple[str, ...], pa: str, tb: tuple[str, ...], pb: str) -> float:
    """Chinese names: surname = first character, given name = the rest (one or two characters).

    Character Jaro–Winkler would call 张伟 / 张强 "similar" because they share the surname; with
    only a hundred common surnames that is weak evidence, so the levels are: 0.95 same pinyin
    (homophone typo 冯亭颖 / 冯婷颖), 0.9 same name in pinyin (王伟 / ``Wang Wei``, either
    order, written together or apart), 0.8 one given-name character differs, or the pinyin form
    is one typo off (王伟 / ``Wang Wie``), 0.6 only the surname agrees, else 0.3.
    """
    if pa and pb:
        a, b = ta[0], tb[0]
        if pa == pb:
            return 0.95
        if a[0] != b[0]:
            return 0.3
        if len(a) == len(b) >= 3 and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
            return 0.8
        return 0.6
    # One side in pinyin (a web shop sign-up): compare with both orders of the Latin tokens.
    pinyin, latin = (pa, tb) if pa else (pb, ta)
    # Surname first or last; a two-syllable given name may be written as two words
    # (San Feng Zhang): the surname is then the last word, put before the rest.
    joined = {"".join(latin), "".join(reversed(latin)), latin[-1] + "".join(latin[:-1])}
    if pinyin in joined:
        return 0.9
    if len(pinyin) >= _MIN_TYPO_TOKEN and any(_osa(pinyin, j, score_cutoff=1) <= 1 for j in joined):
        return 0.8
    return 0.5 * max(_jw(pinyin, j) for j in joined)
