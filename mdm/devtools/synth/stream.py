"""Customers at benchmark scale: 100k to 1M records streamed with bounded memory."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from functools import lru_cache

from mdm.devtools.synth.customers import _customer_record, _CustomerCodes, _unique_region_style
from mdm.devtools.synth.entities import _Company, _make_company, _make_person, _Person
from mdm.devtools.synth.helpers import _pick, _randint, _Weighted
from mdm.devtools.synth.params import (
    COMPANY_PRESENCE,
    FAST_POOL_SIZE,
    FAST_VARIANT_SHARE,
    SYSTEMS,
    SynthRecord,
)
from mdm.devtools.synth.words import (
    CITIES,
    CORE_HEADS,
    CORE_TAILS,
    CORE_TRIPLES,
    CORE_WORDS,
    INDUSTRIES,
)


@lru_cache(maxsize=1)
def _all_cores() -> tuple[str, ...]:
    """Every core name the stream may use: curated words, head+tail pairs, triples, pairs of
    curated words (中科华信). Fixed order, so index i always means the same core."""
    cores = dict.fromkeys(CORE_WORDS)
    cores.update(dict.fromkeys(h + t for h in CORE_HEADS for t in CORE_TAILS if h != t))
    cores.update(dict.fromkeys(CORE_TRIPLES))
    cores.update(dict.fromkeys(a + b for a in CORE_WORDS for b in CORE_WORDS if a != b))
    return tuple(cores)


_FAST_SYSTEM_PICK = _Weighted([(s, COMPANY_PRESENCE[s]) for s in SYSTEMS])


def iter_customers_fast(n_records: int, *, seed: int = 42) -> Iterator[SynthRecord]:
    """Stream `n_records` customer records for 100k-1M scale benchmarks.

    About FAST_VARIANT_SHARE of the records re-describe an entity seen earlier (in any
    system, possibly the same one); the rest introduce a new company (~91%), person (~8%)
    or branch of an earlier company (~1%). Only a bounded pool of earlier entities is kept.

    New companies walk a fixed permutation of (city, core, industry) combinations, so no two
    different companies share a name while fewer than ~3 million have been made; the same
    core in other cities and cores one character apart still occur, as in reality.
    """
    if n_records < 0:
        raise ValueError("n_records must not be negative")
    rng = random.Random(seed)
    cores = _all_cores()
    n_ind, n_core = len(INDUSTRIES), len(cores)
    space = len(CITIES) * n_core * n_ind
    # idx_k = (start + k * step) mod space visits every combination once when gcd == 1.
    step = int(space * 0.6180339887) | 1
    while math.gcd(step, space) != 1:
        step += 2
    idx = rng.randrange(space)

    pool: list[_Company | _Person] = []
    branches: dict[tuple[str, str], None] = {}  # (head truth id, city): one branch each
    national: dict[tuple[str, str], None] = {}  # names without region: ~4% of companies
    codes = _CustomerCodes(rng)
    n_companies = n_persons = 0
    for _ in range(n_records):
        if pool and rng.random() < FAST_VARIANT_SHARE:
            entity = _pick(rng, pool)
            system = _FAST_SYSTEM_PICK(rng)
        else:
            r = rng.random()
            parent = _pick(rng, pool) if pool and r < 0.01 else None
            city = _pick(rng, CITIES)
            branch_of = (
                parent
                if isinstance(parent, _Company)
                and not parent.branch
                and city != parent.city
                and (parent.truth_id, city.name) not in branches
                else None
            )
            if r < 0.09 and parent is None:
                n_persons += 1
                entity = _make_person(rng, f"P{n_persons:06d}")
            else:
                n_companies += 1
                truth = f"C{n_companies:06d}"
                if branch_of is not None:
                    branches[(branch_of.truth_id, city.name)] = None
                    entity = _make_company(
                        rng, truth, city, branch_of.core, branch_of.industry, head=branch_of
                    )
                else:
                    idx = (idx + step) % space
                    rest, ind = divmod(idx, n_ind)
                    city_i, core_i = divmod(rest, n_core)
                    city, core, industry = CITIES[city_i], cores[core_i], INDUSTRIES[ind]
                    style = _unique_region_style(city, core, industry, national, rng)
                    entity = _make_company(rng, truth, city, core, industry, region_style=style)
            if len(pool) < FAST_POOL_SIZE:
                pool.append(entity)
            else:
                pool[_randint(rng, 0, FAST_POOL_SIZE - 1)] = entity
            system = _FAST_SYSTEM_PICK(rng)
        yield _customer_record(entity, system, rng, codes)
