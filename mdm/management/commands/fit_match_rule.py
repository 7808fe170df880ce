import os

from django.core.management.base import BaseCommand

from dictionary.models import EntityChoices
from mdm.linking.rule_store import fit_rule_from_records


class Command(BaseCommand):
    help = "Re-estimate an entity's match weights (Fellegi-Sunter m/u) from its stored records."

    def add_arguments(self, parser):
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)
        parser.add_argument("--sample", type=int, default=50_000, help="records to fit on")
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="compare the candidate pairs in this many processes (default: CPU count)",
        )

    def handle(self, *args, entity: str, sample: int, processes: int, **options):
        config = fit_rule_from_records(entity, sample=sample, processes=processes)
        self.stdout.write(
            f"rule for {entity} fitted on up to {sample} records and stored "
            f"(prior={config.config.get('prior')}, thresholds {config.review_threshold}/{config.auto_threshold})"
        )
