"""Customer records: real companies (with deliberate look-alikes) and persons, placed in the
systems that know them, each system numbering its customers its own way.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from mdm.devtools.synth.attributes import _person_name
from mdm.devtools.synth.entities import (
    _CITY_PICK,
    _Company,
    _make_company,
    _make_person,
    _Person,
    _random_core,
    _region_style,
)
from mdm.devtools.synth.helpers import _pick, _randint
from mdm.devtools.synth.params import (
    BRANCH_RATE,
    COMPANY_PRESENCE,
    NAMESAKE_RATE,
    ONE_CHAR_NEIGHBOUR_RATE,
    PERSON_PRESENCE,
    SAME_CORE_OTHER_CITY_RATE,
    SAME_SYSTEM_DUPLICATE,
    SYSTEMS,
    TWIN_RATE,
    SynthRecord,
    _sorted_records,
)
from mdm.devtools.synth.rendering import _render_company, _render_person
from mdm.devtools.synth.words import (
    CITIES,
    CORE_HEADS,
    CORE_TAILS,
    HOMOPHONES,
    INDUSTRIES,
    _City,
    _Industry,
)

# ---------------------------------------------------------------------------------------------
# Local codes
# ---------------------------------------------------------------------------------------------


class _CustomerCodes:
    """Per-system customer numbering: ERP SD01-000123, CRM BJ-B-00042, shop WEB00012345."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.erp = rng.randrange(100, 2000)
        self.crm: dict[str, int] = {}
        self.ecom = rng.randrange(10**6, 5 * 10**6)

    def next(self, system: str, city: _City, person: bool) -> str:
        rng = self.rng
        if system == "ERP":
            # One ERP-wide serial; gaps are records deleted since.
            self.erp += 1 if rng.random() < 0.8 else _randint(rng, 2, 5)
            return f"{'SD05' if person else city.erp_dept}-{self.erp:06d}"
        if system == "CRM":
            key = f"{city.crm_region}-{'C' if person else 'B'}"
            self.crm[key] = self.crm.get(key, _randint(rng, 1, 199)) + 1
            return f"{key}-{self.crm[key]:05d}"
        if system == "ECOM":
            self.ecom += _randint(rng, 1, 40)  # shop sign-ups interleave with guests
            return f"WEB{self.ecom:08d}"
        raise ValueError(f"unknown system {system!r}")


def _check_systems(systems: Sequence[str]) -> tuple[str, ...]:
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown or not systems:
        raise ValueError(f"systems must be a non-empty subset of {SYSTEMS}, got {systems!r}")
    return tuple(dict.fromkeys(systems))


def _placements(
    rng: random.Random, presence: dict[str, float], systems: tuple[str, ...]
) -> list[str]:
    """The systems (with repeats for in-system duplicates) that hold one real thing."""
    chosen = [s for s in systems if rng.random() < presence[s]]
    if not chosen:  # every real thing is known somewhere, or it would not be in the data
        chosen = [_pick(rng, systems)]
    return chosen + [s for s in chosen if rng.random() < SAME_SYSTEM_DUPLICATE[s]]


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


def _companies(n: int, rng: random.Random, english_names: bool) -> list[_Company]:
    """n distinct real companies, including deliberate look-alikes."""
    out: list[_Company] = []
    # Two companies with the same name in the same city cannot both be registered.
    taken: dict[tuple[str, str, str], None] = {}
    national: dict[tuple[str, str], None] = {}  # names without a region are unique nationwide

    def add(city: _City, core: str, industry: _Industry, head: _Company | None = None) -> bool:
        key = (city.name if head is None else f"{head.truth_id}@{city.name}", core, industry.zh)
        if len(out) >= n or key in taken:
            return False
        taken[key] = None
        style = _unique_region_style(city, core, industry, national, rng) if head is None else None
        out.append(
            _make_company(
                rng,
                f"C{len(out) + 1:06d}",
                city,
                core,
                industry,
                english_names=english_names,
                head=head,
                region_style=style,
            )
        )
        return True

    while len(out) < n:
        city, industry = _CITY_PICK(rng), _pick(rng, INDUSTRIES)
        if not add(city, _random_core(rng), industry):
            continue
        base = out[-1]
        if rng.random() < SAME_CORE_OTHER_CITY_RATE:
            other = _pick(rng, [c for c in CITIES if c != city])
            add(other, base.core, industry)
        if rng.random() < BRANCH_RATE:
            other = _pick(rng, [c for c in CITIES if c != city])
            add(other, base.core, industry, head=base)
        if rng.random() < ONE_CHAR_NEIGHBOUR_RATE:
            add(city, _one_char_neighbour(base.core, rng), industry)
    return out


