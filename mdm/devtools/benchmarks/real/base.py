"""A real data set as the bench runs it: the exports per system, the truth, and Splink's run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mdm.devtools.benchmarks.common import PairMetrics, pair_metrics, pairs_of
from mdm.devtools.benchmarks.real.hubpath import SystemExport
from mdm.devtools.benchmarks.real.metrics import Key, ordered, truth_pairs

SPLINK_THRESHOLD = 0.5


@dataclass(frozen=True)
class SplinkResult:
    metrics: PairMetrics
    seconds: float


@dataclass
class RealSet:
    """``truth`` holds every record of every export, imported or not."""

    name: str
    entity: str
    exports: list[SystemExport]
    truth: dict[Key, object]
    splink: Callable[[], SplinkResult] | None = None
    splink_note: str = ""
    #: print reach and links per pair of systems (which kind of name meets which)
    breakdown: bool = False

    @property
    def records(self) -> int:
        return sum(len(e.rows) for e in self.exports)


def uid(key: Key) -> str:
    return f"{key[0]}|{key[1]}"


def key_of(value: str) -> Key:
    system, _, code = value.partition("|")
    return (system, code)


def run_splink(
    frames: Sequence[Any],
    settings: Any,
    train: Callable[[Any], None],
    truth: dict[Key, object],
    *,
    cluster: bool,
) -> SplinkResult:
    """Splink 5 on DuckDB, timed from the frames to the predicted pairs (training included).

    Frames carry a ``unique_id`` column made with :func:`uid`. ``cluster``: the predicted pairs
    are those inside connected components at the threshold (dedupe); else the pairs at or above
    it (link), as Splink's own examples score them.
    """
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    started = time.perf_counter()
    db_api = DuckDBAPI()
    tables = [db_api.register(frame) for frame in frames]
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=logging.ERROR)
    train(linker)
    predictions = linker.inference.predict(threshold_match_probability=SPLINK_THRESHOLD)
    if cluster:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, SPLINK_THRESHOLD
        ).as_pandas_dataframe()
        predicted = pairs_of(
            {
                key_of(u): c
                for u, c in zip(clusters["unique_id"], clusters["cluster_id"], strict=True)
            }
        )
    else:
        frame = predictions.as_pandas_dataframe()
        predicted = {
            ordered(key_of(a), key_of(b))
            for a, b in zip(frame["unique_id_l"], frame["unique_id_r"], strict=True)
        }
    seconds = time.perf_counter() - started
    return SplinkResult(pair_metrics(truth_pairs(truth), predicted), seconds)
