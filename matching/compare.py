"""Comparators: how alike two attribute values are, as a similarity in [0, 1], or None if a side
is missing (missing is *no evidence*, which is not the same as disagreement).

Each comparator has two halves so that the hot path does the expensive work once per record, not
once per pair: ``prepare(value)`` turns a standardized attribute value into a feature (a parsed
company name, name tokens, a national phone number …) and ``compare(fa, fb)`` scores two features.
:data:`COMPARATORS` maps the names used in match rules to them; the ``compare_*`` functions are
the same comparators on plain strings, for tests and for one-off use.

The similarity levels that comparators return are chosen to be readable by a data steward and
stable across versions (1.0 exact, 0.9 transposed day/month, 0.8 one digit off …), because rules
map them to weights with thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from matching.normalize import (
    CompanyName,
    address_tokens,
    company_name_parts,
    digits,
    email_key,
    identifier,
    is_abbreviation,
    is_short_form,
    normalize_address,
    normalize_text,
    person_name_tokens,
    phone_key,
    pinyin_of,
    transliterates_trade_name,
)
from matching.normalize.goods import GoodsAttributes, parse_goods
from matching.normalize.goods_names import brand_names, goods_name_core, is_contained_name, uom_key
from matching.normalize.latin import FULL, latin_relation

__all__ = [
    "COMPARATORS",
    "Comparator",
    "compare_address",
    "compare_birth_date",
    "compare_company_name",
    "compare_company_pinyin",
    "compare_division",
    "compare_email",
    "compare_identifier",
    "compare_person_name",
    "compare_phone",
    "compare_postal_code",
    "compare_region",
    "compare_spec",
    "compare_text",
]

_jw = JaroWinkler.normalized_similarity
# Optimal string alignment: one substitution, insertion, deletion *or adjacent transposition*
# (4350 / 4305) counts as one typo.
_osa = OSA.distance


@dataclass(frozen=True, slots=True)
class Comparator:
    """A named comparator: ``prepare`` once per value, ``compare`` per pair.

    ``exact_key`` maps a prepared value to a key such that ``compare`` returns 1.0 exactly when
    the keys are equal; it lets ``engine.estimate_u`` count the chance that two random records
    agree exactly from value frequencies instead of sampling (exact agreement on a name or a
    birth date is too rare for a sample of random pairs to measure).

    ``prepare_flagged`` prepares a value that failed its element's validation (flagged): None
    (the default) means such a value is not evidence at all; comparators whose values can still
    be compared by their digits (a phone number, a birth date) give one, and their ``compare``
    decides how much a flagged value may agree.
    """

    name: str
    prepare: Callable[[str], Any]
    compare: Callable[[Any, Any], float | None]
    description: str
    exact_key: Callable[[Any], Hashable] | None = None
    prepare_flagged: Callable[[str], Any] | None = None


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
        if latin_relation(latin, chinese) == FULL:
            # Every word read or translated, every character explained (``Lu Thai Textile`` /
            # 鲁泰纺织, ``Orient Landscape`` / 东方园林): as good as the same pinyin.
            return 0.98
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
    if _other_trades(a, b):
        # 华信科技 / 华信电子, 大中华科技 / 大中华环保科技: another company of the same name.
        return 0.4 if a.distinctive == b.distinctive else _ratio(a, b)
    if is_short_form(a, b) or is_short_form(b, a):
        # 大族激光 / 大族激光科技产业: a short name (简称); two characters (万科, 富邦) are many
        # companies' start.
        return 0.9 if min(len(a.core), len(b.core)) > 2 else 0.87
    if is_abbreviation(a, b) or is_abbreviation(b, a):
        return 0.88  # 天晟新材 / 天晟新材料: an abbreviated short name
    if a.distinctive == b.distinctive and a.industry != b.industry:
        # 华信 / 华信科技: a short name; 华信科技 / 华信电子: another company of the same group.
        return 0.85 if not (a.industry and b.industry) else 0.4
    return _ratio(a, b)


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


_DATE_PARTS_RE = re.compile(r"^(\d{4})\D+(\d{1,2})\D+(\d{1,2})\D*$")


def _prepare_date(value: str) -> str | None:
    """YYYYMMDD digits; a separated date with unpadded parts (1963/10/9) is padded first."""
    match = _DATE_PARTS_RE.match(value.strip())
    if match:
        year, month, day = match.groups()
        return f"{year}{int(month):02d}{int(day):02d}"
    number = digits(value)
    return number if len(number) >= 6 else None


class UnverifiedDate(str):
    """The digits of a date that failed validation (month 13, day 32, year 1028): kept so that
    its digits can show a near agreement, never an exact one."""

    __slots__ = ()


def _prepare_flagged_date(value: str) -> str | None:
    prepared = _prepare_date(value)
    return UnverifiedDate(prepared) if prepared else None


# The most a date flagged invalid can agree with another: its digits may be a typo of a real
# date (1967-13-27 / 1967-03-27), but equal invalid values prove nothing about the person.
_UNVERIFIED_CEILING = 0.8


def _birth_date(a: str, b: str) -> float:
    """1.0 same date; 0.9 day and month transposed (same year); 0.8 one digit off, or two
    adjacent digits swapped (1987 / 1978); 0.5 two digits off within the same year; 0.0
    otherwise. Works on the digits, so ``1956-02-08`` and ``19560208`` agree.

    A date flagged invalid (:class:`UnverifiedDate`) on either side is compared by its digits
    the same way but never above 0.8: a typo of a real date is a near agreement, two equal
    impossible dates are no more than that.
    """
    similarity = _date_digits(a, b)
    if isinstance(a, UnverifiedDate) or isinstance(b, UnverifiedDate):
        return min(similarity, _UNVERIFIED_CEILING)
    return similarity


def _date_digits(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 8 == len(b) and a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return 0.9
    if len(a) != len(b):
        return 0.0
    differences = sum(1 for x, y in zip(a, b, strict=True) if x != y)
    if differences == 1 or (differences == 2 and _osa(a, b, score_cutoff=1) <= 1):
        return 0.8
    if differences == 2 and a[:4] == b[:4]:
        return 0.5
    return 0.0


# --------------------------------------------------------------------------- contacts, codes


def _prepare_phone(value: str) -> str | None:
    number = phone_key(value)
    return number if len(number) >= 5 else None


def _phone(a: str, b: str) -> float:
    """1.0 same number; 0.9 one is the other without its area code (58123456 / 1058123456);
    0.7 one typo (a digit wrong or two swapped); 0.0 otherwise."""
    if a == b:
        return 1.0
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) >= 7 and long_.endswith(short):
        return 0.9
    if len(a) == len(b) and _osa(a, b, score_cutoff=1) <= 1:
        return 0.7
    return 0.0


# Role mailboxes are shared: by the companies of a group (admin@xinxing.cn), and, across
# domains, by every company (office@…). They identify a person or company far less.
_ROLE_MAILBOXES = frozenset(
    (
        *("admin", "office", "contact", "info", "sales", "service", "support", "hr", "mail"),
        *("postmaster", "webmaster", "marketing", "business", "finance", "account", "accounts"),
        *("enquiry", "inquiry", "hello", "team", "kefu"),
    )
)


def _prepare_email(value: str) -> tuple[str, bool] | None:
    email = email_key(value)
    if "@" not in email:
        return None
    return email, email.partition("@")[0] in _ROLE_MAILBOXES


def _email(a: tuple[str, bool], b: tuple[str, bool]) -> float:
    """1.0 same personal address; 0.85 same role mailbox (admin@, office@ …); 0.7 same personal
    mailbox name at another domain; else Levenshtein similarity / 2 (below every level)."""
    (left, role), (right, _) = a, b
    if left == right:
        return 0.85 if role else 1.0
    local_left = left.partition("@")[0]
    if not role and len(local_left) >= 4 and local_left == right.partition("@")[0]:
        return 0.7
    return Levenshtein.normalized_similarity(left, right) / 2.0


def _prepare_identifier(value: str) -> str | None:
    code = identifier(value)
    return code or None


def _identifier(a: str, b: str) -> float:
    """1.0 identical; 0.8 one typo (substitution or adjacent transposition); 0.0 otherwise."""
    if a == b:
        return 1.0
    if len(a) == len(b) and _osa(a, b, score_cutoff=1) <= 1:
        return 0.8
    return 0.0


def _prepare_postal_code(value: str) -> str | None:
    code = identifier(value)
    return code or None


def _postal_code(a: str, b: str) -> float:
    """1.0 same; 0.8 one typo (a digit wrong or two adjacent digits swapped); 0.5 same first four
    of a Chinese six-digit code (same district); 0.0 otherwise."""
    if a == b:
        return 1.0
    if len(a) == len(b) and _osa(a, b, score_cutoff=1) <= 1:
        return 0.8
    if len(a) == 6 == len(b) and a[:4] == b[:4]:
        return 0.5
    return 0.0


# --------------------------------------------------------------------------- free text


class PreparedAddress(NamedTuple):
    """An address as the comparator uses it, with the strings each of its measures compares
    built once per record rather than once per pair."""

    text: str
    tokens: tuple[str, ...]
    joined: str  # the tokens, space-separated: what token-set similarity splits
    sorted_joined: str  # the tokens sorted, space-separated: token-sort similarity's string
    compact: str  # the tokens run together: words written together or apart agree


def _prepare_address(value: str) -> PreparedAddress | None:
    text = normalize_address(value)
    if not text:
        return None
    tokens = address_tokens(value)
    return PreparedAddress(
        text, tokens, " ".join(tokens), " ".join(sorted(tokens)), "".join(tokens)
    )


def _address(a: PreparedAddress, b: PreparedAddress) -> float:
    """The best of: token-sort similarity (words reordered), 0.95 x token-set similarity (one
    address omits a unit or district of the other) and the similarity without spaces (words run
    together or split: ``stanleystreet``, ``winston hills`` / ``winstonhills``)."""
    if a.text == b.text:
        return 1.0
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


# --------------------------------------------------------------------------- goods


class PreparedGoodsName(NamedTuple):
    """A product or material name: its text without spaces, and its words without attributes."""

    text: str
    core: str


def _prepare_goods_name(value: str) -> PreparedGoodsName | None:
    text = normalize_text(value).replace(" ", "")
    if not text:
        return None
    return PreparedGoodsName(text, goods_name_core(value))


def _goods_name(a: PreparedGoodsName, b: PreparedGoodsName) -> float:
    """1.0 same name; the character ratio, at least 0.85 when the names say the same words once
    their attributes are left out (吹风机 MC-1201 2000W / 【美厨】吹风机2000W MC1201) or one name
    is the other with words left out (冷轧板 / 冷轧钢板, 空气炸锅 / 美厨空气炸锅 无油 可视).
    Attributes themselves are compared by the spec, model and the attribute veto."""
    if a.text == b.text:
        return 1.0
    similarity = fuzz.ratio(a.text, b.text) / 100.0
    if a.core and b.core:
        short, long_ = (a.core, b.core) if len(a.core) <= len(b.core) else (b.core, a.core)
        if short == long_ or is_contained_name(short, long_):
            return max(similarity, 0.85)
    return similarity


def _prepare_goods_spec(value: str) -> tuple[str, tuple[str, ...], GoodsAttributes] | None:
    text = normalize_text(value).replace("×", "x").replace("*", "x")
    if not text:
        return None
    numbers = tuple(re.findall(r"\d+(?:\.\d+)?", text))
    return text.replace(" ", ""), numbers, parse_goods(spec=value)


def _goods_spec(
    a: tuple[str, tuple[str, ...], GoodsAttributes],
    b: tuple[str, tuple[str, ...], GoodsAttributes],
) -> float:
    """Specifications: the same text or the same parsed attributes (``SPCC 1.0*1000*2500`` /
    ``1.0x1000x2500 SPCC``) score by how much they pin the item down — 1.0 with three or more
    attributes (M5*8 8.8级 本色: thread, class, finish), 0.95 with two (a part number such as
    6306-ZZ counts as two), 0.9 with fewer; 0.8 the same numbers otherwise; 0.0 different
    numbers."""
    same = a[0] == b[0] or (bool(a[2].values) and a[2].values == b[2].values)
    if same:
        # A part number (6306-ZZ, L-HM68) packs several attributes: it counts as two.
        attributes = max(len(x.values) + ("code" in x.values) for x in (a[2], b[2]))
        return 1.0 if attributes >= 3 else 0.95 if attributes == 2 else 0.9
    if a[1] != b[1]:
        return 0.0
    return 0.8


def _prepare_goods_codes(value: str) -> frozenset[str] | None:
    codes = parse_goods(name=value).values.get("code")
    return codes or None


def _goods_codes(a: frozenset[str], b: frozenset[str]) -> float:
    """Model numbers, from the model field or written in a name (a shop title): 1.0 a code in
    common; 0.8 one typo apart; 0.0 otherwise."""
    if a & b:
        return 1.0
    for x in a:
        for y in b:
            if len(x) == len(y) and _osa(x, y, score_cutoff=1) <= 1:
                return 0.8
    return 0.0


def _prepare_brand(value: str) -> frozenset[str] | None:
    names = frozenset(name if name.isascii() else pinyin_of(name) for name in brand_names(value))
    return frozenset(n.replace(" ", "") for n in names if n) or None


def _brand(a: frozenset[str], b: frozenset[str]) -> float:
    """Brands written in characters, pinyin or both (美厨 / 美厨（MEICHU）/ MEICHU): 1.0 a name in
    common (Chinese compared by pinyin), else the best character ratio."""
    if a & b:
        return 1.0
    return max(fuzz.ratio(x, y) for x in a for y in b) / 100.0


def _prepare_uom(value: str) -> str | None:
    return uom_key(value) or None


def _same(value: Any) -> Hashable:
    return value  # type: ignore[no-any-return]


def _company_key(value: CompanyName) -> Hashable:
    return ("latin", value.pinyin) if value.is_latin else ("han", value.core)


def _first(value: tuple[Any, ...]) -> Hashable:
    return value[0]  # type: ignore[no-any-return]


def _address_key(value: PreparedAddress) -> Hashable:
    return value.sorted_joined if len(value.tokens) > 1 else value.text


COMPARATORS: dict[str, Comparator] = {
    c.name: c
    for c in (
        Comparator(
            "company_name", _prepare_company, _company_name, "company core name", _company_key
        ),
        Comparator(
            "company_pinyin",
            _prepare_company,
            _company_pinyin,
            "pinyin of the core",
            lambda c: c.pinyin,
        ),
        Comparator(
            "company_region",
            _prepare_company,
            _company_region,
            "region in the name",
            lambda c: c.region_code or None,
        ),
        Comparator("person_name", _prepare_person_name, _person_name, "token Jaro–Winkler", _first),
        Comparator(
            "birth_date",
            _prepare_date,
            _birth_date,
            "exact / transposed / 1 digit",
            _same,
            prepare_flagged=_prepare_flagged_date,
        ),
        Comparator(
            "phone",
            _prepare_phone,
            _phone,
            "national number",
            _same,
            prepare_flagged=_prepare_phone,
        ),
        Comparator("email", _prepare_email, _email, "e-mail address"),
        Comparator("identifier", _prepare_identifier, _identifier, "code, 1 typo tolerated", _same),
        Comparator("postal_code", _prepare_postal_code, _postal_code, "postal code", _same),
        Comparator("address", _prepare_address, _address, "address tokens", _address_key),
        Comparator("division", _prepare_division, _division, "division code", _same),
        Comparator("text", _prepare_text, _text, "fuzzy text"),
        Comparator("exact", _prepare_text, _exact, "exact after normalization", _same),
        Comparator("jaro_winkler", _prepare_text, _jaro_winkler, "Jaro–Winkler", _same),
        Comparator("spec", _prepare_spec, _spec, "specification numbers and text", _first),
        Comparator(
            "goods_name",
            _prepare_goods_name,
            _goods_name,
            "goods name and its words",
            lambda name: name.text,
        ),
        Comparator("goods_spec", _prepare_goods_spec, _goods_spec, "parsed specification"),
        Comparator("goods_codes", _prepare_goods_codes, _goods_codes, "model numbers"),
        Comparator("brand", _prepare_brand, _brand, "brand in characters or pinyin"),
        Comparator("uom", _prepare_uom, _exact, "unit of measure and synonyms", _same),
    )
}


def _run(
    name: str, a: str | None, b: str | None, *, a_flagged: bool = False, b_flagged: bool = False
) -> float | None:
    comparator = COMPARATORS[name]
    fa = _prepared(comparator, a, a_flagged)
    fb = _prepared(comparator, b, b_flagged)
    if fa is None or fb is None:
        return None
    return comparator.compare(fa, fb)


def _prepared(comparator: Comparator, value: str | None, flagged: bool) -> Any:
    if not value:
        return None
    if not flagged:
        return comparator.prepare(value)
    return comparator.prepare_flagged(value) if comparator.prepare_flagged else None


def compare_company_name(a: str | None, b: str | None) -> float | None:
    """Similarity of two company names' cores (pinyin across scripts)."""
    return _run("company_name", a, b)


