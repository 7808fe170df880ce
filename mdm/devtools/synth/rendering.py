"""One copy of a company or person as a given system would export it: name variants, credit
code and ID number habits, phone, address and date formats, what goes missing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from mdm.devtools.synth import params
from mdm.devtools.synth.attributes import _corrupt_credit_code, _format_address, _format_phone
from mdm.devtools.synth.entities import _Company, _Person
from mdm.devtools.synth.helpers import (
    _full_width,
    _homophone_typo,
    _insert_space,
    _name_pinyin,
    _pick,
    _traditional,
)
from mdm.devtools.synth.params import (
    CREDIT_CODE_MISSING,
    EMAIL_MISSING,
    ID_NUMBER_MISSING,
    POSTAL_CODE_MISSING,
    SYSTEM_SLOPPINESS,
)
from mdm.devtools.synth.words import CONTACT_TITLES, ENGLISH_LEGAL_VARIANTS, _City, _LegalForm


def _legal_variant(legal: _LegalForm, rng: random.Random, m: float) -> str:
    return _pick(rng, legal.variants) if rng.random() < params.NOISE.legal_form * m else legal.zh


def _name_region_variant(c: _Company, rng: random.Random, m: float) -> tuple[str, str]:
    """(prefix, bracket) for this copy of the name."""
    city, style = c.name_city, c.region_style
    change = rng.random() < params.NOISE.name_region * m
    if style == "bracket":
        if change and rng.random() < 0.3:
            return city.name, ""  # 上海华瑞医药有限公司
        half = rng.random() < params.NOISE.half_width_brackets * m
        return "", f"({city.name})" if half else f"（{city.name}）"
    if style == "none":
        return (city.name if change and rng.random() < 0.3 else ""), ""
    canonical = city.name if style == "plain" else city.with_shi
    if not change:
        return canonical, ""
    full = city.with_shi if city.municipality else city.province + city.with_shi
    options = [o for o in ("", city.name, city.with_shi, full) if o != canonical]
    return _pick(rng, options), ""


def _english_variant(name: str, rng: random.Random, m: float) -> str:
    if rng.random() < 0.3 * m:
        name = name.replace("Co., Ltd.", _pick(rng, ENGLISH_LEGAL_VARIANTS))
    if rng.random() < 0.1 * m:
        name = name.upper()
    if rng.random() < params.NOISE.full_width * m:
        name = _full_width(name)
    return name


def _company_name(c: _Company, system: str, rng: random.Random, m: float) -> str:
    if c.english_name and system == "ECOM" and rng.random() < params.NOISE.english_in_shop:
        return _english_variant(c.english_name, rng, m)
    core = c.core
    if rng.random() < params.NOISE.homophone * m:
        core = _homophone_typo(core, rng)
    if system != "ERP" and not c.branch and rng.random() < params.NOISE.short_name * m:
        parts = [core, c.industry.zh]  # what sales reps type: 华信科技
    else:
        prefix, bracket = _name_region_variant(c, rng, m)
        branch = f"{c.city.name}分公司" if c.branch else ""
        parts = [prefix, core, c.industry.zh, bracket, _legal_variant(c.legal, rng, m), branch]
    extra_space = rng.random() < params.NOISE.extra_space * m
    name = _insert_space(parts, rng) if extra_space else "".join(parts)
    if rng.random() < params.NOISE.traditional * m:
        name = _traditional(name)
    return name


def _credit_code_copy(code: str, system: str, rng: random.Random, m: float) -> str:
    if rng.random() < CREDIT_CODE_MISSING[system]:
        return ""
    if rng.random() < params.NOISE.credit_code_typo * m:
        code = _corrupt_credit_code(code, rng)
    r = rng.random()
    if r < params.NOISE.credit_code_lower * m:
        code = code.lower()
    elif r < (params.NOISE.credit_code_lower + params.NOISE.credit_code_spaced) * m:
        code = _pick(
            rng,
            (
                f"{code[:2]} {code[2:8]} {code[8:17]} {code[17]}",
                " ".join(code[i : i + 4] for i in range(0, 18, 4)),
                f" {code}",
                f"{code} ",
            ),
        )
    elif (
        r
        < (
            params.NOISE.credit_code_lower
            + params.NOISE.credit_code_spaced
            + params.NOISE.full_width
        )
        * m
    ):
        code = _full_width(code)
    return code


_COMPANY_TYPE = {"ERP": ("企业",), "CRM": ("B", "B", "org"), "ECOM": ("", "", "org")}
_PERSON_TYPE = {"ERP": ("个人",), "CRM": ("C", "C", "person"), "ECOM": ("", "", "person")}


def _region_code_copy(district_code: str, city: _City, system: str, rng: random.Random) -> str:
    r = rng.random()
    if system == "ERP":
        return district_code if r < 0.9 else ""
    if system == "CRM":  # the CRM often only knows the city
        return district_code if r < 0.35 else city.city_code if r < 0.8 else ""
    return district_code if r < 0.35 else ""


def _render_company(c: _Company, system: str, rng: random.Random) -> dict[str, str]:
    m = SYSTEM_SLOPPINESS[system]
    # The ERP bills the office line; sales and shop talk to the contact's mobile.
    main_share = {"ERP": 0.85, "CRM": 0.5, "ECOM": 0.35}[system]
    r = rng.random()
    if r < 0.05 * m:
        phone = ""
    elif r < main_share:
        phone = _format_phone(c.phone, system, rng, m)
    else:
        phone = _format_phone(c.alt_phone, system, rng, m)

    r = rng.random()
    if r < params.NOISE.other_contact * m:
        contact = c.other_contact
    elif r < (params.NOISE.other_contact + 0.05) * m:
        contact = c.contact[0] + _pick(rng, CONTACT_TITLES)  # 王经理
    elif r < (params.NOISE.other_contact + 0.12) * m:
        contact = ""
    else:
        contact = c.contact

    r = rng.random()
    if r < EMAIL_MISSING[system]:
        email = ""
    else:
        email = c.email if rng.random() < 0.6 else c.contact_email
        if rng.random() < 0.03 * m:
            email = email.upper()

    english = ""
    if c.english_name and system != "ECOM" and rng.random() < (0.5 if system == "ERP" else 0.25):
        english = _english_variant(c.english_name, rng, m * 0.5)

    return {
        "name": _company_name(c, system, rng, m),
        "customer_type": _pick(rng, _COMPANY_TYPE[system]),
        "credit_code": _credit_code_copy(c.credit_code, system, rng, m),
        "id_number": "",
        "phone": phone,
        "email": email,
        "address": _format_address(c.address, rng, m),
        "region_code": _region_code_copy(c.region_code, c.city, system, rng),
        "birth_date": "",
        "postal_code": "" if rng.random() < POSTAL_CODE_MISSING[system] else c.postal_code,
        "contact_name": contact,
        "english_name": english,
    }


_DATE_FORMATS: tuple[Callable[[dt.date], str], ...] = (
    lambda d: d.isoformat(),  # 1985-03-12
    lambda d: f"{d.year}/{d.month}/{d.day}",  # 1985/3/12
    lambda d: f"{d:%Y%m%d}",  # 19850312
    lambda d: f"{d.year}年{d.month}月{d.day}日",  # 1985年3月12日
    lambda d: f"{d:%Y.%m.%d}",  # 1985.03.12
    lambda d: f"{d:%Y/%m/%d}",  # 1985/03/12
)


def _birth_date_copy(d: dt.date, system: str, rng: random.Random) -> str:
    r = rng.random()
    if system == "ERP":
        return d.isoformat() if r < 0.8 else "" if r < 0.9 else _pick(rng, _DATE_FORMATS)(d)
    if system == "CRM":
        return _DATE_FORMATS[1](d) if r < 0.5 else d.isoformat() if r < 0.8 else ""
    return _pick(rng, _DATE_FORMATS)(d) if r < 0.6 else ""


def _id_number_copy(number: str, system: str, rng: random.Random) -> str:
    if rng.random() < ID_NUMBER_MISSING[system]:
        return ""
    if number.endswith("X") and rng.random() < 0.3:
        number = number[:-1] + "x"
    if rng.random() < 0.05:
        number = f"{number[:6]} {number[6:14]} {number[14:]}"
    return number


def _person_name_copy(p: _Person, system: str, rng: random.Random, m: float) -> str:
    if system == "ECOM" and rng.random() < params.NOISE.pinyin_name:
        sur, given = _name_pinyin(p.surname, p.given)
        name = f"{sur.capitalize()} {given.capitalize()}"
        return name.upper() if rng.random() < 0.3 else name
    given = p.given
    if rng.random() < params.NOISE.homophone * 0.6 * m:
        given = _homophone_typo(given, rng)
    sep = " " if rng.random() < params.NOISE.extra_space * m else ""  # 王 伟
    name = p.surname + sep + given
    if rng.random() < params.NOISE.traditional * 0.6 * m:
        name = _traditional(name)
    return name


def _render_person(p: _Person, system: str, rng: random.Random) -> dict[str, str]:
    m = SYSTEM_SLOPPINESS[system]
    phone = p.alt_phone if rng.random() < params.NOISE.other_phone * m else p.phone
    email_share = {"ERP": 0.3, "CRM": 0.6, "ECOM": 0.85}[system]
    return {
        "name": _person_name_copy(p, system, rng, m),
        "customer_type": _pick(rng, _PERSON_TYPE[system]),
        "credit_code": "",
        "id_number": _id_number_copy(p.id_number, system, rng),
        "phone": _format_phone(phone, system, rng, m),
        "email": p.email if rng.random() < email_share else "",
        "address": _format_address(p.address, rng, m),
        "region_code": _region_code_copy(p.address.district.code, p.address.city, system, rng),
        "birth_date": _birth_date_copy(p.birth, system, rng),
        "postal_code": "" if rng.random() < POSTAL_CODE_MISSING[system] else p.postal_code,
        "contact_name": p.name if system == "ERP" and rng.random() < 0.3 else "",
        "english_name": "",
    }
