"""Pure normalizers that turn standardized attribute values into comparable matching features.

Attributes reach the matcher already standardized by the dictionary (NFKC width folding, trimmed,
traditional -> simplified for names, codes upper-cased, phones E.164, dates ISO). These helpers go
one step further, to the *matching* form of a value: the distinctive core of a company name
without its region and legal form, the pinyin of that core so that 华信/华鑫 and the English
``Huaxin`` meet, a phone's national number, address tokens. They never raise and they are
deterministic, so the same value always yields the same blocking keys.

Region names come from python-stdnum's administrative-division table (``stdnum/cn/loc.dat``, the
file ``stdnum.cn.ric`` uses to decode the birth place of a resident ID) rather than from a typed
list, so the 3,000-odd provinces, prefectures and counties stay complete and current.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dictionary.standardizers import collapse_whitespace, fold_width, to_simplified

__all__ = [
    "CompanyName",
    "Region",
    "address_key",
    "address_words",
    "address_tokens",
    "branch_key",
    "company_name_parts",
    "customer_kind",
    "digits",
    "email_key",
    "has_cjk",
    "identifier",
    "is_pinyin",
    "normalize_address",
    "normalize_text",
    "person_name",
    "person_name_tokens",
    "phone_key",
    "pinyin_initials",
    "pinyin_of",
    "region_lookup",
    "split_pinyin",
]

_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def _words(text: str) -> list[str]:
    """Word lists are written as space-separated strings: easier to read and extend."""
    return text.split()


_OPEN_BRACKETS = "([{【〔〖「『<《"
_CLOSE_BRACKETS = ")]}】〕〗」』>》"
_BRACKET_TABLE = str.maketrans(
    {**dict.fromkeys(_OPEN_BRACKETS, "("), **dict.fromkeys(_CLOSE_BRACKETS, ")")}
)
_BRACKET_RE = re.compile(r"\(([^()]*)\)")
# Punctuation that carries no identity in a name: dots, dashes, quotes, ampersands, commas.
_NAME_PUNCT_RE = re.compile(r"[·•.,，。、'\"‘’“”`´\-_/\\&+!！?？:：;；#*~@|]+")
_NON_ALNUM_RE = re.compile(r"[^0-9A-Za-z]+")
_NON_DIGIT_RE = re.compile(r"\D+")


def has_cjk(value: str) -> bool:
    """True when the value contains at least one CJK ideograph."""
    return _CJK_RE.search(value) is not None


@lru_cache(maxsize=262_144)
def normalize_text(value: str) -> str:
    """Width-fold, simplify, lower-case and collapse white space; brackets become ASCII ``()``.

    Idempotent, and cheap enough to apply again to values that the dictionary already standardized:
    records that bypass the dictionary (benchmarks, tests) then still compare alike.
    """
    if value.isascii():
        # Most codes, e-mails and Latin names: NFKC and traditional->simplified change nothing,
        # and opencc is the slowest step of preparing a record.
        return collapse_whitespace(value.translate(_BRACKET_TABLE)).lower()
    folded = to_simplified(fold_width(value)).translate(_BRACKET_TABLE)
    return collapse_whitespace(folded).lower()


def digits(value: str) -> str:
    """Only the ASCII digits of a value (``1956-02-08`` -> ``19560208``)."""
    return _NON_DIGIT_RE.sub("", value)


def identifier(value: str) -> str:
    """Canonical form of a code (credit code, resident ID, GTIN, part number): A-Z0-9 only."""
    return _NON_ALNUM_RE.sub("", fold_width(value)).upper()


# --------------------------------------------------------------------------- pinyin


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

        pieces = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: s.split())
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


# --------------------------------------------------------------------------- regions


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative division: full name, short name (no 省/市/区 suffix), level and code.

    ``level`` is 1 for a province, 2 for a prefecture, 3 for a county or district. ``code`` has 2,
    4 or 6 digits so that containment is a prefix test (``4403`` 深圳 lies in ``44`` 广东).
    """

    name: str
    short: str
    level: int
    code: str
    current: bool


