"""How two company names relate once taken apart: short names and abbreviations, a Latin name
that transliterates a Chinese trade name, two names that each keep a word the other lacks.

The names are first taken apart by :func:`matching.normalize.company.company_name_parts`; the
functions here compare the parts (:class:`~matching.normalize.company.CompanyName`)."""

from __future__ import annotations

from collections.abc import Collection

from rapidfuzz import fuzz

from matching.normalize.company import (
    CompanyName,
    _industry_suffix,
    _is_industry_only,
    _split_industry,
)
from matching.normalize.company_words import _EN_INDUSTRIES, _EN_LEGAL, _NATIONAL
from matching.normalize.pinyin import pinyin_of
from matching.normalize.regions import _region_tables
from matching.normalize.text import has_cjk

#: Prefix lengths, in characters, of a Chinese core that stand for the company as a short name:
#: stock short names (证券简称) and CRM entries are four characters (大族激光, 海康威视), or two,
#: with the region in front (宁波富邦, 贵州茅台) or alone (万科).
_SHORT_LENGTHS = (2, 4)


def _industry_words(industry: str) -> list[str]:
    """The industry part of a core split into its words, longest first (农业发展 -> 农业, 发展)."""
    words: list[str] = []
    while industry and (word := _industry_suffix(industry)):
        words.insert(0, word)
        industry = industry[: -len(word)]
    return words if not industry else []


#: The national marker a Chinese name may start with instead of a place (中国工商银行,
#: 中华联合财产保险: names registered nationally).
NATIONAL_MARKERS = ("中国", "中华")


def national_rest(core: str) -> str:
    """The core after a leading national marker when two characters or more remain (中国光大银行
    -> 光大银行, 中国银行 -> 银行), else ""."""
    for word in NATIONAL_MARKERS:
        if core.startswith(word) and len(core) - len(word) >= 2:
            return core[len(word) :]
    return ""


def _without_national(core: str) -> str:
    """The core without a leading 中国/中华 (中国光大银行 -> 光大银行), or "" when it has none or
    nothing distinctive would remain (中国银行 stays 中国银行)."""
    rest = national_rest(core)
    return rest if rest and not _is_industry_only(rest) else ""


def _forms_of(core: str, distinctive: str, industry: str) -> list[str]:
    # Starts that end inside the distinctive part or at the end of an industry word
    # (华英农业 of 华英农业发展), never inside one (京东方科 of 京东方科技).
    ends = {n for n in _SHORT_LENGTHS if n <= len(distinctive)}
    end = len(distinctive)
    for word in _industry_words(industry)[:1]:
        ends.add(end + len(word))
    # Two characters of a three-character brand are another brand (京东 / 京东方).
    if len(distinctive) == 3:
        ends.discard(2)
    forms = [core[:n] for n in sorted(ends) if 2 <= n < len(core)]
    if len(distinctive) >= 2:
        forms.append(distinctive)
    return forms


def short_forms(parts: CompanyName) -> tuple[str, ...]:
    """The shorter names a Chinese company name is plausibly held by, without region and legal
    form: the distinctive core (京东方 of 京东方科技), the two- and four-character starts of the
    core (大族激光 of 大族激光科技产业, 富邦 of 富邦精业, 万科 of 万科企业), the distinctive core
    with its first industry word (华英农业 of 华英农业发展), and the same without a leading
    中国 (光大银行, 光大 of 中国光大银行).

    A short name parses to one of these as its own core (宁波富邦 -> region 宁波, core 富邦), so
    a block key per form lets a short name find its legal name and back. A start that cuts into
    an industry word (京东方科) or is only an industry, region or national word (科技, 北京,
    中国) names no company and is left out. A branch has none: a short name stands for the
    company, not for one of its branches.
    """
    if parts.is_latin or parts.branch or len(parts.core) < 3:
        return ()
    core, distinctive = parts.core, parts.distinctive
    forms = _forms_of(core, distinctive, parts.industry)
    if rest := _without_national(core):
        forms.append(rest)
        national = core[: len(core) - len(rest)]
        if distinctive.startswith(national):
            forms += _forms_of(rest, distinctive[len(national) :], parts.industry)
    prefix, county_short, _, _ = _region_tables()
    return tuple(
        form
        for form in dict.fromkeys(forms)
        if form != core
        and len(form) >= 2
        and form not in _NATIONAL
        and form not in prefix
        and form not in county_short
        and not _is_industry_only(form)
    )


