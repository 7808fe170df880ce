"""Febrl through the whole hub path, next to Splink on the same data in the same run.

febrl4 (link two files of 5,000, like an ERP and a CRM): system A and system B import their file
as a CSV export through `import_source --workers N` (real-time matching on every record, one
worker per core), the rule is re-fitted on the stored records (`fit_match_rule`, no labels), then
`match --processes N` runs; the predicted links are the
A–B pairs that share a golden code in the crosswalk. febrl3 (dedupe 5,000): one system imports
the file, fit, match; predicted pairs are the pairs inside golden records. The true links are
used only to score.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from dictionary.models import DataElement, ElementBinding
from matching.models import MatchRuleConfig
from matching.rules import DEFAULT_RULES, rule_to_dict
from mdm.access.accounts import create_source_system
from mdm.devtools.benchmarks.common import PairMetrics, crosswalk, pair_metrics, pairs_of
from mdm.devtools.benchmarks.scale import reset_entity
from mdm.devtools.engine_bench.febrl import (
    SPLINK_THRESHOLD,
    load,
    splink_dedupe,
    splink_link,
    to_records,
)
from mdm.intake.importing import import_file
from mdm.linking.batch.match import run_batch_match
from mdm.linking.rule_store import PreparedRecords, fit_rule_from_records
from mdm.models import SourceSystem


def _system(code: str) -> SourceSystem:
    return (
        SourceSystem.objects.filter(code=code).first()
        or create_source_system(code=code, name=code)[0]
    )


def _rows(frame: Any) -> list[dict[str, str]]:
    return [{"local_code": str(r.id), **r.attrs} for r in to_records(frame)]


def _columns(rows: list[dict[str, str]]) -> list[str]:
    return ["local_code", *sorted({k for row in rows for k in row} - {"local_code"})]


def configure_dictionary_for_australia() -> None:
    """Febrl is Australian: 4-digit postcodes, deliberately corrupted birth dates, and a few
    records whose given name and surname are both missing.

    The dictionary is the place to say so (as an enterprise with Australian customers would):
    postcodes are checked as 4 digits, an impossible birth date is flagged, not rejected, and a
    customer's name is not required (a record without one still has its birth date and
    address), so that both tools see every record.
    """
    name = ElementBinding.objects.get(entity="customers", element__code="name")
    name.required = False
    name.save()
    postal = DataElement.objects.get(code="postal_code")
    postal.validator, postal.validator_params = "regex", {"pattern": r"^\d{4}$"}
    postal.save()
    birth = DataElement.objects.get(code="birth_date")
    birth.on_invalid = "flag"
    birth.save()


def _hub(
    files: list[tuple[str, Any]], threshold: float | None = None
) -> tuple[dict[tuple[str, str], str], dict[str, float]]:
    """Import, fit, match; ``threshold`` set: the steward's auto-link (and review) threshold,
    e.g. Splink's 0.5 for a like-for-like comparison; None: the shipped 0.99."""
    reset_entity("customers")
    configure_dictionary_for_australia()
    MatchRuleConfig.objects.filter(entity="customers").delete()
    if threshold is not None:
        MatchRuleConfig.objects.create(
            entity="customers",
            config=rule_to_dict(DEFAULT_RULES["customers"]),
            auto_threshold=threshold,
            review_threshold=threshold,
        )
    timings: dict[str, float] = {}
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for code, frame in files:
            # Each system's export as the CSV file an integrator hands to `import_source`.
            path = Path(folder) / f"{code}.csv"
            rows = _rows(frame)
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(_columns(rows))))
                writer.writeheader()
                writer.writerows(rows)
            paths.append((code, path))
        started = time.perf_counter()
        for code, path in paths:
            import_file(path=path, system=_system(code), entity="customers", workers=workers)
        timings["import"] = time.perf_counter() - started
    mark = time.perf_counter()
    prepared = PreparedRecords()
    fit_rule_from_records("customers", prepared=prepared, processes=workers)
    timings["fit"] = time.perf_counter() - mark
    mark = time.perf_counter()
    run_batch_match(entity="customers", processes=workers, prepared=prepared)
    timings["match"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    return crosswalk("customers"), timings


def febrl4_hub(
    left: Any, right: Any, truth: set[tuple[str, str]], threshold: float | None = None
) -> tuple[PairMetrics, dict[str, float]]:
    links, timings = _hub([("FEBRL_A", left), ("FEBRL_B", right)], threshold)
    predicted = {
        (a[1], b[1]) for a, b in pairs_of(links) if a[0] == "FEBRL_A" and b[0] == "FEBRL_B"
    }
    return pair_metrics(truth, predicted), timings


def febrl3_hub(
    frame: Any, truth: set[tuple[str, str]], threshold: float | None = None
) -> tuple[PairMetrics, dict[str, float]]:
    links, timings = _hub([("FEBRL", frame)], threshold)
    predicted = {tuple(sorted((a[1], b[1]))) for a, b in pairs_of(links)}
    return pair_metrics(truth, predicted), timings


def run() -> list[tuple]:
    """Rows of the side-by-side table: task, tool, precision, recall, F1, seconds, stages.

    Per task: the hub at its shipped auto-link threshold (0.99: pairs below it go to a steward,
    not counted as links here), the hub at Splink's threshold (like for like), then Splink.
    """
    febrl3, truth3, left, right, truth4 = load()
    rows = []
    for task, hub, splink in (
        (
            "febrl4 link",
            lambda threshold: febrl4_hub(left, right, truth4, threshold),
            lambda: splink_link(left, right, truth4),
        ),
        (
            "febrl3 dedupe",
            lambda threshold: febrl3_hub(febrl3, truth3, threshold),
            lambda: splink_dedupe(febrl3, truth3),
        ),
    ):
        for label, threshold in (
            ("hub (import+fit+match), auto-link 0.99", None),
            (f"hub (import+fit+match), auto-link {SPLINK_THRESHOLD}", SPLINK_THRESHOLD),
        ):
            metrics, timings = hub(threshold)
            rows.append(
                (
                    task,
                    label,
                    metrics.precision,
                    metrics.recall,
                    metrics.f1,
                    timings["total"],
                    timings,
                )
            )
        outcome = splink()
        s = outcome.metrics
        rows.append((task, "Splink 5 (DuckDB)", s.precision, s.recall, s.f1, outcome.seconds, {}))
    return rows
