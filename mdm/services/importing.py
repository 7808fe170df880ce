"""Bulk import of source-system exports (CSV/XLSX) through the same write path as the API."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mdm.models import SourceSystem
from mdm.services.errors import RecordRejected, ServiceError
from mdm.services.upsert import check_entity, upsert_source_records

LOCAL_CODE = "local_code"
#: Rows per transaction: large enough for set-based writes, small enough to keep locks short.
IMPORT_BATCH = 200


@dataclass
class ImportReport:
    """Counts of an import and one error row per rejected record field."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    links: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "hour") else value.isoformat()
    return str(value)


def read_table(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file as dicts of strings."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        rows = workbook.active.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        for values in rows:
            if values is None or all(v is None for v in values):
                continue
            yield {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
        workbook.close()
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            yield {(k or "").strip(): (v or "") for k, v in row.items() if k}


def count_rows(path: Path) -> int | None:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    return None


def import_rows(
    *,
    system: SourceSystem,
    entity: str,
    rows: Iterable[dict[str, str]],
    actor=None,
    on_rows: Callable[[int], None] | None = None,
    batch_size: int = IMPORT_BATCH,
    reason: str = "import",
) -> ImportReport:
    """Upsert the rows in batches through the hub's write path; empty cells are missing values.

    Re-running the same file changes nothing: every row answers "unchanged".
    """
    check_entity(entity)
    report = ImportReport()
    batch: list[tuple[int, str, dict[str, str]]] = []

    def flush() -> None:
        results = upsert_source_records(
            system=system,
            entity=entity,
            items=[(code, payload) for _, code, payload in batch],
            actor=actor,
            reason=reason,
        )
        for (line, code, _), result in zip(batch, results, strict=True):
            _count(report, line, code, result)
        if on_rows:
            on_rows(len(batch))
        batch.clear()

    for line, row in enumerate(rows, start=2):  # line 1 is the header
        local_code = (row.get(LOCAL_CODE) or "").strip()
        payload = {
            k: v
            for k, v in row.items()
            if k != LOCAL_CODE and v is not None and str(v).strip() != ""
        }
        batch.append((line, local_code, payload))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return report


def _count(report: ImportReport, line: int, local_code: str, result) -> None:
    report.rows += 1
    if isinstance(result, RecordRejected):
        report.rejected += 1
        for name, problems in result.errors.items():
            for problem in problems:
                report.errors.append(
                    {"line": str(line), "local_code": local_code, "field": name, **_short(problem)}
                )
    elif isinstance(result, ServiceError):
        report.rejected += 1
        report.errors.append(
            {
                "line": str(line),
                "local_code": local_code,
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


def _short(problem: dict[str, str]) -> dict[str, str]:
    return {"code": problem["code"], "message": problem["message"]}


def write_error_report(path: Path, report: ImportReport) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["line", "local_code", "field", "code", "message"]
        )
        writer.writeheader()
        writer.writerows(report.errors)
