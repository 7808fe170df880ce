"""Fodors–Zagat (py-entitymatching): 533 + 331 US restaurants, 112 true matches.

Each guide is a source system; a restaurant is an organization customer: ``name``, ``address``
(street and city, as a shop's address line holds them), ``phone`` (US numbers as the guides
print them: ``310/246-1501``, ``310-475-3585``) and ``industry`` (the cuisine). Both systems are
registered with country US when the hub's `create_source_system` takes a country.
Splink gets the same fields as columns: name, street, city, phone digits, cuisine.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from mdm.devtools.benchmarks.real.base import RealSet, SplinkResult, run_splink, uid
from mdm.devtools.benchmarks.real.hubpath import SystemExport
from mdm.devtools.benchmarks.real.metrics import Key, truth_from_pairs
from mdm.devtools.benchmarks.real.packages import entitymatching_file

FOLDER = "end-to-end/restaurants"
SYSTEMS = (("FODORS", "fodors.csv"), ("ZAGAT", "zagats.csv"))


def _table(member: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(entitymatching_file(member))))


def fodors_zagat() -> RealSet:
    exports, splink_frames, keys = [], [], []
    for system, member in SYSTEMS:
        rows, splink_rows = [], []
        for row in _table(f"{FOLDER}/{member}"):
            name, street, city = (row[k].strip() for k in ("name", "addr", "city"))
            rows.append(
                {
                    "local_code": row["id"],
                    "customer_type": "org",
                    "name": name,
                    "address": f"{street}, {city}",
                    "phone": row["phone"].strip(),
                    "industry": row["type"].strip(),
                }
            )
            splink_rows.append(
                {
                    "unique_id": uid((system, row["id"])),
                    "name": name or None,
                    "street": street or None,
                    "city": city or None,
                    "phone": re.sub(r"\D", "", row["phone"]) or None,
                    "cuisine": row["type"].strip() or None,
                }
            )
            keys.append((system, row["id"]))
        exports.append(SystemExport(system, rows, country="US"))
        splink_frames.append(splink_rows)
    matches = _table(f"{FOLDER}/matches_fodors_zagats.csv")
    pairs = [(("FODORS", m["fodors_id"]), ("ZAGAT", m["zagats_id"])) for m in matches]
    truth: dict[Key, object] = dict(truth_from_pairs(keys, pairs))
    return RealSet(
        name="Fodors-Zagat",
        entity="customers",
        exports=exports,
        truth=truth,
        splink=lambda: _splink(splink_frames, truth),
    )


def _splink(frames: list[list[dict]], truth: dict[Key, object]) -> SplinkResult:
    """Link two guides: blocking on phone, on name, on street; Jaro-Winkler on name and
    street, exact phone, city and cuisine; prior from two deterministic rules; u by random
    sampling (seed 1); EM blocked on the phone, then on the city."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="link_only",
        blocking_rules_to_generate_predictions=[
            block_on("phone"),
            block_on("name"),
            block_on("street"),
            block_on("city", "substr(name, 1, 3)"),
        ],
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("street", [0.9, 0.8]),
            cl.ExactMatch("city"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("cuisine"),
        ],
        retain_intermediate_calculation_columns=False,
    )

    def train(linker: Any) -> None:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("phone"), block_on("name", "city")], recall=0.8
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("city"))

    return run_splink(
        [pd.DataFrame(rows) for rows in frames], settings, train, truth, cluster=False
    )