_LOC_LINE_RE = re.compile(r'^(\s*)(\d+) (province|county)="([^"]*)"')
_YEARS_RE = re.compile(r"^\[(\d*)-(\d*)\]")
_GENERIC_DIVISIONS = {"市辖区", "郊区", "市区", "城区", "矿区", "新区", "县", "区", "近郊区"}
_ETHNIC_GROUPS = _words(
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 "
    "怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
)
# The base name keeps at least two characters: 内蒙古自治区 is 内蒙古, not 内 + 蒙古族.
_AUTONOMOUS_RE = re.compile(
    "^(.{2,}?)(?:(?:"
    + "|".join(sorted(_ETHNIC_GROUPS, key=len, reverse=True))
    + ")族?)+自治(?:区|州|县|旗)$"
)
_DIVISION_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "新区",
    "特区",
)
_SHORT_SUFFIXES = "省市区县盟旗"


def _short_name(name: str) -> str:
    """广西壮族自治区 -> 广西, 延边朝鲜族自治州 -> 延边, 海淀区 -> 海淀, 广州市 -> 广州."""
    match = _AUTONOMOUS_RE.match(name)
    if match:
        return match.group(1)
    for suffix in _DIVISION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    if name[-1] in _SHORT_SUFFIXES and len(name) > 2:
        return name[:-1]
    return name


@lru_cache(maxsize=1)
def _regions() -> tuple[Region, ...]:
    """Parse stdnum's loc.dat into Region rows (provinces, prefectures, counties; old names too).

    Old names (``[-2010]崇文区``) are kept because company names registered under them live on;
    where a short name is shared, the lookup tables below prefer the current, higher-level one.
    """
    import stdnum

    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    rows: list[Region] = []
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LOC_LINE_RE.match(line)
        if match is None:
            continue
        _indent, code, kind, names = match.groups()
        if kind == "province":
            province = code
            name = to_simplified(names)
            rows.append(Region(name, _short_name(name), 1, code, True))
            continue
        if code == "0000":
            continue
        level = 2 if code.endswith("00") else 3
        full_code = province + (code[:2] if level == 2 else code)
        for entry in names.split(","):
            years = _YEARS_RE.match(entry)
            name = to_simplified(_YEARS_RE.sub("", entry))
            if name in _GENERIC_DIVISIONS or "辖" in name or len(name) < 2:
                continue
            current = years is None or years.group(2) == ""
            rows.append(Region(name, _short_name(name), level, full_code, current))
    return tuple(rows)


def _preference(region: Region) -> tuple[int, int, str]:
    return (region.level, 0 if region.current else 1, region.code)


@lru_cache(maxsize=1)
def _region_tables() -> tuple[dict[str, Region], dict[str, Region], dict[str, Region], int]:
    """(names usable at the start of a name, county short names usable after a higher region,
    pinyin of province/prefecture short names, longest key length).

    Usable at the start: full names of every level, and short names of provinces, prefectures and
    county-level cities (昆山, 义乌 are written without 市 in company names; districts are not).
    """
    prefix: dict[str, Region] = {}
    county_short: dict[str, Region] = {}
    latin: dict[str, Region] = {}

    def put(table: dict[str, Region], key: str, region: Region) -> None:
        if len(key) < 2:
            return
        known = table.get(key)
        if known is None or _preference(region) < _preference(known):
            table[key] = region

    for region in _regions():
        put(prefix, region.name, region)
        if region.level <= 2:
            put(prefix, region.short, region)
            put(latin, pinyin_of(region.short), region)
        elif region.name.endswith("市"):
            put(prefix, region.short, region)
        else:
            put(county_short, region.short, region)
    longest = max(len(key) for key in prefix)
    return prefix, county_short, latin, longest


def region_lookup(name: str) -> Region | None:
    """The region a name denotes: 北京, 北京市, 广西壮族自治区, 海淀区, or pinyin ``beijing``."""
    prefix, county_short, latin, _ = _region_tables()
    key = normalize_text(name).replace(" ", "")
    return prefix.get(key) or county_short.get(key) or latin.get(key)


