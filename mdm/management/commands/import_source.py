import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dictionary.models import EntityChoices
from mdm.models import SourceSystem
from mdm.services.errors import ServiceError
from mdm.services.importing import IMPORT_BATCH, count_rows, import_file, write_error_report


class Command(BaseCommand):
    help = (
        "Import a CSV/XLSX export of a source system (header: local_code + element codes) "
        "through the hub's write path. Idempotent; rejected rows go to an error report file. "
        "--workers N imports with N processes on PostgreSQL (every occurrence of a local code "
        "is written by one of them, in file order)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--system", required=True)
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)
        parser.add_argument(
            "--errors", type=Path, help="error report path (default FILE.errors.csv)"
        )
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--user",
            help="acting user kept in the history (default: the system's service account)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes writing in parallel (PostgreSQL; default 1)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=IMPORT_BATCH,
            help=f"rows per transaction (default {IMPORT_BATCH})",
        )

    def handle(
        self,
        *args,
        file: Path,
        system: str,
        entity: str,
        errors,
        no_progress,
        user=None,
        workers=1,
        batch_size=IMPORT_BATCH,
        **options,
    ):
        if not file.exists():
            raise CommandError(f"文件不存在 file not found: {file}")
        if workers < 1 or batch_size < 1:
            raise CommandError("--workers 与 --batch-size 须为正整数 must be positive integers")
        source = SourceSystem.objects.filter(code=system, is_active=True).first()
        if source is None:
            raise CommandError(f"未知源系统 unknown source system: {system}")
        actor = source.service_user
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"未知用户 unknown user: {user}")
        bar = tqdm(
            total=count_rows(file),
            unit="rec",
            desc=f"{system} {entity}",
            file=sys.stderr,
            disable=no_progress,
        )
        try:
            report = import_file(
                path=file,
                system=source,
                entity=entity,
                on_rows=bar.update,
                actor=actor,
                workers=workers,
                batch_size=batch_size,
                reason=f"import {file.name}"[:100],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bar.close()
        error_path = errors or file.with_name(file.name + ".errors.csv")
        if report.errors:
            write_error_report(error_path, report)
        elif error_path.exists():
            error_path.unlink()
        links = ", ".join(f"{k}={v}" for k, v in sorted(report.links.items()))
        self.stdout.write(
            f"{file.name}: rows={report.rows} created={report.created} updated={report.updated} "
            f"unchanged={report.unchanged} rejected={report.rejected} links[{links}]"
        )
        if report.errors:
            self.stdout.write(
                f"错误报告 error report: {error_path} ({len(report.errors)} problems)"
            )
