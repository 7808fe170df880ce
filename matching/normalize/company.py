"""Company names taken apart for matching: region, core, industry, legal form, branch.

How two names taken apart relate (short names, abbreviations, another business) is in
:mod:`matching.normalize.company_relations`; the word lists are in
:mod:`matching.normalize.company_words`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

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
from matching.normalize.text import (
    _BRACKET_RE,
    _CJK_RE,
    _NAME_PUNCT_RE,
    _words,
    has_cjk,
    normalize_text,
)


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

    def region_nests(self, other: CompanyName) -> bool:
        """Both names say a region and one holds the other (广东 and 深圳, 北京 and 北京)."""
        a, b = self.region_code, other.region_code
        return bool(a and b) and (a.startswith(b) or b.startswith(a))


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


#: What an affiliated body is (附属中学, 附属第一医院); 附属设备 is a trade's accessory equipment.
_AFFILIATED_RE = re.compile(r"(?:中学|小学|学校|幼儿园|医院|学院|研究所|研究院)$")


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
    # An affiliated unit (清华大学附属中学, 北京大学附属医院) is another body than its parent.
    affiliated = text.find("附属", 2)
    if affiliated > 0 and _AFFILIATED_RE.search(text[affiliated + 2 :]):
        return text[:affiliated], text[affiliated:]
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


#: Words an ERP or CRM writes into a name to mark the record, not the company (北京华信科技有限公司
#: (停用), 作废-北京华信科技有限公司): the record is still that company's, an old duplicate most
#: often. Taken off the start and the end of a name, and out of brackets.
_STATUS_WORDS = _words(
    "已注销 注销 已停用 停用 已作废 作废 已吊销 吊销 已禁用 禁用 已冻结 冻结 已失效 失效 无效 "
    "已撤销 撤销 废弃 勿用 不用 重复 未注销"
)
_STATUS_RE = re.compile(
    "^(?:{0})+|(?:{0})+$".format("|".join(sorted(_STATUS_WORDS, key=len, reverse=True)))
)
#: A bracketed note of the name a company had before (北京华信科技有限公司(原北京华鑫电子有限公司)):
#: the marker and at least four characters of a name.
_FORMER_NOTE_RE = re.compile(
    r"\(\s*(?:原名称|原名|曾用名|原称|更名前|旧名|原)\s*[:：]?\s*([^()]{4,})\)"
)


def _names_a_company(text: str) -> bool:
    """A Chinese text that names a company of its own: a legal form and two characters or more
    before it, no branch (北京华鑫电子有限公司; not 料供应商, not 平分公司 of 原平分公司)."""
    compact = _NAME_PUNCT_RE.sub("", text.replace(" ", ""))
    if _ANY_BRANCH_RE.search(compact) or _find_branch(compact)[1]:
        return False
    rest, forms = _strip_legal_suffix(compact)
    return bool(forms) and _distinctive_length(rest) >= 2


def _former_note(inner: str) -> str:
    """The former name a bracket's content notes (原北京华鑫电子有限公司, 曾用名: …), or ""."""
    found = _FORMER_NOTE_RE.fullmatch(f"({inner})")
    return found.group(1).strip() if found and _names_a_company(found.group(1)) else ""


def former_name_in(name: str) -> tuple[str, str]:
    """A name without the bracketed note of the company's former name, and that former name
    (北京华信科技有限公司(原北京华鑫电子有限公司) -> 北京华信科技有限公司, 北京华鑫电子有限公司), or
    the name and "" when it holds no such note. A CRM keeps a renamed company so. The note must
    name a company (a legal form): (原料供应商) is a tag, (原平分公司) a branch in 原平."""
    text = normalize_text(name) if name else ""
    for found in _BRACKET_RE.finditer(text):
        former = _former_note(found.group(1))
        if former:
            rest = collapse_whitespace(text[: found.start()] + text[found.end() :])
            return rest, former
    return name, ""


#: Two Latin words or more: an English or pinyin name, not a brand (TCL, 3M) inside a Chinese one.
_LATIN_WORDS_RE = re.compile(r"[a-z][a-z0-9'&.\-]*")
#: A customer or stock code written into a name: 华信科技(600001), 华信科技 600001, (C001).
_CODE_RE = re.compile(
    r"\(\s*(?:[a-z]{0,3}[\-_]?\d[a-z0-9_\-]*|[^()]*(?:编号|编码|代码|客户号)[^()]*)\s*\)"
)
_TRAILING_CODE_RE = re.compile(r"\s+\d{5,}$")
_LEADING_STOCK_CODE_RE = re.compile(r"^\d{6}\s*(?=[\u3400-\u9fff])")


