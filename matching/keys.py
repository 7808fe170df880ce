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
``id:`` valid resident ID
    the identity of a person.
``ph:`` national phone number, ``em:`` e-mail
    shared contacts survive a renamed company or a misspelt name.
``nm:`` distinctive core of a Chinese company name (华信) and its character bigrams
    region and legal form differ between systems (北京华信科技有限公司 / 华信科技(北京)); the
    bigrams survive a one-character typo in a longer core.
``py:`` pinyin of the distinctive core (``huaxin``)
    homophone typos (华信 / 华鑫) and English/pinyin names (Beijing Huaxin Technology) meet here.
``pn:`` a person's name tokens, sorted
    the same name written surname-first or given-name-first.
``bd:`` birth date + first letter of a name token (pinyin syllable of a Chinese surname)
    a person whose name is misspelt but birth date is right; the letter keeps blocks small.
``pc:`` postal code + first letter of a name token
    a person or company at the same place whose birth date or name has typos.
``ad:`` house number + street (``7wall``, 中关村大街27)
    the same address written slightly differently, e.g. after a name change.
``gt:`` valid GTIN
    the identity of a traded product.
``pm:`` product model, and brand + model
    products without GTIN are identified by model number.
``mn:`` / ``ms:`` material name, and name + specification numbers
    materials are their name *and* their specification (M8x20 bolt); the spec alone gathers too
    much, the name alone too.
``pt:`` manufacturer part number
    materials bought from the same manufacturer.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from matching.normalize import (
    address_key,
    company_name_parts,
    customer_kind,
    digits,
    email_key,
    has_cjk,
    identifier,
    normalize_text,
    person_name_tokens,
    phone_key,
    pinyin_of,
)

__all__ = ["MAX_KEYS", "block_keys"]

MAX_KEYS = 12
_MAX_BIGRAMS = 4
_SPEC_NUMBERS_RE = re.compile(r"\d+(?:\.\d+)?")


def _valid(attrs: Mapping[str, str], flagged: Collection[str], field: str) -> str:
    """The attribute value unless it is missing or flagged invalid."""
    if field in flagged:
        return ""
    return (attrs.get(field) or "").strip()


def _contact_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    keys: list[str] = []
    phone = _valid(attrs, flagged, "phone")
    if phone:
        number = phone_key(phone)
        if len(number) >= 7:
            keys.append("ph:" + number)
    email = _valid(attrs, flagged, "email")
    if "@" in email:
        keys.append("em:" + email_key(email))
    return keys


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
        distinctive = parts.distinctive.replace(" ", "")
        if distinctive and not parts.is_latin:
            keys.append("nm:" + distinctive)
            if len(distinctive) >= 3:
                bigrams = dict.fromkeys(
                    distinctive[i : i + 2] for i in range(len(distinctive) - 1)
                )
                keys.extend("nm:" + b for b in list(bigrams)[:_MAX_BIGRAMS])
        if parts.distinctive_pinyin:
            keys.append("py:" + parts.distinctive_pinyin)
    return keys


def _person_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    keys: list[str] = []
    resident_id = _valid(attrs, flagged, "resident_id")
    if resident_id:
        keys.append("id:" + identifier(resident_id))
    tokens = person_name_tokens(_valid(attrs, flagged, "name"))
    if tokens:
        keys.append("pn:" + " ".join(sorted(tokens)))
    initials = _name_initials(tokens)
    birth = digits(_valid(attrs, flagged, "birth_date"))
    if len(birth) >= 6:
        keys.extend(f"bd:{birth}{initial}" for initial in initials)
    return keys


def _place_keys(
    attrs: Mapping[str, str], flagged: Collection[str], initials: list[str]
) -> list[str]:
    keys: list[str] = []
    postal = identifier(_valid(attrs, flagged, "postal_code"))
    if postal:
        keys.extend(f"pc:{postal}{initial}" for initial in initials)
    street = address_key(_valid(attrs, flagged, "address"))
    if street:
        keys.append("ad:" + street)
    return keys


def _customer_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    name = _valid(attrs, flagged, "name")
    kind = customer_kind(
        attrs.get("customer_type", ""),
        name,
        has_credit_code=bool(_valid(attrs, flagged, "credit_code")),
        has_resident_id=bool(_valid(attrs, flagged, "resident_id")),
    )
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
    name = normalize_text(_valid(attrs, flagged, "name")).replace(" ", "")
    if name:
        keys.append("nm:" + name)
        if len(name) > 6:
            keys.append("nm:" + name[:6] + "*")
    return keys


def _material_keys(attrs: Mapping[str, str], flagged: Collection[str]) -> list[str]:
    keys: list[str] = []
    part = identifier(_valid(attrs, flagged, "part_number"))
    if len(part) >= 4:
        keys.append("pt:" + part)
    name = normalize_text(_valid(attrs, flagged, "name")).replace(" ", "")
    numbers = "x".join(_SPEC_NUMBERS_RE.findall(normalize_text(_valid(attrs, flagged, "spec"))))
    if name:
        keys.append("mn:" + name)
        if numbers:
            keys.append(f"ms:{name}|{numbers}")
            keys.append(f"ms:{name[:2]}|{numbers}")
    return keys


_BUILDERS = {
    "customers": _customer_keys,
    "products": _product_keys,
    "materials": _material_keys,
}


def block_keys(
    entity: str, attrs: Mapping[str, str], flagged: Collection[str] = ()
) -> list[str]:
    """Blocking keys of one record, de-duplicated, in a stable order, at most :data:`MAX_KEYS`.

    Flagged attributes (e.g. a credit code failing its checksum) make no keys: an invalid code
    shared by two records is not evidence that they are the same.
    """
    try:
        builder = _BUILDERS[entity]
    except KeyError:
        raise ValueError(f"unknown entity {entity!r}") from None
    keys = dict.fromkeys(key for key in builder(attrs, flagged) if len(key) > 3)
    return list(keys)[:MAX_KEYS]
