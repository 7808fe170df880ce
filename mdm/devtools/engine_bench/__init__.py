"""Benchmarks of the pure matching engine, each runnable as ``python -m mdm.devtools.engine_bench.NAME``.

They print their figures; ground truth is used for evaluation only, never for fitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

#: A record id (the benchmarks' are text; the engine's may be numbers too).
_Id = TypeVar("_Id", bound="SupportsRichComparison")

__all__ = ["Metrics", "cluster_pairs", "metrics"]


class Metrics(tuple[float, float, float, int, int, int]):
    """(precision, recall, f1, true positives, false positives, false negatives)."""

    __slots__ = ()

    @property
    def precision(self) -> float:
        return self[0]

    @property
    def recall(self) -> float:
        return self[1]

    @property
    def f1(self) -> float:
        return self[2]


def metrics(predicted: Set[tuple[object, object]], truth: Set[tuple[object, object]]) -> Metrics:
    """Pairwise precision / recall / F1 of predicted pairs against true pairs (same orientation)."""
    tp = len(predicted & truth)
    fp = len(predicted) - tp
    fn = len(truth) - tp
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Metrics((precision, recall, f1, tp, fp, fn))


def cluster_pairs(clusters: Iterable[Iterable[_Id]]) -> set[tuple[_Id, _Id]]:
    """All within-cluster pairs, each as (smaller id, larger id)."""
    pairs: set[tuple[_Id, _Id]] = set()
    for cluster in clusters:
        members = sorted(cluster)
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                pairs.add((left, right))
    return pairs
