"""The values a real thing carries, and how a copy writes phones and addresses: identifiers
(credit codes, resident IDs, GTINs), phones, person names, addresses.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from stdnum import ean
from stdnum.cn import ric, uscc

from mdm.devtools.synth import params
from mdm.devtools.synth.divisions import _Division
from mdm.devtools.synth.helpers import _full_width, _pick, _randint, _Weighted
from mdm.devtools.synth.words import (
    _FULL_WIDTH_DIGITS,
    _USCC_ALPHABET,
    ESTATES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MOBILE_PREFIXES,
    STREET_KINDS,
    STREET_WORDS,
    SURNAMES,
    TOWERS,
    _City,
)

# ---------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------


def _org_code(rng: random.Random) -> str:
    """Organisation code (GB 11714) as embedded in a USCC: 8 characters + check character.

    Companies registered since 2015 got codes starting with MA; older ones kept their
    numeric organisation code.
    """
    if rng.random() < 0.6:
        body = "MA" + "".join(rng.choices(_USCC_ALPHABET, k=6))
    else:
        body = f"{_randint(rng, 0, 10**8 - 1):08d}"
    total = sum(w * int(ch, 36) for w, ch in zip((3, 7, 9, 10, 5, 8, 4, 2), body, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _credit_code(region: str, rng: random.Random) -> str:
    """Unified social credit code: 9 (market regulator) 1 (enterprise) + region + org code."""
    body = "91" + region + _org_code(rng)
    return body + uscc.calc_check_digit(body)


def _corrupt_credit_code(code: str, rng: random.Random) -> str:
    """Change one character. USCC weights are units mod 31, so the check always fails."""
    while True:
        i = rng.randrange(len(code))
        ch = _pick(rng, "0123456789" if i < 8 else _USCC_ALPHABET)
        if ch != code[i]:
            return code[:i] + ch + code[i + 1 :]


def _resident_id(region: str, birth: dt.date, male: bool, rng: random.Random) -> str:
    seq = _randint(rng, 0, 498) * 2 + (1 if male else 2)  # odd = male, even = female
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _gtin(company_prefix: str, item_ref: int) -> str:
    body = f"{company_prefix}{item_ref:0{12 - len(company_prefix)}d}"
    return body + ean.calc_check_digit(body)


# ---------------------------------------------------------------------------------------------
# Phones, people, addresses
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Phone:
    area: str  # "" for mobiles
    number: str

    @property
    def mobile(self) -> bool:
        return not self.area


def _mobile(rng: random.Random) -> _Phone:
    return _Phone("", _pick(rng, MOBILE_PREFIXES) + f"{_randint(rng, 0, 10**8 - 1):08d}")


def _landline(city: _City, rng: random.Random) -> _Phone:
    first = _pick(rng, "2345678")
    rest = city.landline_len - 1
    return _Phone(city.area_code, first + f"{_randint(rng, 0, 10**rest - 1):0{rest}d}")


def _format_phone(phone: _Phone, system: str, rng: random.Random, m: float) -> str:
    n, a = phone.number, phone.area
    if phone.mobile:
        if rng.random() >= params.NOISE.phone_format * m:
            text = n
        else:
            text = _pick(
                rng,
                (
                    f"{n[:3]}-{n[3:7]}-{n[7:]}",
                    f"+86 {n[:3]} {n[3:7]} {n[7:]}",
                    f"{n[:3]} {n[3:7]} {n[7:]}",
                    f"+86{n}",
                    f"86-{n}",
                    f"0086 {n}",
                ),
            )
    else:
        usual = f"{a}-{n}" if system != "ECOM" else f"{a}{n}"
        if rng.random() >= params.NOISE.phone_format * m:
            text = usual
        else:
            half = len(n) // 2
            text = _pick(
                rng,
                (
                    f"({a}){n}",
                    f"{a}{n}",
                    f"{a}-{n}",
                    f"{a} {n[:half]} {n[half:]}",
                    f"+86 {a[1:]} {n[:half]} {n[half:]}",
                    f"+86-{a[1:]}-{n}",
                    n,  # local callers leave out the area code
                    f"{a}-{n}-{_randint(rng, 800, 8998)}",  # with an extension
                ),
            )
    if rng.random() < params.NOISE.full_width * m:
        text = _full_width(text)
    return text


_SURNAME_PICK = _Weighted(SURNAMES)


def _person_name(rng: random.Random, male: bool) -> tuple[str, str]:
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    given = _pick(rng, pool)
    if rng.random() < 0.65:  # two-character given names are the norm
        given += _pick(rng, pool)
    return _SURNAME_PICK(rng), given


@dataclass(frozen=True)
class _Address:
    city: _City
    district: _Division
    street: str  # 中山东路
    number: int
    tail: tuple[str, ...]  # ("tower", 科技大厦, floor) / ("block", A, floor, room) / ...

    @property
    def district_name(self) -> str:
        return self.district.current_name or ""


def _street(rng: random.Random) -> str:
    return _pick(rng, STREET_WORDS) + _STREET_KIND_PICK(rng)


_STREET_KIND_PICK = _Weighted(STREET_KINDS)


def _company_address(city: _City, district: _Division, rng: random.Random) -> _Address:
    floor = _randint(rng, 2, 28)
    room = f"{floor}{_randint(rng, 1, 20):02d}"
    kind = _pick(rng, ("tower", "tower", "block", "building", "plain"))
    tail: tuple[str, ...]
    if kind == "tower":
        tail = ("tower", _pick(rng, TOWERS), str(floor))
    elif kind == "block":
        tail = ("block", _pick(rng, "ABCD"), str(floor), room)
    elif kind == "building":
        tail = ("building", str(_randint(rng, 1, 12)), room)
    else:
        tail = ("plain",)
    return _Address(city, district, _street(rng), _randint(rng, 1, 888), tail)


def _home_address(city: _City, district: _Division, rng: random.Random) -> _Address:
    floor = _randint(rng, 1, 32)
    tail = (
        "estate",
        _pick(rng, ESTATES),
        str(_randint(rng, 1, 30)),
        str(_randint(rng, 1, 4)),
        f"{floor}{_randint(rng, 1, 4):02d}",
    )
    return _Address(city, district, _street(rng), _randint(rng, 1, 999), tail)


def _format_tail(tail: tuple[str, ...], rng: random.Random, vary: bool) -> str:
    kind = tail[0]
    if kind == "tower":
        tower, floor = tail[1], tail[2]
        if vary and tower.endswith("大厦") and rng.random() < 0.5:
            tower = tower[:-2] + "大楼"
        unit = _pick(rng, ("楼", "层", "F")) if vary else "楼"
        return f"{tower}{floor}{unit}"
    if kind == "block":
        letter, floor, room = tail[1:]
        if vary:
            return _pick(
                rng, (f"{letter}座{room}", f"{letter}栋{floor}楼{room}室", f"{letter}座{room}室")
            )
        return f"{letter}座{floor}层{room}室"
    if kind == "building":
        no, room = tail[1:]
        if vary:
            return _pick(rng, (f"{no}栋{room}室", f"{no}幢{room}", f"{no}号楼{room}"))
        return f"{no}号楼{room}室"
    if kind == "estate":
        estate, bldg, unit, room = tail[1:]
        if vary:
            return _pick(
                rng,
                (
                    f"{estate}{bldg}-{unit}-{room}",
                    f"{estate}{bldg}号楼{unit}单元{room}",
                    f"{estate}{bldg}栋{unit}单元{room}",
                ),
            )
        return f"{estate}{bldg}栋{unit}单元{room}室"
    return ""


def _format_address(a: _Address, rng: random.Random, m: float) -> str:
    city = a.city
    admin: list[str] = []
    if not city.municipality and rng.random() >= params.NOISE.address_province * m:
        admin.append(city.province if rng.random() >= 0.15 * m else city.province_short)
    r = rng.random()
    if r < params.NOISE.address_city * m * 0.4 and not admin:
        pass  # locals write just the district: 南山区科技路18号
    elif r < params.NOISE.address_city * m:
        admin.append(city.name)
    else:
        admin.append(city.with_shi)
    admin.append(a.district_name)

    vary = rng.random() < params.NOISE.address_abbrev * m
    street, number = a.street, f"{a.number}号"
    if vary and a.tail[0] in ("plain", "tower"):
        if rng.random() < 0.5:
            number += "楼"  # 号 -> 号楼
        elif street.endswith("路") and rng.random() < 0.3:
            street += "口"  # 路 -> 路口
    local = street + number + _format_tail(a.tail, rng, vary)

    text = (" " if rng.random() < params.NOISE.address_spaces * m else "").join(admin + [local])
    if (
        rng.random() < params.NOISE.full_width * m * 2
    ):  # shop users type on phones: full-width digits
        text = text.translate(_FULL_WIDTH_DIGITS)
    return text