def _leading_region(text: str, *, after_region: bool) -> tuple[Region, str, bool] | None:
    """Longest region name at the start of ``text``: (region, matched text, had a suffix).

    County short names without 区/县/市 (``海淀``) only count right after a higher region
    (``北京海淀…``): on their own too many of them are ordinary words (新华, 长安, 城关).
    """
    prefix, county_short, _, longest = _region_tables()
    for length in range(min(longest, len(text) - 1), 1, -1):
        head = text[:length]
        region = prefix.get(head)
        if region is None and after_region:
            region = county_short.get(head)
        if region is not None:
            return region, head, head != region.short
    return None


# --------------------------------------------------------------------------- company names

_CN_LEGAL_FORMS = tuple(
    sorted(
        _words(
            "股份有限公司 有限责任公司 有限公司 股份公司 总公司 公司 集团 有限合伙 普通合伙 合伙企业 "
            "个人独资企业 独资企业 股份合作社 专业合作社 合作社 总厂 厂 商行"
        ),
        key=len,
        reverse=True,
    )
)
# Strong branch markers name a branch on their own; weak ones only after a legal form
# (张三五金经营部 is an individual business, 华信科技有限公司五金经营部 a branch of a company).
_STRONG_BRANCH = _words(
    "分公司 分厂 分店 分行 支行 分理处 办事处 营业部 代表处 分部 分所 分院 分中心 分社 分校"
)
_WEAK_BRANCH = _words("经营部 门市部 服务部 营业厅 门店 工作站 销售部")
_STRONG_BRANCH_RE = re.compile("(" + "|".join(_STRONG_BRANCH) + ")$")
_ANY_BRANCH_RE = re.compile("(" + "|".join(_STRONG_BRANCH + _WEAK_BRANCH) + ")$")
_NATIONAL = {"中国", "中华", "china", "prc"}

# Trailing industry words; a core may end in up to two (华信网络科技 -> 网络科技).
_CN_INDUSTRIES = tuple(
    sorted(
        _words(
            "科技 技术 信息 信息技术 网络 电子 电子商务 电器 电气 电力 电缆 通信 通讯 软件 数据 数码 智能 "
            "贸易 商贸 进出口 国际贸易 供应链 物流 运输 快递 仓储 医药 制药 药业 医疗 医疗器械 生物 "
            "机械 设备 机电 仪器 仪表 自动化 精密 五金 模具 汽车 汽配 配件 汽车配件 食品 饮料 "
            "农业 农产品 餐饮 酒店 "
            "实业 工业 制造 投资 控股 咨询 管理 服务 发展 建设 建筑 工程 装饰 建材 材料 新材料 化工 "
            "化学 塑料 塑胶 橡胶 钢铁 金属 有色金属 能源 新能源 环保 环境 光电 光学 半导体 照明 "
            "纺织 服装 服饰 鞋业 家具 家居 印刷 包装 纸业 文化 传媒 广告 教育 旅游 房地产 置业 物业 "
            "石油 石化 矿业 安防 保安 人力资源 金融 保险 证券 银行 商务 云计算 互联网 生态"
        ),
        key=len,
        reverse=True,
    )
)

