"""`make bench-real`: the hub on real public data sets, next to Splink 5, in one run.

Every set goes through the public path (`create_source_system`, `import_source` from CSV files,
`match --entity E`, `export_crosswalk`, the pending review queue) on an emptied hub with the
starter dictionary and no hand-fitted rule; `demo` runs `setup_demo` as `make run` does and
scores it with fixtures/demo/truth_*.csv; `--replay SET` then works SET's review queue with the
truth as steward decisions, in rounds, re-running `match` after each. See docs/benchmarks.md,
"Real data (bench-real)". Needs a PostgreSQL database whose name contains "bench": its hub
tables are emptied.
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dictionary.services import load_starter_dictionary
from mdm.devtools.benchmarks.common import fmt_table
from mdm.devtools.benchmarks.real import SETS
from mdm.devtools.benchmarks.real.demo import demo_rows, run_demo
from mdm.devtools.benchmarks.real.packages import SetSkipped
from mdm.devtools.benchmarks.real.replay import ROUNDS, replay_rows, replay_truth
from mdm.devtools.benchmarks.real.report import HEADER, breakdown_rows, measure, row
from mdm.devtools.benchmarks.real.targets import target_rows

DEMO = "demo"


class Command(BaseCommand):
    help = "Real-data matching benchmark through the hub's public path, next to Splink 5."

    def add_arguments(self, parser):
        known = [*SETS, DEMO]
        parser.add_argument(
            "--sets",
            default=",".join(known),
            help=f"comma-separated subset of: {', '.join(known)} (default: all)",
        )
        parser.add_argument(
            "--replay",
            default="rldata10000,febrl4",
            help="sets whose queue is replayed as steward decisions ('none': no replay)",
        )
        parser.add_argument("--no-splink", action="store_true")
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="load each export with `import_source --bulk --no-match` (initial load: no "
            "real-time matching), then `match` as always",
        )

    def handle(self, *args, sets: str, replay: str, no_splink: bool, bulk: bool, **options):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError("run on a PostgreSQL database whose name contains 'bench'")
        chosen = [s.strip() for s in sets.split(",") if s.strip()]
        unknown = sorted(set(chosen) - {*SETS, DEMO})
        if unknown:
            raise CommandError(f"unknown sets: {', '.join(unknown)}; known: {', '.join(SETS)}")
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        started = time.perf_counter()
        table, notes = [HEADER], []
        replayed = {s.strip() for s in replay.split(",")}
        measured, demo = {}, None
        for key in chosen:
            if key == DEMO:
                results, seconds = run_demo()
                demo = results
                examples = [f"  {r.entity} mixes: {shown}" for r in results for shown in r.examples]
                notes.append(
                    f"Demo (setup_demo as `make run` does it, {seconds:.1f} s) against "
                    f"fixtures/demo/truth_*.csv:\n{fmt_table(demo_rows(results))}\n"
                    + "\n".join(examples)
                )
                self.stdout.write(notes[-1])
                continue
            try:
                real = SETS[key]()
            except SetSkipped as exc:
                notes.append(f"{key}: skipped, {exc}")
                self.stdout.write(notes[-1])
                continue
            self.stdout.write(f"{real.name}: {real.records} records ...")
            result = measure(real, with_splink=not no_splink, bulk=bulk)
            measured[key] = result
            table.append(row(result))
            self.stdout.write(fmt_table([HEADER, table[-1]]))
            if result.splink is None and result.splink_error:
                notes.append(f"{real.name}: Splink not run: {result.splink_error}")
            if real.breakdown:
                breakdown = fmt_table(breakdown_rows(result))
                notes.append(f"{real.name}, per pair of systems:\n{breakdown}")
                self.stdout.write(notes[-1])
            if key in replayed:
                rounds = replay_truth(real, result.figures)
                shares = ", ".join(f"{s:.0%}" for s in ROUNDS)
                notes.append(
                    f"{real.name}: truth replayed as steward decisions ({shares} of the first "
                    f"queue, in the admin's order), `match` re-run after each round:\n"
                    f"{fmt_table(replay_rows(rounds))}"
                )
                self.stdout.write(notes[-1])
        self.stdout.write(
            f"\nReal data through the hub's public path vs Splink 5 "
            f"(same fields, same run; total {time.perf_counter() - started:.0f} s)"
        )
        self.stdout.write(fmt_table(table))
        for line in notes:
            self.stdout.write(line)
        self.stdout.write("\nIssue 28's targets, as measured in this run")
        self.stdout.write(fmt_table(target_rows(measured, demo)))
