import csv

from django.core.management.base import BaseCommand

from dictionary.models import EntityChoices
from mdm.models import SourceRecord


class Command(BaseCommand):
    help = "Print the crosswalk as CSV (system,local_code,golden_code), one row per active record."

    def add_arguments(self, parser):
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)

    def handle(self, *args, entity: str, **options):
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["system", "local_code", "golden_code"])
        rows = (
            SourceRecord.objects.filter(entity=entity, is_active=True)
            .order_by("system__code", "local_code")
            .values_list("system__code", "local_code", "golden_code")
        )
        for row in rows.iterator(chunk_size=5000):
            writer.writerow(row)