# English words of company names -> the Chinese word whose pinyin they should produce.
_EN_INDUSTRIES: dict[str, str] = {
    "technology": "科技",
    "technologies": "科技",
    "tech": "科技",
    "sci-tech": "科技",
    "scitech": "科技",
    "science": "科学",
    "electronics": "电子",
    "electronic": "电子",
    "electric": "电气",
    "electrical": "电气",
    "appliance": "电器",
    "appliances": "电器",
    "trading": "贸易",
    "trade": "贸易",
    "commerce": "商贸",
    "commercial": "商贸",
    "logistics": "物流",
    "transport": "运输",
    "transportation": "运输",
    "pharmaceutical": "医药",
    "pharmaceuticals": "医药",
    "pharma": "医药",
    "pharmacy": "医药",
    "medical": "医疗",
    "biotech": "生物科技",
    "biotechnology": "生物科技",
    "bio": "生物",
    "biological": "生物",
    "machinery": "机械",
    "mechanical": "机械",
    "equipment": "设备",
    "instrument": "仪器",
    "instruments": "仪器",
    "automation": "自动化",
    "precision": "精密",
    "hardware": "五金",
    "parts": "配件",
    "automobile": "汽车",
    "automotive": "汽车",
    "auto": "汽车",
    "food": "食品",
    "foods": "食品",
    "beverage": "饮料",
    "agriculture": "农业",
    "agricultural": "农业",
    "catering": "餐饮",
    "hotel": "酒店",
    "industrial": "实业",
    "industry": "实业",
    "industries": "实业",
    "manufacturing": "制造",
    "investment": "投资",
    "investments": "投资",
    "holding": "控股",
    "holdings": "控股",
    "consulting": "咨询",
    "consultancy": "咨询",
    "management": "管理",
    "service": "服务",
    "services": "服务",
    "development": "发展",
    "construction": "建筑",
    "engineering": "工程",
    "decoration": "装饰",
    "materials": "材料",
    "material": "材料",
    "chemical": "化工",
    "chemicals": "化工",
    "plastic": "塑料",
    "plastics": "塑料",
    "rubber": "橡胶",
    "steel": "钢铁",
    "metal": "金属",
    "metals": "金属",
    "energy": "能源",
    "environmental": "环保",
    "optoelectronics": "光电",
    "optoelectronic": "光电",
    "semiconductor": "半导体",
    "lighting": "照明",
    "textile": "纺织",
    "textiles": "纺织",
    "garment": "服装",
    "garments": "服装",
    "apparel": "服饰",
    "furniture": "家具",
    "printing": "印刷",
    "packaging": "包装",
    "paper": "纸业",
    "culture": "文化",
    "cultural": "文化",
    "media": "传媒",
    "advertising": "广告",
    "education": "教育",
    "tourism": "旅游",
    "travel": "旅游",
    "property": "置业",
    "realty": "房地产",
    "petroleum": "石油",
    "mining": "矿业",
    "security": "安防",
    "software": "软件",
    "network": "网络",
    "networks": "网络",
    "information": "信息",
    "communication": "通信",
    "communications": "通信",
    "telecom": "通信",
    "data": "数据",
    "digital": "数码",
    "intelligent": "智能",
    "smart": "智能",
    "internet": "互联网",
    "international": "国际",
    "supply": "供应",
    "chain": "链",
    "import": "进",
    "export": "出口",
}
_EN_PHRASES = {
    "information technology": "信息技术",
    "new energy": "新能源",
    "new materials": "新材料",
    "supply chain": "供应链",
    "import and export": "进出口",
    "import & export": "进出口",
    "import export": "进出口",
    "real estate": "房地产",
    "e-commerce": "电子商务",
    "ecommerce": "电子商务",
    "building materials": "建材",
    "medical devices": "医疗器械",
    "auto parts": "汽车配件",
    "home furnishing": "家居",
    "home furnishings": "家居",
    "medical equipment": "医疗器械",
}
_EN_LEGAL = {
    "co",
    "company",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "llc",
    "plc",
    "gmbh",
    "group",
    "lp",
    "llp",
    "pte",
    "sa",
    "ag",
}
_EN_BRANCH = {"branch": "分公司", "office": "办事处", "representative": "代表处", "factory": "分厂"}


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


def _parse_chinese(text: str) -> CompanyName:
    compact = _NAME_PUNCT_RE.sub("", text).replace(" ", "")
    body, bracket_regions, bracket_branches, bracket_forms = _bracket_parts(compact)
    head, branch = _find_branch(body)
    if bracket_branches and not branch:
        branch = bracket_branches[0]
    head, forms = _strip_legal_suffix(head)
    forms = bracket_forms + forms
    full_core = head

    found: list[Region] = [r for r in (region_lookup(name) for name in bracket_regions) if r]
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


