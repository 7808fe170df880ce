"""`make bench-bulk`: an initial load of N synthetic customers through the public path.

The three systems' exports of ``iter_customers_fast(N)`` are written as CSV files and loaded
the way an initial migration is advised to run (README, "Imports"): `import_source --bulk
--no-match` for each system (the write path without real-time matching, one worker per core up
to two), then one `match --entity customers`. Prints the seconds of each step, the records per
second written and with matching (issue 34 asks 5,000 with matching at a million), and the
pairwise precision, recall and F1 of the crosswalk against the generator's truth. Needs a
PostgreSQL database whose name contains "bench": its hub tables are emptied.
"""

from __future__ import annotations

import time
from collections import defaultdict

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dictionary.services import load_starter_dictionary
from mdm.devtools.benchmarks.common import crosswalk, fmt_table, pair_metrics, pairs_of
from mdm.devtools.benchmarks.real.hubpath import SystemExport, import_exports, match, reset_hub
from mdm.devtools.synth import iter_customers_fast

ENTITY = "customers"


class Command(BaseCommand):
    help = "Initial bulk load of N synthetic customers (import_source --bulk, then match)."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=5)

    def handle(self, *args, records: int, seed: int, **options):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError("run on a PostgreSQL database whose name contains 'bench'")
        if records < 2:
            raise CommandError("--records must be at least 2")
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        rows: dict[str, list[dict[str, str]]] = defaultdict(list)
        truth: dict[tuple[str, str], str] = {}
        for record in iter_customers_fast(records, seed=seed):
            attributes = {k: v for k, v in record.attributes.items() if v}
            rows[record.system].append({"local_code": record.local_code, **attributes})
            truth[(record.system, record.local_code)] = record.truth_id
        exports = [SystemExport(code, rows[code]) for code in sorted(rows)]
        reset_hub()
        self.stdout.write(f"{records:,} records in {len(exports)} systems' files; loading…")
        started = time.perf_counter()
        rejected = import_exports(ENTITY, exports, bulk=True)
        written = time.perf_counter()
        self.stdout.write(f"  written in {written - started:.1f} s; matching…")
        match(ENTITY)
        ended = time.perf_counter()
        links = crosswalk(ENTITY)
        kept = {key: truth[key] for key in links if key in truth}
        metrics = pair_metrics(pairs_of(kept), pairs_of(links))
        write_s, match_s, total_s = written - started, ended - written, ended - started
        self.stdout.write(
            "\nbench-bulk (import_source --bulk --no-match per system, then match)\n"
            + fmt_table(
                [
                    (
                        "records",
                        "rejected",
                        "write s",
                        "match s",
                        "total s",
                        "written/s",
                        "with matching/s",
                        "P",
                        "R",
                        "F1",
                    ),
                    (
                        f"{records:,}",
                        rejected,
                        f"{write_s:.1f}",
                        f"{match_s:.1f}",
                        f"{total_s:.1f}",
                        f"{records / write_s:,.0f}",
                        f"{records / total_s:,.0f}",
                        f"{metrics.precision:.4f}",
                        f"{metrics.recall:.4f}",
                        f"{metrics.f1:.4f}",
                    ),
                ]
            )
            + "\nissue 34: a bulk load of 1,000,000 records with matching at >= 5,000 records/s"
        )
