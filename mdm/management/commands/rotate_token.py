from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mdm.access.accounts import rotate_token
from mdm.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user (username) or a source system (code); the old tokens "
        "keep working for a grace period, then expire. Prints the new key once. "
        "轮换令牌：旧令牌在宽限期后失效。"
    )

    def add_arguments(self, parser):
        parser.add_argument("owner", help="username or source-system code")
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=None,
            help="how long old tokens keep working (default MDM_TOKEN_ROTATION_GRACE_HOURS)",
        )

    def handle(self, *args, owner: str, grace_hours, **options):
        hours = settings.MDM_TOKEN_ROTATION_GRACE_HOURS if grace_hours is None else grace_hours
        if hours < 0:
            raise CommandError("--grace-hours must not be negative")
        try:
            issued, ending = rotate_token(owner=owner, grace=timedelta(hours=hours))
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(issued.key)
        self.stderr.write(
            f"旧令牌 {ending} 个将于 {hours:g} 小时后失效 / {ending} old token(s) expire in {hours:g} h"
        )
