import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from dictionary.models import EntityChoices
from mdm.errors import ServiceError
from mdm.intake.bulk import bulk_load
from mdm.intake.import_plan import plan_import
from mdm.intake.import_report import write_error_report
from mdm.intake.importing import IMPORT_BATCH, import_plan
from mdm.intake.tables import open_table
from mdm.linking.batch.report import summary_line
from mdm.models import SourceSystem

#: Exit statuses (operators script imports): every row stored; some rows rejected or a column
#: not imported (see the error report); nothing imported (unreadable file, usage error).
EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Import a CSV/XLSX export of a source system (header: local_code + element codes) "
        "through the hub's write path. CSV in UTF-8 (with or without BOM), GB18030/GBK or "
        "another encoding detected from the bytes, or named with --encoding. Idempotent. "
        "Rejected rows, flagged values and header problems go to an error report "
        "(FILE.errors.csv); a local code that occurs twice in the file is rejected on every "
        "row that has it. The last line gives the counts. Exit status: 0 every row stored, "
        "1 some rows rejected or a column not imported (see the report), 2 nothing imported "
        "(the file cannot be read, or a usage error). --workers N imports with N processes on "
        "PostgreSQL. --bulk loads a whole export without real-time matching, then runs one "
        "batch match of the entity (an initial load; --no-match to match later, once, after "
        "loading several systems)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--system", required=True)
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)
        parser.add_argument(
            "--encoding",
            help="CSV encoding, e.g. gb18030, utf-8 (default: detected from the file)",
        )
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
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="initial load: write every row without real-time matching, then one batch match",
        )
        parser.add_argument(
            "--no-match",
            action="store_true",
            help="with --bulk: skip the batch match (run `match --entity E` after the last system)",
        )

    def handle(
        self,
        *args,
        file: Path,
        system: str,
        entity: str,
        errors,
        no_progress,
        encoding=None,
        user=None,
        workers=1,
        batch_size=IMPORT_BATCH,
        bulk=False,
        no_match=False,
        **options,
    ):
        if workers < 1 or batch_size < 1:
            raise CommandError(
                "--workers 与 --batch-size 须为正整数 must be positive integers",
                returncode=EXIT_UNREADABLE,
            )
        if no_match and not bulk:
            raise CommandError(
                "--no-match 仅用于 --bulk only goes with --bulk", returncode=EXIT_UNREADABLE
            )
        try:
            table = open_table(file, encoding)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=EXIT_UNREADABLE) from None
        source = SourceSystem.objects.filter(code=system, is_active=True).first()
        if source is None:
            raise CommandError(
                f"未知源系统 unknown source system: {system} (create_source_system)",
                returncode=EXIT_UNREADABLE,
            )
        actor: Any = source.service_user
        if user:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"未知用户 unknown user: {user}", returncode=EXIT_UNREADABLE)
        try:
            plan = plan_import(table, entity)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=EXIT_UNREADABLE) from None
        bar = tqdm(
            total=plan.rows,
            unit="rec",
            desc=f"{system} {entity}",
            file=sys.stderr,
            disable=no_progress,
        )
        loaded = None
        try:
            if bulk:
                loaded = bulk_load(
                    plan=plan,
                    system=source,
                    on_rows=bar.update,
                    actor=actor,
                    workers=workers,
                    batch_size=batch_size,
                    reason=f"bulk load {file.name}"[:100],
                    match=not no_match,
                )
                report = loaded.imported
            else:
                report = import_plan(
                    plan=plan,
                    system=source,
                    on_rows=bar.update,
                    actor=actor,
                    workers=workers,
                    batch_size=batch_size,
                    reason=f"import {file.name}"[:100],
                )
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=EXIT_UNREADABLE) from None
        finally:
            bar.close()
        if loaded is not None:
            if loaded.matched is not None:
                for line in loaded.matched.learning:
                    self.stdout.write(line)
                self.stdout.write(summary_line(loaded.matched))
            self.stdout.write(loaded.summary())
        error_path = errors or file.with_name(file.name + ".errors.csv")
        if report.errors:
            write_error_report(error_path, report)
            self.stdout.write(
                f"错误报告 error report: {error_path} ({report.rejected} rejected rows, "
                f"{report.flagged} rows with flagged values, "
                f"{report.ignored_columns} columns not imported)"
            )
        elif error_path.exists():
            error_path.unlink()
        read_as = table.encoding or "xlsx"
        self.stdout.write(f"{file.name} ({read_as}): {report.summary()}")
        if report.exit_status:
            # A CommandError, not sys.exit: the shell still gets the status, and a caller of
            # call_command (the demo, a benchmark) gets an exception it can read, not an exit.
            raise CommandError(
                f"{report.rejected} 行被拒绝 rows rejected: {error_path}",
                returncode=report.exit_status,
            )
