"""Company names taken apart for matching: region, core, industry, legal form, branch."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from dictionary.standardizers import collapse_whitespace
from matching.normalize.company_words import (
    _ANY_BRANCH_RE,
    _CN_INDUSTRIES,
    _CN_LEGAL_FORMS,
    _EN_BRANCH,
    _EN_INDUSTRIES,
    _EN_LEGAL,
    _EN_PHRASES,
    _NATIONAL,
    _STRONG_BRANCH_RE,
)
from matching.normalize.pinyin import pinyin_initials, pinyin_of
from matching.normalize.regions import Region, _leading_region, _region_tables, region_lookup
from matching.normalize.text import _BRACKET_RE, _NAME_PUNCT_RE, has_cjk, normalize_text


@dataclass(frozen=True, slots=True)
class CompanyName:
    """A company name taken apart for matching.

    ``core`` is what identifies the company among others of its region (华信科技); ``full_core``
    keeps the region words (北京华信科技) for names whose region prefix is ambiguous; ``distinctive``
    is the core without its trailing industry word (华信) and is what blocking keys are built from.
    For a Latin-script name ``core`` is the remaining words in lower case and ``pinyin`` maps
    English industry words to the pinyin of their Chinese equivalent, so that
    ``Beijing Huaxin Technology Co., Ltd.`` and 北京华信科技有限公司 have the same ``pinyin``
    (``huaxinkeji``) and ``region`` (北京).
    """

    text: str
    core: str
    full_core: str
    region: str
    region_code: str
    legal_form: str
    branch: str
    industry: str
    distinctive: str
    pinyin: str
    pinyin_initials: str
    distinctive_pinyin: str
    is_latin: bool


def _strip_legal_suffix(text: str) -> tuple[str, list[str]]:
    forms: list[str] = []
    changed = True
    while changed:
        changed = False
        for form in _CN_LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                forms.insert(0, form)
                changed = True
                break
    return text, forms


def _split_industry(core: str) -> tuple[str, str]:
    """Trailing industry words (at most two) of a Chinese core; the distinctive rest keeps >= 2 chars."""
    industry = ""
    rest = core
    for _ in range(2):
        word = _industry_suffix(rest, keep=2)
        if not word:
            break
        rest = rest[: -len(word)]
        industry = word + industry
    return rest, industry


_INDUSTRY_SET = frozenset(_CN_INDUSTRIES)
_INDUSTRY_LENGTHS = tuple(sorted({len(w) for w in _CN_INDUSTRIES}, reverse=True))


def _industry_suffix(text: str, keep: int = 0) -> str:
    """The longest industry word ending ``text`` that leaves at least ``keep`` characters."""
    n = len(text)
    for length in _INDUSTRY_LENGTHS:
        if n - length >= keep and text[n - length :] in _INDUSTRY_SET:
            return text[n - length :]
    return ""


def _distinctive_length(text: str) -> int:
    """Characters left once every trailing industry word is gone (信科技 -> 1)."""
    while word := _industry_suffix(text):
        text = text[: -len(word)]
    return len(text)


def _is_industry_only(text: str) -> bool:
    """True when nothing but industry words remain (科技, 网络科技): no distinctive core."""
    return _distinctive_length(text) == 0


def _find_branch(text: str) -> tuple[str, str]:
    """Split ``head + branch``: 北京华信科技有限公司上海分公司 -> (北京华信科技有限公司, 上海分公司)."""
    # A legal form followed by more text: the rest names a branch when it ends in any marker.
    for form in _CN_LEGAL_FORMS:
        position = text.find(form)
        while position > 0:
            tail = text[position + len(form) :]
            if tail and _ANY_BRANCH_RE.search(tail):
                return text[: position + len(form)], tail
            position = text.find(form, position + 1)
    match = _STRONG_BRANCH_RE.search(text)
    if match is None or match.start() < 2:
        return text, ""
    head = text[: match.start()]
    # Take a region just before the marker into the branch (华信科技上海分公司 -> 上海分公司).
    prefix, county_short, _, _ = _region_tables()
    for length in range(min(len(head) - 2, 12), 1, -1):
        tail = head[-length:]
        if tail in prefix or tail in county_short:
            return head[:-length], tail + match.group(1)
    return head, match.group(1)


def _bracket_parts(text: str) -> tuple[str, list[str], list[str], list[str]]:
    """Take bracketed parts out: regions, branches and legal forms; other content stays inline."""
    regions: list[str] = []
    branches: list[str] = []
    forms: list[str] = []

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        key = inner.replace(" ", "")
        if not key or key in _NATIONAL:
            return ""
        if region_lookup(key) is not None:
            regions.append(key)
            return ""
        if _ANY_BRANCH_RE.search(key):
            branches.append(key)
            return ""
        rest, found = _strip_legal_suffix(key)
        if found and (not rest or rest in _CN_LEGAL_FORMS):
            forms.append(key)
            return ""
        return inner

    previous = None
    while previous != text:
        previous = text
        text = _BRACKET_RE.sub(replace, text)
    return text.replace("(", "").replace(")", ""), regions, branches, forms


# Stock-exchange short names (证券简称) carry markers that are no part of the company's name: a
# special-treatment prefix (ST, *ST, S*ST) and a share-class letter (万科A, 京东方B, 中兴通讯H).
_STOCK_PREFIX_RE = re.compile(r"^s?\*?st(?=[\u3400-\u9fff])")
_SHARE_CLASS_RE = re.compile(r"(?<=[\u3400-\u9fff])[abh]$")


def _parse_chinese(text: str) -> CompanyName:
    compact = _SHARE_CLASS_RE.sub("", _STOCK_PREFIX_RE.sub("", text.replace(" ", "")))
    compact = _NAME_PUNCT_RE.sub("", compact)
    body, bracket_regions, bracket_branches, bracket_forms = _bracket_parts(compact)
    head, branch = _find_branch(body)
    if bracket_branches and not branch:
        branch = bracket_branches[0]
    head, forms = _strip_legal_suffix(head)
    forms = bracket_forms + forms
    full_core = head

    found: list[Region] = [r for r in (region_lookup(name) for name in bracket_regions) if r]
    region: Region | None
    # Leading regions, possibly nested (广东省深圳市…, 北京海淀…). A short name without suffix is
    # only taken when a distinctive core of two characters or more remains (金华信科技 stays).
    while True:
        lead = _leading_region(head, after_region=bool(found))
        if lead is None:
            break
        region, matched, has_suffix = lead
        rest = head[len(matched) :]
        if _is_industry_only(rest) or (not has_suffix and _distinctive_length(rest) < 2):
            break  # 北京科技有限公司, 东方电气, 金华信科技: the region word is part of the name
        if found and not (
            region.code.startswith(found[-1].code) or found[-1].code.startswith(region.code)
        ):
            break  # 四川东方希望: 东方 (Hainan) is not in 四川, so it belongs to the core
        found.append(region)
        head = rest
    core = head or compact
    distinctive, industry = _split_industry(core)
    region = _most_specific(found)
    return CompanyName(
        text=text,
        core=core,
        full_core=full_core,
        region=region.short if region else "",
        region_code=region.code if region else "",
        legal_form="".join(forms),
        branch=branch,
        industry=industry,
        distinctive=distinctive,
        pinyin=pinyin_of(core),
        pinyin_initials=pinyin_initials(core),
        distinctive_pinyin=pinyin_of(distinctive),
        is_latin=False,
    )


def _most_specific(regions: list[Region]) -> Region | None:
    """Prefecture over province (广东深圳 -> 深圳); a county only when nothing higher was named."""
    upper = [r for r in regions if r.level <= 2]
    pool = upper or regions
    return max(pool, key=lambda r: r.level) if pool else None


def _latin_brackets(text: str) -> str:
    """Drop a bracketed national marker (``Huaxin (China) Investment``); unwrap other brackets.

    A bracketed region (``Huaxin (Shanghai) Trading``) is moved to the front, where
    :func:`_parse_latin` looks for regions.
    """
    _, _, latin_regions, _ = _region_tables()
    regions: list[str] = []

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner in _NATIONAL:
            return " "
        if inner.replace(" ", "") in latin_regions:
            regions.append(inner.replace(" ", ""))
            return " "
        return f" {inner} "

    text = _BRACKET_RE.sub(replace, text).replace("(", " ").replace(")", " ")
    return " ".join([*regions, text])


def _parse_latin(text: str) -> CompanyName:
    # Xi'an, O'Neil: an apostrophe inside a word is part of it.
    text = re.sub(r"(?<=[a-z])['’](?=[a-z])", "", text)
    # "Gree Electric Appliances, Inc. of Zhuhai": a trailing "of <place>" names the region.
    trailing = re.search(r"\bof ([a-z' ]+)$", text)
    if trailing and trailing.group(1).replace(" ", "") in _region_tables()[2]:
        text = trailing.group(1).replace(" ", "") + " " + text[: trailing.start()]
    # Multi-word English terms first, as Chinese placeholders the tokenizer keeps.
    for phrase, chinese in _EN_PHRASES.items():
        text = text.replace(phrase, f" {chinese} ")
    tokens = re.findall(r"[a-z0-9]+|[\u3400-\u9fff]+", text.replace("sci-tech", "scitech"))
    tokens = [t for t in tokens if t not in {"the", "and", "of"}]

    _, _, latin_regions, _ = _region_tables()
    branch = ""
    # Branch: "... co ltd shanghai branch" -> 上海分公司, comparable with the Chinese form.
    if tokens and tokens[-1] in _EN_BRANCH:
        marker = _EN_BRANCH[tokens.pop()]
        if tokens and tokens[-1] == "representative":
            tokens.pop()
        place = latin_regions.get(tokens[-1]) if tokens else None
        if place is not None:
            tokens.pop()
        branch = (place.short if place else "") + marker
    legal: list[str] = []
    while len(tokens) > 1 and tokens[-1] in _EN_LEGAL:
        legal.insert(0, tokens.pop())
    found: list[Region] = []
    region_words: list[str] = []
    while len(tokens) > 1 and tokens[0] in latin_regions:
        region_words.append(tokens.pop(0))
        found.append(latin_regions[region_words[-1]])
    # "China Huaxin ..." / "Huaxin (China) ...": a national marker, not part of the core.
    if len(tokens) > 1 and tokens[0] in _NATIONAL:
        tokens.pop(0)
    if len(tokens) > 1 and tokens[-1] in _NATIONAL:
        tokens.pop()
    words = [_EN_INDUSTRIES.get(t, t) for t in tokens]
    cut = len(words)
    while cut > 1 and len(words) - cut < 2 and has_cjk(words[cut - 1]):
        cut -= 1
    distinctive_words = words[:cut]
    region = _most_specific(found)
    return CompanyName(
        text=text,
        core=" ".join(tokens) or text,
        full_core=" ".join([*region_words, *tokens]),
        region=region.short if region else "",
        region_code=region.code if region else "",
        legal_form=" ".join(legal),
        branch=branch,
        industry="".join(words[cut:]),
        distinctive=" ".join(tokens[:cut]),
        pinyin="".join(pinyin_of(w) for w in words),
        pinyin_initials="".join(pinyin_initials(w) for w in words),
        distinctive_pinyin="".join(pinyin_of(w) for w in distinctive_words),
        is_latin=True,
    )


@lru_cache(maxsize=262_144)
def company_name_parts(name: str) -> CompanyName:
    """Take a company name apart into core, region, legal form, branch, industry and pinyin.

    >>> company_name_parts("北京华信科技有限公司").core
    '华信科技'
    >>> company_name_parts("Beijing Huaxin Technology Co., Ltd.").pinyin
    'huaxinkeji'
    """
    text = normalize_text(name)
    if not text:
        return CompanyName("", "", "", "", "", "", "", "", "", "", "", "", False)
    if has_cjk(text):
        return _parse_chinese(text)
    return _parse_latin(collapse_whitespace(_latin_brackets(text)))


def branch_key(branch: str) -> str:
    """Comparable form of a branch marker text: ``Shanghai Branch`` and 上海分公司 agree."""
    return pinyin_of(normalize_text(branch).replace(" ", ""))


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


def _without_national(core: str) -> str:
    """The core without a leading 中国/中华 (中国光大银行 -> 光大银行), or "" when it has none or
    nothing distinctive would remain (中国银行 stays 中国银行)."""
    for word in ("中国", "中华"):
        rest = core[len(word) :]
        if core.startswith(word) and len(rest) >= 2 and not _is_industry_only(rest):
            return rest
    return ""


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
    if (long.distinctive or long.core).startswith(x):
        return True
    if not long.region or len(long.full_core) <= len(long.core) or long.region[0] != x[0]:
        return False
    rest = iter(long.core[1:])
    return x[1] == long.core[0] and all(ch in rest for ch in x[2:])


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
    return bool(own_a) and bool(own_b)


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
