"""Helpers shared by the benchmark commands: pair metrics, peak memory, a fresh database."""

from __future__ import annotations

import csv
import io
import resource
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.core.management import call_command


@dataclass(frozen=True)
class PairMetrics:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int


def pairs_of(assignment: Mapping[Any, object]) -> set[tuple[Any, ...]]:
    """All unordered pairs of keys that share a cluster value."""
    groups: dict[object, list] = defaultdict(list)
    for key, cluster in assignment.items():
        groups[cluster].append(key)
    return {
        tuple(sorted(p)) for members in groups.values() for p in combinations(sorted(members), 2)
    }


def pair_metrics(truth: set[tuple], predicted: set[tuple]) -> PairMetrics:
    tp = len(truth & predicted)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairMetrics(precision, recall, f1, len(truth), len(predicted))


def crosswalk(entity: str) -> dict[tuple[str, str], str]:
    """(system, local code) -> golden code, read through the public `export_crosswalk` command."""
    out = io.StringIO()
    call_command("export_crosswalk", entity=entity, stdout=out)
    out.seek(0)
    return {(r["system"], r["local_code"]): r["golden_code"] for r in csv.DictReader(out)}


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fmt_table(rows: Iterable[tuple]) -> str:
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows
    )