def _latin_part(text: str) -> str:
    """``text`` as Latin words set apart from a Chinese name: two words or more, no Chinese,
    beginning (or ending) with a space or bracket next to the Chinese name, else ""."""
    if has_cjk(text) or not text or (text[0] not in " (" and text[-1] not in " )"):
        return ""
    stripped = text.strip(" ()/|,;-")
    return stripped if len(_LATIN_WORDS_RE.findall(stripped)) >= 2 else ""


@lru_cache(maxsize=262_144)
def name_field_parts(name: str) -> tuple[str, str, str]:
    """What a name field holds besides the Chinese name: ``(name, latin, other)``.

    CRMs and ERPs write more into a name than the name: its English or pinyin form before or
    after it (北京华信科技有限公司 Beijing Huaxin Technology Co., Ltd.), a second name of the
    company after a slash (北京华信科技有限公司/北京华信), a note of the former name (see
    :func:`former_name_in`), a customer or stock code (华信科技(600001)). ``name`` is the Chinese
    name without them, ``latin`` the Latin words set apart from it (a tag such as ``(Key
    Account)`` as well: see :func:`english_name_in`), ``other`` the former or second name; a
    name with nothing more is ``(name, "", "")``. Latin words glued to the Chinese name are a
    brand of it (``New Balance专卖店``, TCL科技) and stay; so do Latin words beside a Chinese
    name too short to stand without them (``Hugo Boss 专卖店``)."""
    text = normalize_text(name) if name else ""
    if not has_cjk(text):
        return name, "", ""
    text, other = former_name_in(text)
    text = _CODE_RE.sub("", text)
    text = _LEADING_STOCK_CODE_RE.sub("", _TRAILING_CODE_RE.sub("", text)).strip()
    cjk = [found.start() for found in _CJK_RE.finditer(text)]
    if not cjk:
        return normalize_text(name), "", ""
    first, end = cjk[0], cjk[-1] + 1
    # A bracket that closes the Chinese name (华信科技(北京)) belongs to it.
    while end < len(text) and text[end] in ") " and text[:end].count("(") > text[:end].count(")"):
        end += 1
    latin = _latin_part(text[end:]) or _latin_part(text[:first])
    chinese = text[first:end].strip()
    # Set apart only an English company name (a legal form) or words beside a full Chinese
    # name: ``New Balance 上海专卖店`` keeps its brand, ``华信科技 Huaxin Technology`` stays whole.
    named = _names_a_company(chinese) or english_name_in(latin)
    if latin and named and sum(map(has_cjk, chinese)) >= 2:
        text = chinese
    else:
        latin = ""
    head, slash, tail = (part.strip() for part in text.partition("/"))
    if slash and "/" not in tail:
        if not other and _second_name(head, tail):
            text, other = head, tail
        elif _names_a_company(tail) and not _find_branch(tail)[1]:
            if _a_tag(head):
                text = tail  # 一级代理商/北京华信科技有限公司: a tag before the company's name
            elif _a_branch(head):
                text = head  # 北京华信科技有限公司上海分公司/北京华信科技有限公司: the branch
    return text, latin, other


def _a_branch(head: str) -> bool:
    compact = _NAME_PUNCT_RE.sub("", head.replace(" ", ""))
    return bool(_find_branch(compact)[1] or _ANY_BRANCH_RE.search(compact))


def _a_tag(head: str) -> bool:
    """What stands before a slash and a company's name as a tag of the record: no company's
    name and no branch's (…上海分公司/北京华信科技有限公司 names the branch)."""
    return not (_names_a_company(head) or _a_branch(head))


def _second_name(head: str, tail: str) -> bool:
    """Whether what follows a slash is another name of the full company name before it
    (北京华信 of 北京华信科技有限公司): a start of its name with the whole trade name, neither
    a company of its own (a legal form: an agent, a consignee) nor a branch
    (招商银行股份有限公司/北京分行 is a branch's name). A tag (/一级代理商), a place (/北京) or
    anything after a name that is not a full company name stays where it is."""
    if not _names_a_company(head) or _names_a_company(tail) or _find_branch(tail)[1]:
        return False
    compact = _NAME_PUNCT_RE.sub("", head.replace(" ", ""))
    rest, _forms = _strip_legal_suffix(compact)
    name = _parse_chinese(rest)
    other = _parse_chinese(_NAME_PUNCT_RE.sub("", tail.replace(" ", "")))
    # A start of the name, trade name and all (北京华信, 华信科技), not another business
    # of the trade name (华信电子).
    return len(name.distinctive) >= 2 and (
        other.core.startswith(name.distinctive) and name.core.startswith(other.core)
    )


