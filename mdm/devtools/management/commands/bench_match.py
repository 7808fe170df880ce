"""`make bench-match`: the hub's matching measured through its public paths.

--febrl      Febrl 4 (link) and Febrl 3 (dedupe) through import -> fit -> match, next to Splink
--companies  synthetic ERP/CRM/shop Chinese company exports: import -> match -> crosswalk F1
--scale N    N synthetic customer records through the batch `match`: records/s, pairs/s, memory
Needs a PostgreSQL database whose name contains "bench": its hub tables are emptied first.
"""

from __future__ import annotations

import os
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from tqdm import tqdm

from dictionary.services import load_starter_dictionary
from matching.models import MatchRuleConfig
from mdm.devtools.benchmarks import companies, scale
from mdm.devtools.benchmarks.common import fmt_table, peak_rss_mb
from mdm.linking.batch.match import run_batch_match


class Command(BaseCommand):
    help = "Matching benchmarks through the hub (PostgreSQL bench database)."

    def add_arguments(self, parser):
        parser.add_argument("--febrl", action="store_true")
        parser.add_argument("--companies", type=int, default=0, help="number of real companies")
        parser.add_argument("--persons", type=int, default=200)
        parser.add_argument("--scale", type=int, default=0, help="records for the scale run")

    def handle(self, *args, febrl: bool, companies: int, persons: int, scale: int, **options):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError("run on a PostgreSQL database whose name contains 'bench'")
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        if febrl:
            self._febrl()
        if companies:
            self._companies(companies, persons)
        if scale:
            self._scale(scale)

    def _febrl(self) -> None:
        from mdm.devtools.benchmarks import febrl

        rows = febrl.run()
        table = [
            (
                "task",
                "tool",
                "precision",
                "recall",
                "F1",
                "seconds",
                "hub/Splink F1",
                "hub/Splink time",
            )
        ]
        for i in range(0, len(rows), 3):
            splink = rows[i + 2]
            for row in rows[i : i + 3]:
                ratios = ("", "")
                if row is not splink:
                    ratios = (f"{row[4] / splink[4]:.5f}", f"{row[5] / splink[5]:.2f}")
                table.append(
                    (
                        row[0],
                        row[1],
                        f"{row[2]:.5f}",
                        f"{row[3]:.5f}",
                        f"{row[4]:.5f}",
                        f"{row[5]:.2f}",
                        *ratios,
                    )
                )
        self.stdout.write("\nFebrl through the hub path vs Splink (same data, same run)")
        self.stdout.write(fmt_table(table))
        for row in rows:
            if row[6]:
                stages = ", ".join(f"{k}={v:.2f}s" for k, v in row[6].items())
                self.stdout.write(f"  {row[0]}, {row[1]}: {stages}")

    def _companies(self, n: int, persons: int) -> None:
        scale.reset_entity("customers")
        result = companies.run(n, persons)
        m = result["metrics"]
        self.stdout.write(
            f"\nChinese companies through the hub ({result['records']} records, {n} companies + {persons} persons)"
        )
        self.stdout.write(
            fmt_table(
                [
                    (
                        "precision",
                        "recall",
                        "F1",
                        "import s",
                        "match s",
                        "rejected",
                        "merged by batch",
                        "reviews",
                    ),
                    (
                        f"{m.precision:.4f}",
                        f"{m.recall:.4f}",
                        f"{m.f1:.4f}",
                        f"{result['import_s']:.1f}",
                        f"{result['match_s']:.1f}",
                        result["rejected"],
                        result["merged_by_batch"],
                        result["review_candidates"],
                    ),
                ]
            )
        )

    def _scale(self, n: int) -> None:
        """N records, loaded once and kept in snapshot tables: a later run with the same N
        restores them (seconds, not the load's minutes) and matches the same records again."""
        try:
            kept = scale.snapshot_size()
        except DatabaseError:
            kept = 0
        if kept == n:
            started = time.perf_counter()
            scale.restore()
            self.stdout.write(
                f"{n:,} records restored from the snapshot in {time.perf_counter() - started:.0f} s"
            )
        else:
            scale.reset_entity("customers")
            with tqdm(total=n, unit="rec", desc="load", file=sys.stderr) as bar:
                load_s = scale.load(n, progress=bar.update)
            scale.snapshot()
            self.stdout.write(
                f"\nloaded {n:,} records in {load_s:.0f} s (COPY, outside the write path)"
            )
        # The shipped default rule, not one fitted on another benchmark's data in this database
        # (a rule re-fitted on Febrl's Australian persons scored the Chinese companies here).
        MatchRuleConfig.objects.filter(entity="customers").delete()
        memory_before = peak_rss_mb()
        started = time.perf_counter()
        with tqdm(unit="pair", desc="match", file=sys.stderr) as bar:
            report = run_batch_match(
                entity="customers", progress=bar.update, processes=os.cpu_count() or 1
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"\nScale: `match --entity customers` on {report.records:,} records (PostgreSQL)"
        )
        self.stdout.write(
            fmt_table(
                [
                    (
                        "records",
                        "wall s",
                        "records/s",
                        "pairs considered",
                        "pairs scored",
                        "pairs scored/s",
                        "merged",
                        "reviews",
                        "skipped keys",
                        "peak RSS MB (before)",
                        "peak MB per scoring process (at fork)",
                    ),
                    (
                        f"{report.records:,}",
                        f"{elapsed:.0f}",
                        f"{report.records / elapsed:,.0f}",
                        f"{report.pairs_considered:,}",
                        f"{report.pairs_scored:,}",
                        f"{report.pairs_scored / max(report.timings['score'], 1e-9):,.0f}",
                        f"{report.golden_merged:,}",
                        f"{report.review_candidates:,}",
                        report.skipped_keys,
                        f"{peak_rss_mb():.0f} ({memory_before:.0f})",
                        f"{report.peak_mb_per_process:.0f} ({report.fork_mb_per_process:.0f})",
                    ),
                ]
            )
        )
        self.stdout.write(
            "timings: "
            + ", ".join(f"{k}={v:.1f}s" for k, v in report.timings.items())
            + f"; records prepared {report.records_prepared:,}, vetoed {report.vetoed:,}"
            + f"; most prepared records held by one scorer {report.cache_peak:,}"
            + f" (limit {settings.MDM_MATCH_FEATURE_CACHE:,})"
        )
