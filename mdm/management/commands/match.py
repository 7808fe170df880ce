import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dictionary.models import EntityChoices
from matching.rules import rule_from_dict
from mdm.errors import ServiceError
from mdm.jobs.runner import describe_job, launch_job, wait_for_job
from mdm.linking.batch.match import run_batch_match
from mdm.linking.batch.report import summary_line
from mdm.linking.block_index import keys_scheme, rebuild_block_keys


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
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="write nothing: report what a run would merge, split and queue (one process)",
        )
        parser.add_argument(
            "--rule",
            metavar="FILE",
            help="with --dry-run: try this rule (JSON, as the match rule's configuration)",
        )
        parser.add_argument(
            "--rekey",
            action="store_true",
            help="first recompute every record's block keys (after an upgrade that changed them)",
        )
        parser.add_argument(
            "--no-learn",
            action="store_true",
            help="neither re-fit stale weights nor recalibrate the thresholds first",
        )

    def handle(self, *args, entity: str, no_progress: bool, distributed: bool, **options):
        if options["rule"] and not options["dry_run"]:
            raise CommandError("--rule is only for --dry-run: store a rule in the admin")
        if options["rekey"]:
            if options["dry_run"]:
                raise CommandError("--rekey writes the block-key index: not with --dry-run")
            keys_scheme(entity)  # fails now, not after the rebuild, on a database not migrated
            rekeyed = rebuild_block_keys(entity)
            self.stdout.write(
                f"rekey {entity}: records={rekeyed.records} keys_changed={rekeyed.changed}"
            )
        if distributed:
            if options["dry_run"]:
                raise CommandError("--dry-run runs in this process, not --distributed")
            self._distributed(entity, options["chunks"], options["timeout"])
            return
        rule = self._rule(options["rule"], entity) if options["rule"] else None
        bar = tqdm(unit="pair", desc=f"match {entity}", file=sys.stderr, disable=no_progress)
        try:
            report = run_batch_match(
                entity=entity,
                progress=bar.update,
                processes=options["processes"],
                dry_run=options["dry_run"],
                learn=not options["no_learn"],
                rule=rule,
            )
        finally:
            bar.close()
        for line in report.learning:
            self.stdout.write(line)
        if report.dry_run:
            self._dry_run(report)
            return
        self.stdout.write(summary_line(report))

    @staticmethod
    def _rule(path: str, entity: str):
        try:
            with open(path, encoding="utf-8") as handle:
                rule = rule_from_dict(json.load(handle))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"cannot read the rule in {path}: {exc}") from exc
        if rule.entity != entity:
            raise CommandError(f"the rule in {path} is for {rule.entity}, not {entity}")
        return rule

    def _dry_run(self, report) -> None:
        """What a run would do, and nothing written."""
        self.stdout.write(
            f"dry run {report.entity} (nothing written): records={report.records} "
            f"pairs={report.pairs_considered} scored={report.pairs_scored} "
            f"would_merge={report.golden_merged} golden records in "
            f"{report.clusters_merged} clusters, would_split={report.golden_split} "
            f"golden records ({report.records_split} records leaving), "
            f"would_queue={report.review_candidates} new review candidates, "
            f"vetoed={report.vetoed} conflicts={report.conflicts}"
        )
        for kind in ("merge", "split", "queue"):
            for sample in report.samples.get(kind, []):
                self.stdout.write(f"  {kind}: {sample}")

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
