"""The demo that `make run` loads, scored with its own truth files (fixtures/demo/truth_*.csv).

`setup_demo` is run as `make run` runs it (ERP, CRM and shop exports imported, then `match` per
entity); per entity the bench reports the golden records that mix two items of the truth, the
share of real items left split over several golden records, the auto-link precision, and the
precision of the top fifth of the review queue in the admin's order.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from mdm.devtools.benchmarks.common import PairMetrics
from mdm.devtools.benchmarks.real.hubpath import pending_queue, reset_hub
from mdm.devtools.benchmarks.real.metrics import Key, Purity, purity, run_figures, top_precision

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
ENTITIES = ("customers", "products", "materials")
#: Names are shown in the examples for goods only: customers' names may be persons' names.
NAMED = ("products", "materials")


@dataclass
class DemoResult:
    entity: str
    records: int
    golden: int
    purity: Purity
    auto: PairMetrics
    queue: int
    queue_precision: float
    top_fifth_precision: float
    examples: list[str]


def _truth(entity: str) -> dict[Key, object]:
    with (DEMO_DIR / f"truth_{entity}.csv").open(encoding="utf-8") as handle:
        return {(r["system"], r["local_code"]): r["truth_id"] for r in csv.DictReader(handle)}


def _names(entity: str) -> dict[Key, str]:
    names = {}
    for path in DEMO_DIR.glob(f"*_{entity}.csv"):
        system = path.stem.split("_")[0].upper()
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                # A material's name is generic (劳保手套): its spec tells the items apart.
                shown = " ".join(filter(None, (row.get("name"), row.get("spec"))))
                names[(system, row["local_code"])] = " ".join(shown.split())
    return names


def run_demo() -> tuple[list[DemoResult], float]:
    """Empty hub, `setup_demo` (import + match as `make run` does), then score each entity."""
    from mdm.devtools.benchmarks.common import crosswalk

    reset_hub()
    started = time.perf_counter()
    call_command("setup_demo", stdout=io.StringIO())
    seconds = time.perf_counter() - started
    results = []
    for entity in ENTITIES:
        truth, links, queue = _truth(entity), crosswalk(entity), pending_queue(entity)
        figures = run_figures(truth, links, queue)
        found = purity(truth, links)
        names = _names(entity)
        examples = []
        for items in found.mixed[:3]:
            if entity in NAMED:
                shown = " | ".join(
                    f"{item}: {next(names[k] for k, t in truth.items() if t == item and k in names)}"
                    for item in items
                )
            else:
                shown = ", ".join(str(item) for item in items)
            examples.append(shown)
        results.append(
            DemoResult(
                entity=entity,
                records=len(links),
                golden=len(set(links.values())),
                purity=found,
                auto=figures.auto,
                queue=figures.queue,
                queue_precision=figures.queue_precision,
                top_fifth_precision=top_precision(truth, queue, 0.2),
                examples=examples,
            )
        )
    return results, seconds


DEMO_HEADER = (
    "entity",
    "records",
    "golden",
    "mixing golden",
    "split items",
    "auto P",
    "auto R",
    "queue",
    "queue P",
    "top fifth P",
)


def demo_rows(results: list[DemoResult]) -> list[tuple]:
    rows: list[tuple] = [DEMO_HEADER]
    for r in results:
        rows.append(
            (
                r.entity,
                r.records,
                r.golden,
                len(r.purity.mixed),
                f"{r.purity.split_items}/{r.purity.items} ({r.purity.split_share:.1%})",
                f"{r.auto.precision:.4f}",
                f"{r.auto.recall:.4f}",
                r.queue,
                f"{r.queue_precision:.4f}" if r.queue else "-",
                f"{r.top_fifth_precision:.4f}" if r.queue else "-",
            )
        )
    return rows
