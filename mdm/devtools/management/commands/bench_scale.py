"""`make bench-scale`: the hub's batch match and Splink 5 on the same synthetic customers.

For each size (default 100,000, 300,000 and 1,000,000 records) the hub is emptied, the records
are stored and exported, then `match --entity customers` and Splink 5 run one after the other,
each in its own process: wall seconds, peak memory of the process and its children, pairwise
precision / recall / F1 against the generator's truth, and hub / Splink ratios. See
`mdm.devtools.benchmarks.scale_compare` and docs/benchmarks.md. Needs a PostgreSQL database
whose name contains "bench": its hub tables are emptied.
"""

from __future__ import annotations

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from dictionary.services import load_starter_dictionary
from mdm.devtools.benchmarks.common import fmt_table
from mdm.devtools.benchmarks.scale_compare import SizeResult, run_size

HEADER = (
    "records",
    "load s",
    "hub s",
    "Splink s",
    "hub/Splink s",
    "hub MB",
    "Splink MB",
    "hub/Splink MB",
    "hub P",
    "hub R",
    "hub F1",
    "Splink P",
    "Splink R",
    "Splink F1",
)


def _row(result: SizeResult) -> tuple:
    hub, splink, m = result.hub, result.splink, result.hub.metrics
    if splink is None:
        other = ("–",) * 7
    else:
        s = splink.metrics
        other = (
            f"{splink.wall_s:.1f}",
            f"{hub.wall_s / splink.wall_s:.2f}",
            f"{splink.peak_mb:.0f}",
            f"{hub.peak_mb / splink.peak_mb:.2f}",
            f"{s.precision:.4f}",
            f"{s.recall:.4f}",
            f"{s.f1:.4f}",
        )
    return (
        f"{result.records:,}",
        f"{result.load_s:.0f}",
        f"{hub.wall_s:.1f}",
        *other[:2],
        f"{hub.peak_mb:.0f}",
        *other[2:4],
        f"{m.precision:.4f}",
        f"{m.recall:.4f}",
        f"{m.f1:.4f}",
        *other[4:],
    )


class Command(BaseCommand):
    help = "The hub's batch match next to Splink 5 on the same synthetic customers, at scale."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes",
            default="100000,300000,1000000",
            help="comma-separated record counts (default: 100000,300000,1000000)",
        )
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="the hub's scoring processes (`match --processes`; default: CPU count)",
        )
        parser.add_argument("--no-splink", action="store_true")

    def handle(self, *args, sizes: str, seed: int, processes: int, no_splink: bool, **options):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError("run on a PostgreSQL database whose name contains 'bench'")
        try:
            counts = [int(s.replace("_", "")) for s in sizes.split(",") if s.strip()]
        except ValueError:
            raise CommandError(f"--sizes must be whole numbers: {sizes!r}") from None
        if not counts or min(counts) < 2:
            raise CommandError("--sizes needs at least one size of 2 records or more")
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        table = [HEADER]
        for size in counts:
            with tqdm(total=size, unit="rec", desc=f"load {size:,}", file=sys.stderr) as bar:
                result = run_size(
                    size,
                    seed=seed,
                    processes=processes,
                    with_splink=not no_splink,
                    progress=bar.update,
                )
            table.append(_row(result))
            self.stdout.write(f"\n{size:,} records: hub `match`: {result.hub.detail}")
            if result.splink is not None:
                self.stdout.write(f"{size:,} records: {result.splink.detail}")
            self.stdout.write(fmt_table([HEADER, table[-1]]))
        self.stdout.write(
            "\nScale: the hub's `match --entity customers` and Splink 5 on the same records "
            "(wall seconds and peak MB of each process tree; pairwise P/R/F1 against the truth)"
        )
        self.stdout.write(fmt_table(table))