def is_abbreviation(short: CompanyName, long: CompanyName) -> bool:
    """True when a Chinese ``short`` name keeps the first two characters of ``long``'s core and
    then some of the others, in order: how stock short names abbreviate the rest of a name
    (天晟新材 / 天晟新材料, 千山药机 / 千山制药机械, 中核科技 / 中核苏阀科技实业, 宝泰隆 /
    七台河宝泰隆煤化工). Weaker evidence than a short form: two companies may share a start.
    """
    if short.is_latin or long.is_latin or short.branch != long.branch:
        return False
    a, b = short.core, long.core
    if (rest := _without_national(b)) and not a.startswith(b[:2]):
        b = rest
    if len(a) < 3 or len(a) >= len(b) or a[:2] != b[:2] or _is_industry_only(a[:2]):
        return False
    remaining = iter(b[2:])
    return all(ch in remaining for ch in a[2:])


def abbreviates(short: CompanyName, long: CompanyName) -> bool:
    """True when a Chinese name of two to four characters, without region and without a legal
    form of its own (but 股份/集团), can be a short name or a former short name of ``long`` the
    way stock short names are cut: the start of its trade name (创元 / 创元科技, 宁沪 /
    江苏宁沪高速公路), or the first character of its region and the start of its core
    (江铜 / 江西铜业, 新赛 / 新疆赛里木现代农业, 深天地 / 深圳市天地(集团)). Many companies fit a
    two-character name: weak evidence, for review when one company in the hub fits it
    (``mdm.linking.batch.short_names``)."""
    x = short.core
    if short.is_latin or long.is_latin or short.region or short.branch or long.branch:
        return False
    if short.legal_form not in ("", "股份", "集团") or not 2 <= len(x) <= 4:
        return False
    if len(x) >= len(long.core) and not long.region or _is_industry_only(x[:2]):
        return False
    if (long.distinctive or long.core).startswith(x) or x in initial_abbreviations(long):
        return True
    if not long.region or len(long.full_core) <= len(long.core) or long.region[0] != x[0]:
        return False
    rest = iter(long.core[1:])
    return x[1] == long.core[0] and all(ch in rest for ch in x[2:])


def _initials_of(core: str, distinctive: str, industry: str) -> list[str]:
    words = _industry_words(industry)
    if len(distinctive) != 2 or not words:
        return []
    pieces = [distinctive]
    for word in words:  # 石油化工 is said as two words (中石化)
        pieces += (
            [word[k : k + 2] for k in range(0, len(word), 2)] if len(word) % 2 == 0 else [word]
        )
    initials = "".join(_BANK_INITIAL.get(piece, piece[0]) for piece in pieces)
    return [initials[:n] for n in (2, 3) if n <= len(initials) and n < len(core)]


#: A bank is abbreviated by its last character: 招行 of 招商银行, 工行 of 工商银行.
_BANK_INITIAL = {"银行": "行"}


def initial_abbreviations(parts: CompanyName) -> tuple[str, ...]:
    """The short names made of the first character of each word of a name: a trade name of one
    word of two characters and the industry words after it (长电 of 长江电力, 东航 of 东方航空,
    宜纸 of 宜宾纸业, 招行 of 招商银行, 中石化 of 中国石油化工, 工行 of 中国工商银行 read without
    the national marker). How Chinese abbreviates a name of several words (缩略语); many names
    fit one such cut, so it is evidence for review when one company in the hub fits it
    (``mdm.linking.batch.short_names``), never for a link."""
    if parts.is_latin or parts.branch:
        return ()
    forms = _initials_of(parts.core, parts.distinctive, parts.industry)
    if rest := national_rest(parts.core):
        distinctive, industry = _split_industry(rest)
        forms += _initials_of(rest, distinctive, industry)
    return tuple(
        form for form in dict.fromkeys(forms) if form != parts.core[:2] and form not in _NATIONAL
    )


