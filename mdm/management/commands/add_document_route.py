"""``manage.py add_document_route TYPE --from SYSTEM --to SYSTEM[,SYSTEM…]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mdm.documents.configuration import add_document_route
from mdm.errors import ServiceError


class Command(BaseCommand):
    help = "Let a source system send a document type to receiving systems."

    def add_arguments(self, parser):
        parser.add_argument("type", help="document type code, e.g. sales_order")
        parser.add_argument("--from", dest="sender", required=True, help="the sending system")
        parser.add_argument("--to", required=True, help="receiving systems, comma-separated")

    def handle(self, *args, **options):
        receivers = [code.strip() for code in options["to"].split(",") if code.strip()]
        if not receivers:
            raise CommandError("--to names at least one receiving system")
        try:
            route = add_document_route(
                type_code=options["type"], sender_code=options["sender"], receiver_codes=receivers
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        names = ", ".join(route.receivers.order_by("code").values_list("code", flat=True))
        self.stdout.write(f"{route.type.code}: {route.sender.code} -> {names}")