def _unique_region_style(
    city: _City,
    core: str,
    industry: _Industry,
    national: dict[tuple[str, str], None],
    rng: random.Random,
) -> str:
    """A region style for a new company; a name without region must not be taken already."""
    style = _region_style(city, rng)
    if style == "none":
        if (core, industry.zh) in national:
            return "plain"
        national[(core, industry.zh)] = None
    return style


def _one_char_neighbour(core: str, rng: random.Random) -> str:
    """Same core with one character replaced by an unrelated one (not a homophone)."""
    i = rng.randrange(len(core))
    banned = core[i] + HOMOPHONES.get(core[i], "")
    pool = [ch for ch in CORE_HEADS + CORE_TAILS if ch not in banned]
    return core[:i] + _pick(rng, pool) + core[i + 1 :]


def _persons(n: int, rng: random.Random) -> list[_Person]:
    out: list[_Person] = []
    while len(out) < n:
        p = _make_person(rng, f"P{len(out) + 1:06d}")
        out.append(p)
        if len(out) < n and rng.random() < NAMESAKE_RATE:
            # Same name, another birthday: a different person (王伟 is very common).
            birth = p.birth + dt.timedelta(days=rng.choice((-1, 1)) * _randint(rng, 30, 9000))
            out.append(
                _make_person(
                    rng, f"P{len(out) + 1:06d}", name=(p.surname, p.given), male=p.male, birth=birth
                )
            )
        if len(out) < n and rng.random() < TWIN_RATE:
            male = rng.random() < 0.5
            given = _person_name(rng, male)[1]
            if given != p.given:
                out.append(
                    _make_person(
                        rng,
                        f"P{len(out) + 1:06d}",
                        name=(p.surname, given),
                        male=male,
                        birth=p.birth,
                        address=p.address,
                    )
                )
    return out


def generate_customers(
    n_companies: int,
    n_persons: int = 0,
    *,
    seed: int = 42,
    systems: Sequence[str] = SYSTEMS,
    english_names: bool = True,
) -> list[SynthRecord]:
    """Customer records of `n_companies` + `n_persons` real customers across `systems`.

    Each real customer appears in at least one system, each system holding it with
    COMPANY_PRESENCE / PERSON_PRESENCE and occasionally twice. `english_names=False` gives
    companies no English names (no english_name values, no English names in the shop).
    Records are ordered by system, then local code.
    """
    if n_companies < 0 or n_persons < 0:
        raise ValueError("counts must not be negative")
    systems = _check_systems(systems)
    rng = random.Random(seed)
    entities: list[_Company | _Person] = [*_companies(n_companies, rng, english_names)]
    entities += _persons(n_persons, rng)

    per_system: dict[str, list[_Company | _Person]] = {s: [] for s in systems}
    for e in entities:
        presence = COMPANY_PRESENCE if isinstance(e, _Company) else PERSON_PRESENCE
        for system in _placements(rng, presence, systems):
            per_system[system].append(e)

    codes = _CustomerCodes(rng)
    records: list[SynthRecord] = []
    for system in systems:
        held = per_system[system]
        rng.shuffle(held)  # creation order in a system has nothing to do with truth ids
        for e in held:
            records.append(_customer_record(e, system, rng, codes))
    return _sorted_records(records, systems)


def _customer_record(
    e: _Company | _Person, system: str, rng: random.Random, codes: _CustomerCodes
) -> SynthRecord:
    if isinstance(e, _Company):
        code = codes.next(system, e.city, person=False)
        attrs = _render_company(e, system, rng)
    else:
        code = codes.next(system, e.address.city, person=True)
        attrs = _render_person(e, system, rng)
    return SynthRecord(system, "customers", code, attrs, e.truth_id)
