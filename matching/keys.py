"""Blocking keys: short strings that two records of the same real-world thing are likely to share.

Candidate retrieval is one indexed query, ``WHERE entity = %s AND key IN (...)``, against the
BlockKey table, and the batch path groups records by key in memory; either way only records that
share at least one key are ever scored. Keys are therefore designed for *recall* — each family
catches the duplicates that the others miss — while staying selective and few (at most
:data:`MAX_KEYS` per record). A key that turns out too common (``nm:科技``) is skipped by the
batch path and should be by the database path too (see ``engine.candidate_pairs``).

Key families (prefix: value — why it exists):

``cc:`` valid credit code
    the registered identity of an organization; flagged (invalid) codes make no key.
``id:`` valid resident ID number (``id_number``)
    the identity of a person.
``ph:`` national phone number (the digits of one flagged invalid), ``em:`` e-mail, each as a keyed hash (:func:`contact_digest`)
    shared contacts survive a renamed company or a misspelt name. The key holds an HMAC, never
    the number: the block-key table is a copy of personal data that nobody reads as values,
    and both sides of a pair are hashed the same way, so they still meet.
``nm:`` core of a Chinese company name (华信科技) and its character trigrams (华信科, 信科技)
    region and legal form differ between systems (北京华信科技有限公司 / 华信科技(北京)); a
    trigram survives a one-character typo that is not a homophone. Trigrams, not bigrams: a
    bigram is mostly a trade word (科技) or a popular core (信达) shared by thousands.
``py:`` pinyin of the core, industry word included (``huaxinkeji``)
    homophone typos (华信 / 华鑫) and English names (Beijing Huaxin Technology, whose industry
    words are mapped to their Chinese pinyin) meet here. The industry keeps the block small: a
    popular core (信达) names companies in every trade and city.
``nm:`` / ``py:`` (organizations, after the other keys) short forms of a Chinese name and
    their pinyin: 大族激光 and 大族 of 大族激光科技产业集团股份有限公司, 富邦 of 宁波富邦精业…
    (``normalize.short_forms``), the former name's core and pinyin (``former_name``), and the
    pinyin of the first two words of an English name (``Dazu Laser`` -> ``dazujiguang``)
    a short name held by a CRM parses to one of its legal name's short forms as its own core,
    so each finds the other in the same one query; an English name transliterated word by
    word meets the pinyin of a four-character short form; a record under a company's former
    name meets the records that still use it, or name it as former name.
``ab:`` (organizations) a short name's first two characters; a long name's region and core
    initials: an abbreviation (江铜 / 江西铜业, 新赛 / 新疆赛里木) meets the names it may stand for.
``tl:`` (organizations, last) folded sound keys of the start of the trade name
    (``normalize.latin``): a Chinese name's first two to four characters in every usual
    reading, an English name's first words read as pinyin or translated, so that ``Lu Thai``
    (鲁泰), ``Sinyang`` (新阳) and ``Orient Landscape`` (东方园林) meet their Chinese names;
    also from a county word on and with the last region (``Yongan Forestry`` / 福建省永安林业,
    ``Changchun High-Tech`` / 长春高新), and the initials of a short trade name (``#byd`` for
    ``BYD`` / 比亚迪; two letters only with the next word's sound, ``#glkeci`` for ``GL Tech``).
``pn:`` a person's name tokens, sorted
    the same name written surname-first or given-name-first.
``nk:`` one name token + the first three letters of the other, both ways round
    a typo late in either part of a Latin name, and given/surname swaps.
``pp:`` pinyin of a person's name (王伟 -> ``wangwei``; ``Wang Wei`` -> ``wangwei``, ``weiwang``)
    homophone typos (冯亭颖 / 冯婷颖) and names typed in pinyin in a web shop.
``bd:`` birth date, and birth date + first letter of each name token (the pinyin syllable of a
    Chinese surname)
    a person whose name is misspelt or replaced but birth date is right. The plain date stops
    working past ~10^6 persons (too common, skipped); the lettered keys then keep blocks small.
``pc:`` postal code + first letter of a name token
    a person or company at the same place whose birth date or name has typos.
``ad:`` house number + street (``7wall``, 中关村大街27)
    the same address written slightly differently, e.g. after a name change.
``aw:`` first six letters of the longest distinctive word of a Latin address (``willou`` for
    willoughby crescent; never 'street')
    an address whose number is missing, whose parts are reordered or whose street name has a
    typo near its end. Chinese addresses rely on ``ad:``: their longest pieces are provinces and
    office towers shared by thousands.
``gt:`` valid GTIN
    the identity of a traded product.
``pm:`` product model, and brand + model; model numbers written in the name
    products without GTIN are identified by model number; a shop title carries it in its name.
``nm:`` (products) the whole name, and its first six characters
    shop titles that start with the ERP name (移动电源(20000mAh) / 移动电源20000mAh 大容量…).
``mn:`` / ``ms:`` material name, and name + specification numbers
    materials are their name *and* their specification (M8x20 bolt).
``sp:`` the whole normalized specification (ER50-6Φ1.615kg/盘)
    the same material under another name (焊丝 / 实心焊丝): a full spec is selective.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from types import MappingProxyType

from django.conf import settings

from matching.normalize import (
    CompanyName,
    abbreviation_key,
    address_key,
    address_words,
    company_name_parts,
    customer_kind,
    digits,
    email_key,
    has_cjk,
    identifier,
    initial_abbreviations,
    is_pinyin,
    normalize_text,
    person_name_tokens,
    phone_keys,
    pinyin_of,
    regional_short_form,
    short_forms,
)
from matching.normalize.company import with_former_name
from matching.normalize.goods import parse_goods
from matching.normalize.latin import chinese_keys, latin_keys, without_national

__all__ = [
    "FREQUENCY_FAMILIES",
    "KEYS_VERSIONS",
    "MAX_KEYS",
    "MAX_ORGANIZATION_KEYS",
    "block_keys",
    "contact_digest",
    "keys_version",
    "value_key",
]

MAX_KEYS = 12
#: The way each entity's keys are made, numbered: bump an entity's number with any change to
#: what ``block_keys`` returns for its stored records (``tests/matching/test_keys_version.py``
#: fails until it is bumped and its fingerprint recorded). A hub whose records of an entity
#: were keyed under a lower number is told to run ``match --entity E --rekey``
#: (``mdm.linking.block_index.keys_scheme``); an entity whose keys did not change is not.
#: Customers 2: English names with their places after the legal form (stop 43); 3: names
#: as ERPs and CRMs write them (the national marker, initials, status words, notes, English
#: names, codes and branches in the name field), Chinese numerals in addresses, phone lists,
#: persons' titles (stop 44).
KEYS_VERSIONS: Mapping[str, int] = MappingProxyType({"customers": 3, "products": 1, "materials": 1})


def keys_version(entity: str) -> int:
    """This release's number of the way ``entity``'s block keys are made."""
    return KEYS_VERSIONS[entity]


#: Organizations have more names to block on (short forms, former and English names).
MAX_ORGANIZATION_KEYS = 24
_MAX_NGRAMS = 4
_SPEC_NUMBERS_RE = re.compile(r"\d+(?:\.\d+)?")


def _valid(attrs: Mapping[str, str], flagged: Collection[str], field: str) -> str:
    """The attribute value unless it is missing or flagged invalid."""
    if field in flagged:
        return ""
    return (attrs.get(field) or "").strip()


#: Hex characters of a contact key's digest (128 bits: collisions are out of reach).
CONTACT_DIGEST_CHARS = 32


@lru_cache(maxsize=4)
def _contact_secret(key: str) -> bytes:
    return f"block-key\x00{key}".encode()


def contact_digest(family: str, value: str) -> str:
    """HMAC-SHA256 of a contact value, keyed with the hub's blind-index key
    (``MDM_BLIND_INDEX_KEY``): without the key, the number cannot be recovered by trying every
    phone number. Outside a configured Django project (the pure engine) the key is empty, which
    still hashes both sides of a pair the same way."""
    key = getattr(settings, "MDM_BLIND_INDEX_KEY", "") if settings.configured else ""
    digest = hmac.new(_contact_secret(key), f"{family}\x00{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:CONTACT_DIGEST_CHARS]


def _phone_key(attrs: Mapping[str, str]) -> str | None:
    # A phone number flagged invalid (one phonenumbers cannot read) still blocks by its digits,
    # as its comparator still compares them: the same unreadable number typed twice agrees.
    # A list of numbers counts as its first (``value_key``: how common the value is).
    phone = (attrs.get("phone") or "").strip()
    numbers = phone_keys(phone) if phone else ()
    number = numbers[0] if numbers else ""
    return "ph:" + contact_digest("ph", number) if len(number) >= 7 else None


def _email_key(attrs: Mapping[str, str], flagged: Collection[str]) -> str | None:
    email = _valid(attrs, flagged, "email")
    return "em:" + contact_digest("em", email_key(email)) if "@" in email else None


def _contact_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    phone = (attrs.get("phone") or "").strip()
    numbers = phone_keys(phone) if phone else ()
    # Each number of a list (a CRM's "office; mobile") blocks.
    keys = ["ph:" + contact_digest("ph", n) for n in numbers if len(n) >= 7]
    return keys + [key for key in (_email_key(attrs, flagged),) if key]


def _person_name_key(tokens: tuple[str, ...] | list[str]) -> str | None:
    return "pn:" + " ".join(sorted(tokens)) if tokens else None


def _core_key(parts: CompanyName) -> str | None:
    return "nm:" + parts.core if parts.core and not parts.is_latin else None


def _name_initials(tokens: tuple[str, ...]) -> list[str]:
    """First letter of each Latin token; pinyin of the surname character of a Chinese name."""
    initials: list[str] = []
    for token in tokens[:3]:
        initial = pinyin_of(token[0]) if has_cjk(token[0]) else token[0]
        if initial and initial not in initials:
            initials.append(initial)
    return initials


def _organization_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    keys: list[str] = []
    code = _valid(attrs, flagged, "credit_code")
    if code:
        keys.append("cc:" + identifier(code))
    name = _valid(attrs, flagged, "name")
    if name:
        parts = company_name_parts(name)
        core = parts.core
        if core_key := _core_key(parts):
            keys.append(core_key)
            if len(core) >= 4:
                # Only trigrams that hold a distinctive character: 医疗器 is every 医疗器械 firm.
                starts = range(min(len(core) - 2, max(len(parts.distinctive), 1)))
                trigrams = dict.fromkeys(core[i : i + 3] for i in starts)
                keys.extend("nm:" + t for t in list(trigrams)[:_MAX_NGRAMS])
        national = without_national(parts)
        if national is not None:
            # The sound keys an English name meets a name under 中国 by (see latin_relation):
            # here, ahead of the key limit that a record with every field reaches, where the
            # name's other sound keys come last.
            keys.extend("tl:" + key for key in chinese_keys(national)[:3])
        if parts.pinyin:
            keys.append("py:" + parts.pinyin)
    english = _valid(attrs, flagged, "english_name")
    if english:
        # The shop may carry the English name as the name: both meet on the pinyin key.
        pinyin = company_name_parts(english).pinyin
        if pinyin:
            keys.append("py:" + pinyin)
    return keys


def _organization_name_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    """Short forms of the name, the former name, and the transliterated start of an English
    name (see the module docstring); these come after the other keys of a record."""
    keys: list[str] = []
    parts: CompanyName | None
    for field in ("name", "former_name"):
        name = _valid(attrs, flagged, field)
        if not name:
            continue
        parts = company_name_parts(name)
        if field == "former_name":
            if parts.core and not parts.is_latin:
                keys.append("nm:" + parts.core)
            if parts.pinyin:
                keys.append("py:" + parts.pinyin)
        forms = short_forms(parts)
        keys.extend("nm:" + form for form in forms)
        if field == "name" and not parts.is_latin and len(parts.core) > 2:
            # The first two characters of a name meet its abbreviations (天晟新材 / 天晟新材料).
            keys.append("nm:" + parts.core[:2])
            # The pinyin of a name's start meets a transliterated trade name (Changbao / 常宝).
            keys.extend("py:" + pinyin_of(parts.core[:n]) for n in (2, 3) if n < len(parts.core))
        if regional := regional_short_form(parts):
            keys.append("nm:" + regional)
        if abbreviated := abbreviation_key(parts):
            keys.append(abbreviated)  # 江铜 / 江西铜业: see ``normalize.abbreviates``
        # 长电 / 长江电力, 招行 / 招商银行: a short name's own ``ab:`` key is its first two.
        keys.extend("ab:" + form[:2] for form in initial_abbreviations(parts))
        # Pinyin of the four-character form only: two syllables are shared by many homophones.
        keys.extend("py:" + pinyin_of(form) for form in forms if len(form) >= 4)
    for field in ("name", "english_name"):
        name = _valid(attrs, flagged, field)
        parts = company_name_parts(name) if name else None
        if parts is not None and parts.is_latin:
            words = parts.core.split()
            if len(words) > 2 and all(is_pinyin(w) for w in words[:1]):
                keys.append("py:" + company_name_parts(" ".join(words[:2])).pinyin)
            if len(words) > 1 and len(words[0]) >= 4 and is_pinyin(words[0]):
                keys.append("py:" + words[0])  # a transliterated trade name (Changbao …)
    keys.extend("tl:" + key for key in _sound_keys(attrs, flagged))
    return keys


def _sound_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    """Folded sound keys of the trade name (``normalize.latin``): an English name written in
    another romanization or with translated words (``Lu Thai Textile`` / 鲁泰纺织, ``Orient
    Landscape`` / 东方园林) meets its Chinese name."""
    keys: list[str] = []
    for field in ("name", "former_name", "english_name"):
        value = _valid(attrs, flagged, field)
        if not value:
            continue
        parts = company_name_parts(value)
        keys.extend(latin_keys(parts) if parts.is_latin else chinese_keys(parts))
    return keys


def _person_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    keys: list[str] = []
    id_number = _valid(attrs, flagged, "id_number")
    if id_number:
        keys.append("id:" + identifier(id_number))
    tokens = person_name_tokens(_valid(attrs, flagged, "name"))
    if name_key := _person_name_key(tokens):
        keys.append(name_key)
    birth = digits(_valid(attrs, flagged, "birth_date"))
    if len(birth) >= 6:
        keys.append("bd:" + birth)
    if len(tokens) > 1:
        # One token whole + the other's first three letters, both ways round: survives a typo
        # late in either token and given/surname swaps, and stays as selective as a full name.
        first, second = tokens[0], tokens[-1]
        keys.append(f"nk:{first}|{second[:3]}")
        keys.append(f"nk:{second}|{first[:3]}")
    if tokens and has_cjk(tokens[0]):
        keys.append("pp:" + pinyin_of(tokens[0]))  # 冯亭颖 / 冯婷颖: same name said aloud
    elif len(tokens) == 2 and all(is_pinyin(t) for t in tokens):
        # "Wang Wei" typed in a web shop meets 王伟 (either order: wangwei, weiwang).
        keys.append("pp:" + tokens[0] + tokens[1])
        keys.append("pp:" + tokens[1] + tokens[0])
    if len(birth) >= 6:
        keys.extend(f"bd:{birth}{initial}" for initial in _name_initials(tokens)[:2])
    return keys


def _place_keys(
    attrs: Mapping[str, str], flagged: Collection[str], initials: list[str]
) -> list[str]:
    keys: list[str] = []
    postal = identifier(_valid(attrs, flagged, "postal_code"))
    if postal:
        keys.extend(f"pc:{postal}{initial}" for initial in initials[:2])
    address = _valid(attrs, flagged, "address")
    street = address_key(address)
    if street:
        keys.append("ad:" + street)
    keys.extend("aw:" + word[:6] for word in address_words(address, 1))
    return keys


def _customer_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    if "name" not in flagged:  # 北京华信科技有限公司(原北京华鑫电子有限公司): both names
        attrs = with_former_name(attrs)
    name = _valid(attrs, flagged, "name")
    kind = _kind(attrs, flagged, name)
    keys: list[str] = []
    if kind != "person":
        keys += _organization_keys(attrs, flagged)
    if kind != "organization":
        keys += _person_keys(attrs, flagged)
    keys += _contact_keys(attrs, flagged)
    if kind == "person":
        initials = _name_initials(person_name_tokens(name))
    else:
        pinyin = company_name_parts(name).distinctive_pinyin if name else ""
        initials = [pinyin[:1]] if pinyin else []
    keys += _place_keys(attrs, flagged, initials)
    if kind == "organization":
        keys += _organization_name_keys(attrs, flagged)
    return keys


def _product_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    keys: list[str] = []
    gtin = _valid(attrs, flagged, "gtin")
    if gtin:
        keys.append("gt:" + identifier(gtin))
    model = identifier(_valid(attrs, flagged, "model"))
    if len(model) >= 3:
        keys.append("pm:" + model)
        brand = normalize_text(_valid(attrs, flagged, "brand")).replace(" ", "")
        if brand:
            keys.append(f"pm:{brand}|{model}")
    # A shop title carries the model number in its name, often with no model field at all.
    written = _valid(attrs, flagged, "name")
    codes = parse_goods(name=written).values.get("code", ()) if written else ()
    keys.extend("pm:" + code for code in sorted(codes)[:2] if code != model)
    name = normalize_text(written).replace(" ", "")
    if name:
        keys.append("nm:" + name)
        if len(name) > 6:
            keys.append("nm:" + name[:6] + "*")
    return keys


def _material_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    keys: list[str] = []
    name = normalize_text(_valid(attrs, flagged, "name")).replace(" ", "")
    spec = normalize_text(_valid(attrs, flagged, "spec"))
    numbers = "x".join(_SPEC_NUMBERS_RE.findall(spec))
    if name:
        keys.append("mn:" + name)
        if numbers:
            keys.append(f"ms:{name}|{numbers}")
            keys.append(f"ms:{name[:2]}|{numbers}")
    compact = spec.replace(" ", "").replace("×", "x").replace("*", "x")
    if len(compact) >= 4:
        keys.append("sp:" + compact)
    return keys


_BUILDERS = {
    "customers": _customer_keys,
    "products": _product_keys,
    "materials": _material_keys,
}


def block_keys(entity: str, attrs: Mapping[str, str], flagged: Collection[str] = ()) -> list[str]:
    """Blocking keys of one record, de-duplicated, in a stable order, at most :data:`MAX_KEYS`.

    Flagged attributes (e.g. a credit code failing its checksum) make no keys: an invalid code
    shared by two records is not evidence that they are the same.
    """
    try:
        builder = _BUILDERS[entity]
    except KeyError:
        raise ValueError(f"unknown entity {entity!r}") from None
    keys = dict.fromkeys(key for key in builder(attrs, flagged) if len(key) > 3)
    limit = MAX_KEYS
    if entity == "customers" and len(keys) > MAX_KEYS and _is_organization(attrs, flagged):
        limit = MAX_ORGANIZATION_KEYS
    return list(keys)[:limit]


#: Key families that hold one attribute's whole value (a person's name, a company's core name,
#: a phone number, an e-mail address): how many records a key of these holds is how common
#: that value is (see ``value_key``).
FREQUENCY_FAMILIES = ("pn:", "nm:", "ph:", "em:")
#: ``nm:`` also holds the trigrams and two-character starts of other names, and their short
#: forms: a core shorter than this shares its key with them, and is not counted.
COUNTED_CORE = 4


def value_key(
    entity: str, attribute: str, attrs: Mapping[str, str], flagged: Collection[str] = ()
) -> str | None:
    """The block key that stands for the whole value of ``attribute`` (``name``, ``phone`` or
    ``email`` of a customer), the same string :func:`block_keys` makes of it, or None (another
    attribute or entity, or no such key). The number of records the index holds under it is
    the number that share the value: the matcher weighs an agreement on a value many records
    share for less (``matching.engine.frequency``)."""
    if entity != "customers":
        return None
    if attribute == "phone":
        return _phone_key(attrs)
    if attribute == "email":
        return _email_key(attrs, flagged)
    if attribute != "name":
        return None
    name = _valid(attrs, flagged, "name")
    if not name:
        return None
    kind = _kind(attrs, flagged, name)
    if kind == "person":
        return _person_name_key(person_name_tokens(name))
    parts = company_name_parts(name)
    # The records under a core of four or more characters hold that core, or a short form of
    # their own name that is that core: the records that may be called by the name.
    return _core_key(parts) if len(parts.core) >= COUNTED_CORE else None


def _is_organization(attrs: Mapping[str, str], flagged: Collection[str]) -> bool:
    return _kind(attrs, flagged, _valid(attrs, flagged, "name")) == "organization"


def _kind(attrs: Mapping[str, str], flagged: Collection[str], name: str) -> str:
    """The customer's kind as matching reads it (``normalize.customer_kind``)."""
    return customer_kind(
        attrs.get("customer_type", ""),
        name,
        has_credit_code=bool(_valid(attrs, flagged, "credit_code")),
        has_id_number=bool(_valid(attrs, flagged, "id_number")),
    )
