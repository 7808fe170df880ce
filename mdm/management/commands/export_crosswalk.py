import csv

from django.core.management.base import BaseCommand, CommandError

from dictionary.models import EntityChoices
from mdm.errors import ServiceError
from mdm.records.crosswalk import export_rows


class Command(BaseCommand):
    help = (
        "Print the crosswalk as CSV (system,local_code,golden_code), one row per active record; "
        "--for SYSTEM: only the systems SYSTEM may read (its own and those it is granted)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)
        parser.add_argument("--for", dest="reader", default=None, help="a source system code")

    def handle(self, *args, entity: str, reader: str | None = None, **options):
        try:
            rows = export_rows(entity, reader=reader)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["system", "local_code", "golden_code"])
        for row in rows.iterator(chunk_size=5000):
            writer.writerow(row)
