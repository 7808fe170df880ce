from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mdm.operations.backup import BackupError, backup, default_output


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the hub's database (PostgreSQL: a pg_dump custom archive; "
        "SQLite: the online backup API) with a manifest, as one tar file. 备份数据库并生成清单。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the file to write (default: in MDM_BACKUP_DIR)")

    def handle(self, *args, output, **options):
        path = Path(output) if output else default_output(settings.MDM_BACKUP_DIR)
        try:
            result = backup(output=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = result.manifest["tables"]
        self.stdout.write(
            f"backup written: {result.path} ({result.path.stat().st_size:,} bytes, "
            f"{len(tables)} tables, {sum(tables.values()):,} rows) in {result.seconds:.1f} s"
        )