# --------------------------------------------------------------------------- persons, contacts


@lru_cache(maxsize=262_144)
def person_name(name: str) -> str:
    """Comparable person name: Latin names lower-case with single spaces and no punctuation;
    Chinese names without spaces or the middle dot of transliterated names (阿卜杜·热合曼)."""
    text = _NAME_PUNCT_RE.sub(" ", normalize_text(name))
    text = collapse_whitespace(text)
    if has_cjk(text):
        return text.replace(" ", "")
    return text


@lru_cache(maxsize=262_144)
def person_name_tokens(name: str) -> tuple[str, ...]:
    """Name tokens for token-wise comparison; a Chinese name is one token (surname + given)."""
    text = person_name(name)
    return tuple(text.split()) if text else ()


def phone_key(phone: str) -> str:
    """National significant number of an E.164 phone (``+8613812345678`` -> ``13812345678``).

    Numbers that arrive without ``+`` are reduced to digits, dropping a Chinese trunk ``0`` and a
    leading ``86``/``0086`` so that the same line typed either way agrees.
    """
    text = fold_width(phone).strip()
    if text.startswith("+86") and text[3:].isdigit() and text[3:4] != "0":
        return text[3:]  # what phonenumbers answers for a Chinese E.164 number, 50x faster
    if text.startswith("+"):
        try:
            import phonenumbers

            parsed = phonenumbers.parse(text, None)
            return phonenumbers.national_significant_number(parsed)
        except Exception:  # noqa: BLE001 - phonenumbers raises its own NumberParseException
            return digits(text)
    number = digits(text)
    if number.startswith("0086"):
        number = number[4:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    return number.lstrip("0")


def email_key(email: str) -> str:
    """Lower-case e-mail; googlemail is gmail. Dots and +tags are kept (most providers honour them)."""
    text = fold_width(email).strip().lower()
    return text.replace("@googlemail.com", "@gmail.com")


# --------------------------------------------------------------------------- addresses

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
        return text.replace(" ", "")
    words = [_EN_ADDRESS_ABBREVIATIONS.get(w.rstrip("."), w.rstrip(".")) for w in text.split()]
    return " ".join(w for w in words if w)


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
        if token.endswith(("路", "街", "道", "巷", "胡同", "弄", "大道", "大街")):
            number = digits(tokens[position + 1]) if position + 1 < len(tokens) else ""
            return token + number if number else ""
    return ""


# --------------------------------------------------------------------------- customer kind

# CRMs in China often type customers "B" (business, B端) or "C" (consumer, C端).
_PERSON_TYPES = {"person", "individual", "natural_person", "p", "c", "to_c", "个人", "自然人"}
_ORGANIZATION_TYPES = {
    "organization",
    "organisation",
    "org",
    "b",
    "to_b",
    "company",
    "enterprise",
    "legal_person",
    "o",
    "企业",
    "单位",
    "公司",
    "组织",
}


def customer_kind(
    customer_type: str, name: str, *, has_credit_code: bool, has_id_number: bool
) -> str:
    """``person``, ``organization`` or ``""`` (unknown) for a customer record.

    The declared ``customer_type`` wins. Otherwise a valid credit code or a legal form, branch or
    industry word in the name means an organization, an ID number a person; a bare two-to-four
    character Chinese name is taken for a person. Unknown stays unknown rather than guessed.
    """
    declared = normalize_text(customer_type).replace(" ", "_")
    if declared in _PERSON_TYPES:
        return "person"
    if declared in _ORGANIZATION_TYPES:
        return "organization"
    if has_credit_code:
        return "organization"
    if has_id_number:
        return "person"
    if name:
        parts = company_name_parts(name)
        if parts.legal_form or parts.branch or parts.industry:
            return "organization"
        compact = person_name(name)
        if has_cjk(compact) and 2 <= len(compact) <= 4:
            return "person"
    return ""
