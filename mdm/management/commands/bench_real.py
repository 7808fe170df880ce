"""`make bench-real`: the hub on real public data sets, next to Splink 5, in one run.

Every set goes through the public path (`create_source_system`, `import_source` from CSV files,
`match --entity E`, `export_crosswalk`, the pending review queue) on an emptied hub with the
starter dictionary and no hand-fitted rule. See docs/benchmarks.md, "Real data (bench-real)".
Needs a PostgreSQL database whose name contains "bench": its hub tables are emptied.
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dictionary.services import load_starter_dictionary
from mdm.benchmarks.common import fmt_table
from mdm.benchmarks.real import SETS
from mdm.benchmarks.real.packages import DataUnavailable
from mdm.benchmarks.real.report import HEADER, breakdown_rows, measure, row


class Command(BaseCommand):
    help = "Real-data matching benchmark through the hub's public path, next to Splink 5."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sets",
            default=",".join(SETS),
            help=f"comma-separated subset of: {', '.join(SETS)} (default: all)",
        )
        parser.add_argument("--no-splink", action="store_true")

    def handle(self, *args, sets: str, no_splink: bool, **options):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError("run on a PostgreSQL database whose name contains 'bench'")
        chosen = [s.strip() for s in sets.split(",") if s.strip()]
        unknown = sorted(set(chosen) - set(SETS))
        if unknown:
            raise CommandError(f"unknown sets: {', '.join(unknown)}; known: {', '.join(SETS)}")
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        started = time.perf_counter()
        table, skipped, details = [HEADER], [], []
        for key in chosen:
            try:
                real = SETS[key]()
            except DataUnavailable as exc:
                skipped.append(f"{key}: skipped, {exc}")
                self.stdout.write(skipped[-1])
                continue
            self.stdout.write(f"{real.name}: {real.records} records ...")
            result = measure(real, with_splink=not no_splink)
            table.append(row(result))
            self.stdout.write(fmt_table([HEADER, table[-1]]))
            if real.breakdown:
                breakdown = fmt_table(breakdown_rows(result))
                details.append(f"{real.name}, per pair of systems:\n{breakdown}")
                self.stdout.write(details[-1])
        self.stdout.write(
            f"\nReal data through the hub's public path vs Splink 5 "
            f"(same fields, same run; total {time.perf_counter() - started:.0f} s)"
        )
        self.stdout.write(fmt_table(table))
        for line in [*details, *skipped]:
            self.stdout.write(line)
