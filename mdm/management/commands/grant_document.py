"""``manage.py grant_document TYPE --to SYSTEM [--fields a,lines[].product] [--personal omit]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mdm.documents.configuration import grant_document
from mdm.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Say what a receiving system sees of a document type: only the listed fields "
        "(default: all), personal fields masked (default) or left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("type", help="document type code, e.g. sales_order")
        parser.add_argument("--to", dest="receiver", required=True, help="the receiving system")
        parser.add_argument("--fields", default="", help="field paths, comma-separated")
        parser.add_argument("--personal", choices=["mask", "omit"], default="mask")

    def handle(self, *args, **options):
        fields = [f.strip() for f in options["fields"].split(",") if f.strip()]
        try:
            grant = grant_document(
                receiver_code=options["receiver"],
                type_code=options["type"],
                fields=fields,
                personal=options["personal"],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        shown = ", ".join(grant.fields) or "all fields"
        self.stdout.write(
            f"{grant.type.code} -> {grant.receiver.code}: {shown}; personal {grant.personal}"
        )
