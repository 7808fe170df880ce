"""One set through the hub and through Splink, as a row of the final table."""

from __future__ import annotations

from dataclasses import dataclass

from mdm.devtools.benchmarks.real.base import RealSet, SplinkResult
from mdm.devtools.benchmarks.real.hubpath import HubRun, run_hub
from mdm.devtools.benchmarks.real.metrics import RunFigures, by_system_pair, run_figures

HEADER = (
    "set",
    "records",
    "rejected",
    "true pairs",
    "hub P",
    "hub R",
    "hub F1",
    "reach",
    "queue",
    "queue P",
    "import s",
    "match s",
    "hub s",
    "Splink P",
    "Splink R",
    "Splink F1",
    "Splink s",
)


@dataclass
class SetResult:
    real: RealSet
    hub: HubRun
    figures: RunFigures
    splink: SplinkResult | None
    splink_error: str = ""


def measure(real: RealSet, *, with_splink: bool = True, bulk: bool = False) -> SetResult:
    hub = run_hub(real.entity, real.exports, bulk=bulk)
    figures = run_figures(real.truth, hub.links, hub.queue)
    splink, error = None, real.splink_note
    if with_splink and real.splink is not None:
        splink = real.splink()
    elif not with_splink:
        error = "--no-splink"
    return SetResult(real, hub, figures, splink, error)


def row(result: SetResult) -> tuple:
    f, s, t = result.figures, result.splink, result.hub.seconds
    splink = (
        (
            f"{s.metrics.precision:.4f}",
            f"{s.metrics.recall:.4f}",
            f"{s.metrics.f1:.4f}",
            f"{s.seconds:.1f}",
        )
        if s
        else ("-", "-", "-", "-")
    )
    return (
        result.real.name,
        result.real.records,
        result.hub.rejected,
        f.auto.true_pairs,
        f"{f.auto.precision:.4f}",
        f"{f.auto.recall:.4f}",
        f"{f.auto.f1:.4f}",
        f"{f.reach:.4f}",
        f.queue,
        f"{f.queue_precision:.4f}" if f.queue else "-",
        f"{t['import']:.1f}",
        f"{t['match']:.1f}",
        f"{t['total']:.1f}",
        *splink,
    )


def breakdown_rows(result: SetResult) -> list[tuple]:
    """Per pair of systems: how many true pairs, auto-linked, reached."""
    rows: list[tuple] = [("systems", "true pairs", "auto-linked", "reached", "reach")]
    for (a, b), (n, auto, reached) in by_system_pair(
        result.real.truth, result.hub.links, result.hub.queue
    ).items():
        rows.append((f"{a}-{b}", n, auto, reached, f"{reached / n:.4f}" if n else "-"))
    return rows
