"""`manage.py quality_report`: take and store a data-quality snapshot, print it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mdm.quality import export
from mdm.quality.report import CSV_HEADER, csv_rows, render_table
from mdm.quality.snapshot import take_quality_snapshot


def _export_path(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise CommandError(
            f"导出文件须为 .csv 或 .xlsx / export file must end in .csv or .xlsx: {path}"
        )
    return path


class Command(BaseCommand):
    help = (
        "Reconcile data-quality issues, compute the metrics per entity, system and element, "
        "store a QualitySnapshot and print it (table, JSON or CSV)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
        parser.add_argument(
            "--scorecard-file",
            type=_export_path,
            help="also write the scorecard to FILE (.csv: scorecard; .xlsx: scorecard + elements)",
        )
        parser.add_argument(
            "--issues-file", type=_export_path, help="also write the open issues to FILE"
        )

    def handle(self, *args, format: str, scorecard_file, issues_file, **options):
        snapshot = take_quality_snapshot(reason="quality_report")
        if format == "json":
            self.stdout.write(json.dumps(snapshot.metrics, ensure_ascii=False, indent=2))
        elif format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(CSV_HEADER)
            writer.writerows(csv_rows(snapshot.metrics))
        else:
            self.stdout.write(render_table(snapshot), ending="")
        if scorecard_file:
            export.write_file(scorecard_file, export.scorecard_sheets(snapshot))
            self.stderr.write(f"记分卡 scorecard: {scorecard_file}")
        if issues_file:
            export.write_file(issues_file, [export.issue_sheet(export.open_issues())])
            self.stderr.write(f"未关闭问题 open issues: {issues_file}")