def abbreviation_key(parts: CompanyName) -> str:
    """The block key an abbreviated name and the names it may abbreviate share (``ab:`` + two
    characters): a short name's first two, a long name's region initial and core initial."""
    if parts.is_latin or parts.branch or len(parts.core) < 2:
        return ""
    if parts.region and len(parts.full_core) > len(parts.core):
        return "ab:" + parts.region[0] + parts.core[0]
    if not parts.region and len(parts.core) <= 4:
        return "ab:" + parts.core[:2]
    return ""


def transliterates_trade_name(latin: CompanyName, chinese: CompanyName) -> bool:
    """True when a Latin name's first word (of several) is the pinyin of the start of the
    Chinese name's core as one word: the trade name transliterated, the rest translated
    (``Jiangsu Changbao Steeltube`` / 江苏常宝钢管, ``Suzhou Kelida Building & Decoration`` /
    苏州柯利达装饰)."""
    if not latin.is_latin or chinese.is_latin or len(chinese.distinctive) < 2:
        return False
    words = latin.core.split()
    if not words or len(words[0]) < 4 or len(words) < 2:
        return False
    core = chinese.core
    starts = {core[:n] for n in (2, 3, 4) if n < len(core)} | {chinese.distinctive}
    return words[0] in {pinyin_of(start) for start in starts if not _is_industry_only(start)}


def regional_short_form(parts: CompanyName) -> str:
    """The region and the first two characters of the core (贵州茅台 of 贵州茅台酒股份有限公司,
    宁波富邦 of 宁波富邦精业…), or "": with the region in front, two characters are a short name
    even where the core alone would be too short to tell (茅台 of 茅台酒, as 京东 of 京东方 is not).
    """
    if parts.is_latin or parts.branch or not parts.region or len(parts.core) < 2:
        return ""
    if _is_industry_only(parts.core[:2]):
        return ""
    return parts.region + parts.core[:2]


def is_short_form(short: CompanyName, long: CompanyName) -> bool:
    """True when ``short`` names the company ``long`` by a short form of its name (see
    :func:`short_forms`): 大族激光 / 大族激光科技产业集团股份有限公司, 宁波富邦 / 宁波富邦精业集团股份有限公司,
    and across scripts the pinyin of such a form or of a longer start of the core
    (``Dazu Laser Technology`` / 大族激光科技产业: laser is 激光, technology 科技).

    Regions are not looked at here (the region comparator weighs them); branches must agree.
    """
    if not short.core or not long.core or long.is_latin or short.branch != long.branch:
        return False
    if short.is_latin:
        if not short.pinyin or len(short.pinyin) >= len(long.pinyin):
            return False
        # Transliterated word by word: the pinyin of a start of the core (Dazu Laser
        # Technology / 大族激光科技产业), four characters or more unless a short form.
        forms = short_forms(long)
        core = long.core
        return any(
            pinyin_of(core[:n]) == short.pinyin
            for n in range(2, len(core))
            if n >= 4 or core[:n] in forms
        )
    if len(short.core) >= len(long.core) and not _without_national(long.core):
        return False
    if short.core in short_forms(long):
        return True
    return bool(short.region) and short.region + short.core == regional_short_form(long)


def _same_word(word: str, others: Collection[str], joined: str) -> bool:
    """``word`` stands in ``others``: equal, one starts the other (``deli`` / ``delicatessen``),
    one letter typed wrong (``philippe`` / ``philippes``), or written together (``ritzcarlton``)."""
    for other in others:
        if word == other or fuzz.ratio(word, other) >= 80:
            return True
        if min(len(word), len(other)) >= 3 and (word.startswith(other) or other.startswith(word)):
            return True
    return len(word) >= 4 and word in joined


