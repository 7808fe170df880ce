from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mdm.operations.backup import BackupError, verify_backup


class Command(BaseCommand):
    help = (
        "Restore a backup into a scratch database (created and dropped here) and compare it "
        "with its manifest; exits non-zero on any difference. 校验备份可恢复。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            result = verify_backup(path=Path(file))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            for line in result.differences:
                self.stderr.write(line)
            raise CommandError(f"{file}: {len(result.differences)} difference(s)")
        tables = result.manifest["tables"]
        self.stdout.write(
            f"{file}: verified ({len(tables)} tables, {sum(tables.values()):,} rows match the "
            f"manifest) in {result.seconds:.1f} s"
        )
