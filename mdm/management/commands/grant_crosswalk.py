"""Grant (or revoke) a source system the reading of other systems' local codes."""

from django.core.management.base import BaseCommand, CommandError

from mdm.access.code_grants import grant_crosswalk, revoke_crosswalk
from mdm.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Let SYSTEM read the local codes of the systems in --to (crosswalk translation, golden "
        "record members and lineage, change feed, webhooks); --both-ways also the reverse; "
        "--revoke takes the grants back."
    )

    def add_arguments(self, parser):
        parser.add_argument("system")
        parser.add_argument("--to", required=True, help="comma-separated system codes")
        parser.add_argument("--both-ways", action="store_true")
        parser.add_argument("--revoke", action="store_true")
        parser.add_argument("--reason", default="", help="recorded in the history")

    def handle(self, *args, system: str, to: str, both_ways: bool, revoke: bool, reason: str, **o):
        owners = [c.strip() for c in to.split(",") if c.strip()]
        if not owners:
            raise CommandError("--to 不能为空 --to names no system")
        service = revoke_crosswalk if revoke else grant_crosswalk
        try:
            count = service(reader=system, owners=owners, both_ways=both_ways, reason=reason)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        verb = "撤销 revoked" if revoke else "授予 granted"
        self.stdout.write(f"编码映射授权 crosswalk grants {verb}: {count}")