def _own_latin_words(a: CompanyName, b: CompanyName, place: Collection[str]) -> list[str]:
    """Words of ``a`` that name the business and that ``b`` lacks: not legal, industry or
    national words, not a word of the place (its street or city), not one or two letters."""

    def words(name: CompanyName) -> list[str]:
        return [
            w
            for w in name.core.split()
            if (len(w) > 2 or w.isdigit())
            and not has_cjk(w)  # an English industry phrase, read as its Chinese words
            and w not in _EN_INDUSTRIES
            and w not in _EN_LEGAL
            and w not in _NATIONAL
            and w not in place
        ]

    theirs = words(b)
    joined = b.core.replace(" ", "")
    return [w for w in words(a) if not _same_word(w, theirs, joined)]


def names_another_business(
    a: CompanyName, b: CompanyName, place: Collection[str] = frozenset()
) -> bool:
    """Two names of one script that each keep a distinctive word the other lacks, once the
    words they share, the legal, industry and national words and the ``place`` words (the
    street and city of their addresses) are set aside: two businesses of one place or one
    group (``ritz-carlton cafe`` / ``ritz-carlton dining room``, 万向钱潮 / 万向德农), however
    much else the names share. A Chinese name's distinctive word is its trade name (the core
    without region and industry); two trades that differ (华信科技 / 华信电子) are two
    businesses as well. A name that is another's short form keeps nothing of its own
    (宁波富邦 / 宁波富邦精业集团, ``four seasons`` / ``four seasons grill room``). Across
    scripts nothing is told: a translation shares no letters and may be the same name.
    """
    if a.is_latin != b.is_latin or not a.core or not b.core:
        return False
    if a.is_latin:
        return bool(_own_latin_words(a, b, place)) and bool(_own_latin_words(b, a, place))
    x, y = a.industry, b.industry
    if x and y and not (x.startswith(y) or y.startswith(x)):
        return True
    own_a = set(a.distinctive) - set(b.full_core)
    own_b = set(b.distinctive) - set(a.full_core)
    if own_a and own_b:
        return True
    return is_registered(a) and is_registered(b) and _registered_apart(a.core, b.core)


#: Words a company's registered name may carry or drop without naming another business
#: (华信科技 / 华信科技发展, 大族激光科技 / 大族激光科技产业).
_FILLER_WORDS = ("发展", "实业", "产业", "控股", "企业", "集团", "股份", "总")


def has_legal_form(name: CompanyName) -> bool:
    """A Chinese name with a legal form of its own, a bare 公司 included (华信公司): not only a
    stock short name's 集团/股份."""
    return not name.is_latin and name.legal_form not in ("", "集团", "股份")


def is_registered(name: CompanyName) -> bool:
    """A Chinese name with a legal form of its own (有限公司, 厂, 商行…), not only a stock short
    name's 集团/股份 nor a bare 公司 (华为公司, as a CRM writes a company casually): the name
    of a registered company, which has no other name at a time."""
    return has_legal_form(name) and name.legal_form != "公司"


def _registered_apart(a: str, b: str) -> bool:
    """Two registered companies' cores that, after the start they share, keep a word other than
    filler: 华为技术 / 华为终端, 美的 / 美的制冷设备 (a group and its subsidiary, which share
    its switchboard and its address)."""
    if a == b:
        return False
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    rests = [a[k:], b[k:]]
    for word in _FILLER_WORDS:
        rests = [rest.replace(word, "") for rest in rests]
    return any(rests)


