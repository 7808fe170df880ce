"""Issue 28's "done when" figures, checked against what this run measured."""

from __future__ import annotations

from mdm.devtools.benchmarks.real.demo import DemoResult
from mdm.devtools.benchmarks.real.report import SetResult

TARGET_HEADER = ("target", "measured", "met")


def _row(target: str, measured: str, met: bool) -> tuple:
    return (target, measured, "yes" if met else "NO")


def target_rows(results: dict[str, SetResult], demo: list[DemoResult] | None) -> list[tuple]:
    rows: list[tuple] = [TARGET_HEADER]
    if r := results.get("rldata10000"):
        f1 = r.figures.auto.f1
        rows.append(_row("RLdata10000 F1 >= 0.95", f"{f1:.4f}", f1 >= 0.95))
        rows.append(
            _row("RLdata10000 no record lost at import", str(r.hub.rejected), not r.hub.rejected)
        )
    if r := results.get("fodors_zagat"):
        f1 = r.figures.auto.f1
        rows.append(_row("Fodors-Zagat F1 >= 0.98", f"{f1:.4f}", f1 >= 0.98))
    if (r := results.get("febrl4")) and r.splink:
        f1, s = r.figures.auto.f1, r.splink
        rows.append(
            _row("Febrl4 F1 >= Splink's", f"{f1:.4f} vs {s.metrics.f1:.4f}", f1 >= s.metrics.f1)
        )
        total = r.hub.seconds["total"]
        rows.append(
            _row(
                "Febrl4 hub time <= 2x Splink's",
                f"{total:.1f} s vs {s.seconds:.1f} s",
                total <= 2 * s.seconds,
            )
        )
    if r := results.get("cn_companies"):
        f = r.figures
        rows.append(_row("CN companies reach >= 0.8", f"{f.reach:.4f}", f.reach >= 0.8))
        rows.append(
            _row(
                "CN companies queue precision >= 0.9",
                f"{f.queue_precision:.4f}",
                f.queue_precision >= 0.9,
            )
        )
        rows.append(
            _row(
                "CN companies auto-link precision >= 0.99",
                f"{f.auto.precision:.4f}",
                f.auto.precision >= 0.99,
            )
        )
    for d in demo or []:
        rows.append(
            _row(
                f"demo {d.entity}: no golden record mixes items",
                str(len(d.purity.mixed)),
                not d.purity.mixed,
            )
        )
        rows.append(
            _row(
                f"demo {d.entity}: <= 5 % of items split",
                f"{d.purity.split_share:.1%}",
                d.purity.split_share <= 0.05,
            )
        )
        if d.queue:
            rows.append(
                _row(
                    f"demo {d.entity}: top fifth of queue >= 90 % true",
                    f"{d.top_fifth_precision:.1%}",
                    d.top_fifth_precision >= 0.9,
                )
            )
    return rows