def compare_company_pinyin(a: str | None, b: str | None) -> float | None:
    """Similarity of the pinyin of two company names' cores."""
    return _run("company_pinyin", a, b)


def compare_region(a: str | None, b: str | None) -> float | None:
    """Agreement of the regions named in two company names (None when either names none)."""
    return _run("company_region", a, b)


def compare_person_name(a: str | None, b: str | None) -> float | None:
    """Token-wise Jaro–Winkler of two person names."""
    return _run("person_name", a, b)


def compare_birth_date(
    a: str | None, b: str | None, *, a_flagged: bool = False, b_flagged: bool = False
) -> float | None:
    """Birth dates: exact 1.0, transposed day/month 0.9, one digit off 0.8 (a date flagged
    invalid at most 0.8)."""
    return _run("birth_date", a, b, a_flagged=a_flagged, b_flagged=b_flagged)


def compare_phone(
    a: str | None, b: str | None, *, a_flagged: bool = False, b_flagged: bool = False
) -> float | None:
    """Phones by national significant number (a number flagged invalid by its digits)."""
    return _run("phone", a, b, a_flagged=a_flagged, b_flagged=b_flagged)


def compare_email(a: str | None, b: str | None) -> float | None:
    """E-mail addresses."""
    return _run("email", a, b)


def compare_identifier(a: str | None, b: str | None) -> float | None:
    """Codes such as credit codes or resident IDs (exact 1.0, one typo 0.8)."""
    return _run("identifier", a, b)


def compare_postal_code(a: str | None, b: str | None) -> float | None:
    """Postal codes."""
    return _run("postal_code", a, b)


def compare_address(a: str | None, b: str | None) -> float | None:
    """Addresses by tokens."""
    return _run("address", a, b)


def compare_division(a: str | None, b: str | None) -> float | None:
    """Administrative division codes (region_code)."""
    return _run("division", a, b)


def compare_text(a: str | None, b: str | None) -> float | None:
    """Generic fuzzy text."""
    return _run("text", a, b)


def compare_spec(a: str | None, b: str | None) -> float | None:
    """Material / product specifications: numbers must agree."""
    return _run("spec", a, b)
