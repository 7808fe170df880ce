"""Companies and persons: the real things, each with its truth id and the true values every
copy in a system is derived from.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from mdm.devtools.synth.attributes import (
    _Address,
    _company_address,
    _credit_code,
    _home_address,
    _landline,
    _mobile,
    _person_name,
    _Phone,
    _resident_id,
)
from mdm.devtools.synth.divisions import _birth_divisions, _districts, _Division, _postal_code
from mdm.devtools.synth.helpers import (
    _initials,
    _name_pinyin,
    _phrase_pinyin,
    _pick,
    _randint,
    _Weighted,
)
from mdm.devtools.synth.words import (
    CITIES,
    CORE_HEADS,
    CORE_TAILS,
    CORE_TRIPLES,
    CORE_WORDS,
    FREE_MAIL,
    LEGAL_FORMS,
    ROLE_MAILBOXES,
    _City,
    _Industry,
    _LegalForm,
)


@dataclass(frozen=True)
class _Company:
    truth_id: str
    city: _City  # where it is registered and located
    name_city: _City  # the city in its name (a branch carries its head office's)
    region_style: str  # "plain" 北京华信 | "shi" 深圳市腾达 | "bracket" 华瑞医药（上海） | "none"
    core: str
    industry: _Industry
    legal: _LegalForm
    branch: bool  # name gets "<city>分公司"
    credit_code: str
    region_code: str  # district of the address
    address: _Address
    postal_code: str
    phone: _Phone
    alt_phone: _Phone  # the contact's mobile
    contact: str
    other_contact: str
    email: str
    contact_email: str
    english_name: str


@dataclass(frozen=True)
class _Person:
    truth_id: str
    surname: str
    given: str
    male: bool
    birth: dt.date
    id_number: str
    address: _Address
    postal_code: str
    phone: _Phone
    alt_phone: _Phone
    email: str

    @property
    def name(self) -> str:
        return self.surname + self.given


_CITY_PICK = _Weighted([(c, c.weight) for c in CITIES])
_LEGAL_PICK = _Weighted([(lf, lf.weight) for lf in LEGAL_FORMS])


def _region_style(city: _City, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return "bracket"  # usually subsidiaries of national groups: 华瑞医药（上海）有限公司
    if r < 0.12:
        return "none"  # nationally registered names carry no region
    # Municipalities are written without 市 (北京华信); other cities mostly with (深圳市腾达).
    if city.municipality:
        return "plain"
    return "shi" if r < 0.75 else "plain"


def _random_core(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return _pick(rng, CORE_WORDS)
    if r < 0.85:
        head = _pick(rng, CORE_HEADS)
        tail = _pick(rng, CORE_TAILS)
        return head + tail if head != tail else _pick(rng, CORE_WORDS)
    if r < 0.93:
        return _pick(rng, CORE_TRIPLES)
    a, b = _pick(rng, CORE_WORDS), _pick(rng, CORE_WORDS)
    return a + b if a != b else a


def _english_name(
    name_city: _City, style: str, core: str, industry: _Industry, legal: _LegalForm
) -> str:
    core_en = _phrase_pinyin(core).capitalize()
    if style == "bracket":
        return f"{core_en} {industry.en} ({name_city.pinyin}) {legal.en}"
    if style == "none":
        return f"{core_en} {industry.en} {legal.en}"
    return f"{name_city.pinyin} {core_en} {industry.en} {legal.en}"


def _company_emails(
    core: str, industry: _Industry, contact: tuple[str, str], rng: random.Random
) -> tuple[str, str]:
    core_py = _phrase_pinyin(core)
    sur_py, given_py = _name_pinyin(*contact)
    if rng.random() < 0.3:  # small firms use free mail
        domain = _pick(rng, FREE_MAIL)
        return f"{core_py}{_randint(rng, 1, 2024)}@{domain}", f"{sur_py}{given_py}@{domain}"
    domain = _pick(
        rng,
        (
            f"{_initials(core)}{_initials(industry.zh)}.com",
            f"{core_py}{industry.domain}.com",
            f"{core_py}-{industry.domain}.com.cn",
            f"{core_py}.cn",
        ),
    )
    contact_local = _pick(
        rng, (f"{sur_py}{given_py}", f"{given_py}.{sur_py}", f"{sur_py}.{given_py}")
    )
    return f"{_pick(rng, ROLE_MAILBOXES)}@{domain}", f"{contact_local}@{domain}"


def _make_company(
    rng: random.Random,
    truth_id: str,
    city: _City,
    core: str,
    industry: _Industry,
    *,
    english_names: bool = True,
    head: _Company | None = None,
    region_style: str | None = None,
) -> _Company:
    """A company located in `city`; with `head`, a branch of that head office."""
    if head is not None:
        name_city, style, legal = head.name_city, head.region_style, head.legal
    else:
        style = region_style or _region_style(city, rng)
        name_city, legal = city, _LEGAL_PICK(rng)
    district = _pick(rng, _districts(city))
    # Credit codes carry the registering authority's region: the district's, or the city's
    # for companies registered at city level (very common in Shenzhen, Beijing ...).
    reg_region = district.code if rng.random() < 0.7 else city.city_code
    male = rng.random() < 0.6
    contact = _person_name(rng, male)
    other = _person_name(rng, rng.random() < 0.5)
    email, contact_email = _company_emails(core, industry, contact, rng)
    english = ""
    if english_names and rng.random() < 0.6:
        english = _english_name(name_city, style, core, industry, legal)
        if head is not None:
            english += f" {city.pinyin} Branch"
    address = _company_address(city, district, rng)
    return _Company(
        truth_id=truth_id,
        city=city,
        name_city=name_city,
        region_style=style,
        core=core,
        industry=industry,
        legal=legal,
        branch=head is not None,
        credit_code=_credit_code(reg_region, rng),
        region_code=district.code,
        address=address,
        postal_code=_postal_code(city, district, rng),
        phone=_landline(city, rng) if rng.random() < 0.8 else _mobile(rng),
        alt_phone=_mobile(rng),
        contact="".join(contact),
        other_contact="".join(other),
        email=email,
        contact_email=contact_email,
        english_name=english,
    )


def _birth_region(city: _City, district: _Division, year: int, rng: random.Random) -> str:
    """Region digits of a resident ID: where the person was registered at birth.

    Mostly the district they live in, if that code already existed in their birth year;
    otherwise another code of the city valid back then (older people carry since-abolished
    codes); if the city had none (重庆 districts date from 1997), they were born elsewhere.
    """
    if rng.random() < 0.7 and district.assigned_in(year):
        return district.code
    options = [d for d in _birth_divisions(city) if d.assigned_in(year)]
    while not options:
        options = [d for d in _birth_divisions(_CITY_PICK(rng)) if d.assigned_in(year)]
    return _pick(rng, options).code


def _make_person(
    rng: random.Random,
    truth_id: str,
    *,
    name: tuple[str, str] | None = None,
    male: bool | None = None,
    birth: dt.date | None = None,
    address: _Address | None = None,
) -> _Person:
    if male is None:
        male = rng.random() < 0.5
    surname, given = name or _person_name(rng, male)
    if birth is None:
        birth = dt.date(1955, 1, 1) + dt.timedelta(days=_randint(rng, 0, 365 * 49 - 1))
    if address is None:
        city = _CITY_PICK(rng)
        address = _home_address(city, _pick(rng, _districts(city)), rng)
    city, district = address.city, address.district
    region = _birth_region(city, district, birth.year, rng)
    sur_py, given_py = _name_pinyin(surname, given)
    if rng.random() < 0.35:
        email = f"{_randint(rng, 10**7, 10**10 - 1)}@qq.com"  # QQ number mailboxes
    else:
        suffix = _pick(rng, ("", str(birth.year), f"{birth:%m%d}", str(_randint(rng, 1, 999))))
        email = f"{sur_py}{given_py}{suffix}@{_pick(rng, FREE_MAIL)}"
    return _Person(
        truth_id=truth_id,
        surname=surname,
        given=given,
        male=male,
        birth=birth,
        id_number=_resident_id(region, birth, male, rng),
        address=address,
        postal_code=_postal_code(city, district, rng),
        phone=_mobile(rng),
        alt_phone=_mobile(rng),
        email=email,
    )
