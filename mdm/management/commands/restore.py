from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mdm.operations.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup into the hub's database, which must be empty; refuses keys whose "
        "fingerprints differ from the backup's. Golden codes and event numbers then continue "
        "after a gap (--gap, default MDM_RESTORE_GAP). 将备份恢复到空数据库。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--gap",
            type=int,
            default=None,
            help="numbers skipped after the backup's last code and event (more than the old "
            "hub can have issued after the backup)",
        )

    def handle(self, *args, file, gap, **options):
        gap = settings.MDM_RESTORE_GAP if gap is None else gap
        if gap < 0:
            raise CommandError("--gap must be at least 0")
        try:
            result = restore(path=Path(file), gap=gap)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        after = result.continues_after
        codes = ", ".join(f"{entity} after {n:,}" for entity, n in sorted(after["codes"].items()))
        self.stdout.write(
            f"restored {file} (taken {result.manifest['created_at']}) in {result.seconds:.1f} s; "
            f"matches its manifest. Codes continue: {codes}; events after seq "
            f"{after['event_seq']:,}."
        )
