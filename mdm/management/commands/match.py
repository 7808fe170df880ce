import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from dictionary.models import EntityChoices
from mdm.services.batch_match import run_batch_match


class Command(BaseCommand):
    help = (
        "Batch match and merge of one entity: score candidate pairs, queue reviews, merge clusters."
    )

    def add_arguments(self, parser):
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, entity: str, no_progress: bool, **options):
        bar = tqdm(unit="pair", desc=f"match {entity}", file=sys.stderr, disable=no_progress)
        try:
            report = run_batch_match(entity=entity, progress=bar.update)
        finally:
            bar.close()
        t = report.timings
        self.stdout.write(
            f"match {entity}: records={report.records} blocks={report.blocks} "
            f"skipped_keys={report.skipped_keys} pairs={report.pairs_considered} "
            f"scored={report.pairs_scored} auto_pairs={report.auto_pairs} "
            f"review_candidates={report.review_candidates} vetoed={report.vetoed} "
            f"conflicts={report.conflicts} clusters_merged={report.clusters_merged} "
            f"golden_merged={report.golden_merged} | "
            f"time prepare={t['prepare']:.2f}s score={t['score']:.2f}s merge={t['merge']:.2f}s "
            f"total={t['total']:.2f}s"
        )