def english_name_in(latin: str) -> str:
    """Latin words set apart from a Chinese name (``name_field_parts``) as the company's English
    name when they carry a legal form (``Beijing Huaxin Technology Co., Ltd.``,
    ``… Youxian Gongsi``); a tag (``(Key Account)``, ``VIP Customer``) is none."""
    return latin if latin and _parse_latin(collapse_whitespace(latin)).legal_form else ""


def with_former_name(attrs: Mapping[str, str]) -> Mapping[str, str]:
    """A customer's attributes with what its name field holds besides the name (see
    :func:`name_field_parts`): an English name with a legal form as its English name and the
    former or second name as its former name, each when the record holds none of its own;
    the same mapping when the name holds nothing more."""
    name = attrs.get("name") or ""
    if not name or not has_cjk(name):
        return attrs
    rest, latin, other = name_field_parts(name)
    if rest == normalize_text(name) and not latin and not other:
        return attrs
    found = dict(attrs)
    found["name"] = rest
    for field, value in (("english_name", english_name_in(latin)), ("former_name", other)):
        if value and not (found.get(field) or "").strip():
            found[field] = value
    return found


def _bracket_parts(text: str) -> tuple[str, list[str], list[str], list[str]]:
    """Take bracketed parts out: regions, branches and legal forms; other content stays inline."""
    regions: list[str] = []
    branches: list[str] = []
    forms: list[str] = []

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        key = inner.replace(" ", "")
        if not key or key in _NATIONAL or key in _STATUS_WORDS or key == "旧":
            return ""
        if _former_note(key):
            return ""  # the former name: see ``former_name_in``
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
    body = _STATUS_RE.sub("", body) or body
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


def _of_reordered(tokens: list[str]) -> list[str]:
    """``Bank of Ningbo Co Ltd`` -> ``Ningbo Bank Co Ltd``: an English "A of B" name says in
    Chinese order "B A" (宁波银行, 中国人民保险 of ``People's Insurance Company of China``); the
    legal form and a branch stay at the end. A name with several "of" is left as it is."""
    if tokens.count("of") != 1:
        return tokens
    position = tokens.index("of")
    # The name ends at its legal form or branch: ``Bank of China Limited Shenzhen Branch``.
    end = next(
        (
            k
            for k in range(position + 1, len(tokens))
            if tokens[k] in _EN_LEGAL or tokens[k] in _EN_BRANCH
        ),
        len(tokens),
    )
    head, tail = tokens[:position], tokens[position + 1 : end]
    if not head or not tail:
        return tokens
    return [*tail, *head, *tokens[end:]]


#: How an English name's address may end: "China", "PRC", "P.R. China", "P.R.C." (``c`` after
#: ``p r``).
_COUNTRY_WORDS = _NATIONAL | {"p", "r"}


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
    tokens = [t for t in _of_reordered(tokens) if t not in {"the", "and", "of"}]

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
    # "... Co., Inc. Zhaoqing Guangdong", "... Co., Ltd. Shenzhen, P.R. China": places after
    # the legal form are no part of the name; they say where the company is (see below).
    end = len(tokens)
    while end > 1 and (
        tokens[end - 1] in _COUNTRY_WORDS
        or (tokens[end - 1] == "c" and tokens[end - 3 : end - 1] == ["p", "r"])
    ):
        end -= 1
    places = end
    while places > 1 and tokens[places - 1] in latin_regions:
        places -= 1
    after_legal: list[str] = []
    if 1 < places < len(tokens) and tokens[places - 1] in _EN_LEGAL:
        after_legal, tokens = tokens[places:end], tokens[:places]
    legal: list[str] = []
    while len(tokens) > 1 and tokens[-1] in _EN_LEGAL:
        legal.insert(0, tokens.pop())
    found: list[Region] = []
    region_words: list[str] = []
    while len(tokens) > 1 and tokens[0] in latin_regions:
        region_words.append(tokens.pop(0))
        found.append(latin_regions[region_words[-1]])
    # "Ningbo Bank" (宁波银行), "Zhejiang Medicine": with nothing but trade words left, the
    # region is part of the name, as a Chinese name keeps it in its core.
    if region_words and all(t in _EN_INDUSTRIES for t in tokens):
        tokens.insert(0, region_words.pop())
    if not found and after_legal:
        # No place in front: the places after the legal form are the company's region. With
        # one in front, those behind are an office's or the address's, not the region.
        region_words = after_legal
        found = [latin_regions[w] for w in after_legal]
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
        return _parse_chinese(name_field_parts(text)[0])
    return _parse_latin(collapse_whitespace(_latin_brackets(text)))


def branch_key(branch: str) -> str:
    """Comparable form of a branch marker text: ``Shanghai Branch`` and 上海分公司 agree."""
    return pinyin_of(normalize_text(branch).replace(" ", ""))