def short_name_of(a: CompanyName, b: CompanyName) -> CompanyName | None:
    """The one of two Chinese names that is a short name (简称) of the other and could stand
    for it alone, or None: 大族激光 of 大族激光科技产业集团股份有限公司, 宁波富邦 of
    宁波富邦精业集团股份有限公司.

    What makes it a short name that may stand for one company (whether it does is a question
    of the hub's other names, see ``short_name_block``):

    1. a short form of the other (:func:`is_short_form`), with no legal form of its own but
       集团/股份 (江苏舜天股份有限公司 is a registered company, not 江苏舜天船舶's short name);
    2. a start of the other's distinctive part, not of its industry words too (银河科技 of
       西藏银河科技发展 may be another 银河's);
    3. four characters or more, the whole three-character trade name (片仔癀 of 漳州片仔癀药业),
       or a region in front that the other names too (宁波富邦; 东方海洋 is no short name of
       海洋石油工程);
       A shorter one followed by 股份/集团 (腾龙股份) is a stock short name of that trade name;
    4. or the other's very name without its legal form, when that name has no region (a
       name approved for the whole country), four characters or more or the whole
       three-character trade name (交通银行 of 交通银行股份有限公司). The body of a name with a
       region is not (华信科技 of 北京华信科技有限公司: other cities' registries hold it), nor
       a name with a legal form of its own (华信科技有限公司).
    """
    if a.is_latin or b.is_latin or not a.core or not b.core:
        return None
    short, long_ = (a, b) if len(a.core) <= len(b.core) else (b, a)
    if short.core == long_.core:
        # 交通银行 / 交通银行股份有限公司: a registered name without region (approved for the
        # whole country, so its body is one company's) held without its legal form, as a
        # CRM keeps it. The body of a name with a region (华信科技 of 北京华信科技有限公司) is
        # not: other cities' registries hold the same body. With a legal form of its own a
        # name is a company of its own.
        short, long_ = (a, b) if not a.legal_form else (b, a)
        if short.region or long_.region or short.legal_form or short.branch != long_.branch:
            return None
        if not long_.legal_form:
            return None
        if len(short.core) < 4 and not (len(short.core) == 3 and short.core == long_.distinctive):
            return None
        return short
    if short.legal_form not in ("", "集团", "股份"):
        return None
    if not is_short_form(short, long_):
        # 蓝英装备 / 沈阳蓝英工业自动化装备, 中核钛白 / 中核华原钛白: an abbreviation of four
        # characters or more, found under the key of its first two (see ``short_name_block``).
        # Its trade word must be the other's (天源科技 is not 天源迪科信息技术).
        abbreviated = is_abbreviation(short, long_) and len(short.core) >= 4
        if short.industry and short.industry not in long_.core:
            return None
        return short if abbreviated and not short.region else None
    if not long_.distinctive.startswith(short.core) and short.core != long_.distinctive:
        return None
    if short.region:
        same = bool(long_.region_code) and (
            short.region_code.startswith(long_.region_code)
            or long_.region_code.startswith(short.region_code)
        )
        if len(short.core) < 2 or not same:
            return None
    elif (
        len(short.core) < 4
        and short.legal_form not in ("集团", "股份")
        and not (len(short.core) == 3 and short.core == long_.distinctive)
    ):
        # 腾龙股份 / 常州腾龙汽车零部件股份有限公司: a stock short name's 股份 says "the company
        # limited by shares" of that trade name; 片仔癀 / 漳州片仔癀药业: three characters
        # that are the whole trade name.
        return None
    return short


def short_name_block(short: CompanyName, long: CompanyName) -> str:
    """The block key that every name ``short`` can stand for as it stands for ``long`` carries
    (see ``matching.keys``): ``nm:`` + its core for a short form (大族激光), + region and core
    for a regional one (宁波富邦), + its first two characters for an abbreviation (蓝英 of
    蓝英装备). The records under it are the companies it can stand for."""
    if short.region and len(short.core) == 2:
        return "nm:" + short.region + short.core  # 宁波富邦: see ``regional_short_form``
    if short.core != long.core and short.core not in short_forms(long):
        return "nm:" + short.core[:2]
    return "nm:" + short.core
