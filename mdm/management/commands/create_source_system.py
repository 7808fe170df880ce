from django.core.management.base import BaseCommand, CommandError

from dictionary.phones import DEFAULT_COUNTRY
from mdm.access.accounts import create_source_system
from mdm.errors import ServiceError


class Command(BaseCommand):
    help = "Register a source system (ERP, CRM, ECOM…) and print its API token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--priority", type=int, default=100, help="survivorship rank, lower wins"
        )
        parser.add_argument(
            "--country",
            default=DEFAULT_COUNTRY,
            help="ISO 3166-1 alpha-2 code of the system's country (default CN): its phone "
            "numbers without an international prefix are read as numbers of that country",
        )
        parser.add_argument(
            "--reads",
            default="",
            help="comma-separated systems whose local codes this system may read (crosswalk "
            "grants; default none unless MDM_CROSSWALK_OPEN)",
        )
        parser.add_argument(
            "--read-by",
            default="",
            help="comma-separated systems that may read this system's local codes",
        )

    def handle(self, *args, code, name, priority, country=DEFAULT_COUNTRY, **options):
        try:
            system, token = create_source_system(
                code=code,
                name=name,
                priority=priority,
                country=country,
                reads=_codes(options.get("reads")),
                read_by=_codes(options.get("read_by")),
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"源系统 source system {system.code} ({system.name}, {system.country}) registered; "
            "API token:"
        )
        self.stdout.write(token.key)


def _codes(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]
