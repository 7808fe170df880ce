import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dictionary.models import EntityChoices
from mdm.services.batch_match import run_batch_match
from mdm.services.errors import ServiceError
from mdm.services.job_runner import describe_job, launch_job, wait_for_job


class Command(BaseCommand):
    help = (
        "Batch match and merge of one entity: score candidate pairs, queue reviews, merge clusters."
    )

    def add_arguments(self, parser):
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--distributed",
            action="store_true",
            help="run as a job on the Celery workers (record ranges in parallel), wait, print the run",
        )
        parser.add_argument("--chunks", type=int, default=8, help="record ranges for --distributed")
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="score record ranges in this many processes (PostgreSQL; default: CPU count)",
        )
        parser.add_argument("--timeout", type=float, default=6 * 3600)

    def handle(self, *args, entity: str, no_progress: bool, distributed: bool, **options):
        if distributed:
            self._distributed(entity, options["chunks"], options["timeout"])
            return
        bar = tqdm(unit="pair", desc=f"match {entity}", file=sys.stderr, disable=no_progress)
        try:
            report = run_batch_match(
                entity=entity, progress=bar.update, processes=options["processes"]
            )
        finally:
            bar.close()
        t = report.timings
        self.stdout.write(
            f"match {entity}: records={report.records} blocks={report.blocks} "
            f"skipped_keys={report.skipped_keys} pairs={report.pairs_considered} "
            f"scored={report.pairs_scored} auto_pairs={report.auto_pairs} "
            f"review_candidates={report.review_candidates} vetoed={report.vetoed} "
            f"conflicts={report.conflicts} clusters_merged={report.clusters_merged} "
            f"golden_merged={report.golden_merged} records_prepared={report.records_prepared} "
            f"cache_peak={report.cache_peak} peak_mb_per_process={report.peak_mb_per_process:.0f} "
            f"(at fork {report.fork_mb_per_process:.0f}) | "
            f"time pairs={t.get('pairs', 0):.2f}s score={t['score']:.2f}s merge={t['merge']:.2f}s "
            f"total={t['total']:.2f}s"
        )

    def _distributed(self, entity: str, chunks: int, timeout: float) -> None:
        try:
            run = launch_job("match", entity, params={"chunks": chunks})
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"job run #{run.pk} enqueued on the workers; waiting…")
        run = wait_for_job(run.pk, timeout=timeout)
        self.stdout.write(describe_job(run))
        if run.status != "succeeded":
            raise CommandError(f"job run #{run.pk} {run.status}")
