"""The report of an import: counts, and one row per problem (rejected, flagged or ignored),
written as a CSV next to the file."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from mdm.errors import RecordRejected, ServiceError
from mdm.intake.tables import LOCAL_CODE


@dataclass
class ImportReport:
    """Counts of an import and its report: one row per problem, each with its ``outcome``.

    ``rejected`` (the row was not stored: a field error, a duplicated local code, extra cells),
    ``flagged`` (the row was stored, this value kept as received with a warning: an invalid
    phone, e-mail, region, credit code…) or ``ignored`` (a header problem: the column was not
    imported, reported once on line 1).
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    #: Rows stored with at least one flagged value or warning.
    flagged: int = 0
    links: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def ignored_columns(self) -> int:
        return sum(1 for e in self.errors if e["outcome"] == IGNORED)

    @property
    def exit_status(self) -> int:
        """``import_source``'s exit status: 0 every row stored with every column, else 1."""
        return 1 if self.rejected or self.ignored_columns else 0

    def summary(self) -> str:
        links = ", ".join(f"{k}={v}" for k, v in sorted(self.links.items()))
        return (
            f"rows={self.rows} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} rejected={self.rejected} flagged={self.flagged} "
            f"links[{links}]"
        )


REJECTED, FLAGGED, IGNORED = "rejected", "flagged", "ignored"
REPORT_COLUMNS = ["line", "local_code", "outcome", "field", "code", "message"]


def merge_reports(reports: list[ImportReport]) -> ImportReport:
    merged = ImportReport()
    for report in reports:
        merged.rows += report.rows
        merged.created += report.created
        merged.updated += report.updated
        merged.unchanged += report.unchanged
        merged.rejected += report.rejected
        merged.flagged += report.flagged
        for link, n in report.links.items():
            merged.links[link] = merged.links.get(link, 0) + n
        merged.errors.extend(report.errors)
    merged.errors.sort(key=lambda e: int(e["line"]))
    return merged


def count_result(report: ImportReport, line: int, local_code: str, result) -> None:
    report.rows += 1
    where = {"line": str(line), "local_code": local_code}
    if isinstance(result, RecordRejected):
        report.rejected += 1
        for name, problems in result.errors.items():
            for problem in problems:
                report.errors.append(
                    {**where, "outcome": REJECTED, "field": name, **_short(problem)}
                )
    elif isinstance(result, ServiceError):
        report.rejected += 1
        report.errors.append(
            {
                **where,
                "outcome": REJECTED,
                "field": LOCAL_CODE,
                "code": result.code,
                "message": result.message,
            }
        )
    else:
        if result.created:
            report.created += 1
        elif result.changed:
            report.updated += 1
        else:
            report.unchanged += 1
        report.links[result.link] = report.links.get(result.link, 0) + 1
        if result.warnings:
            report.flagged += 1
            for warning in result.warnings:
                report.errors.append(
                    {
                        **where,
                        "outcome": FLAGGED,
                        "field": warning.get("field", ""),
                        **_short(warning),
                    }
                )


def _short(problem: dict[str, str]) -> dict[str, str]:
    return {"code": problem["code"], "message": problem["message"]}


def write_error_report(path: Path, report: ImportReport) -> None:
    """The report as CSV (UTF-8 with a BOM, which Excel needs to read it as UTF-8)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(report.errors)
