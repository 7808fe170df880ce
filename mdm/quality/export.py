"""Exports for the monthly governance meeting: the scorecard and the open issues, CSV or XLSX.

The same rows feed the command (``quality_report --scorecard-file/--issues-file``) and the
admin download links. CSV files start with a UTF-8 byte order mark so that Excel shows the
Chinese text; XLSX files are written in openpyxl's streaming mode, so a long issue list does
not sit in memory twice. Values of personal elements (phone, ID number…) are masked by the privacy policy
(``privacy.masked_issue_value``, as on the admin pages): an exported file leaves the hub, and
a meeting needs the pattern, not the number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from mdm.models import (
    QualityIssue,
    QualityIssueKindChoices,
    QualityIssueStatusChoices,
    QualitySnapshot,
)
from mdm.privacy import policy as privacy
from mdm.quality.metrics import ALL

FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    is_share: bool = False


@dataclass
class Sheet:
    """A table to export: a title (XLSX sheet name), columns and rows of plain values."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


SCORECARD_COLUMNS = (
    Column("entity", "实体 entity"),
    Column("system", "系统 system"),
    Column("records", "记录数 records"),
    Column("golden_records", "全局记录数 golden records"),
    Column("records_per_golden", "记录/全局 records per golden"),
    Column("duplicate_rate", "重复率 duplicate rate", True),
    Column("open_candidates", "待审核候选 open match candidates"),
    Column("completeness_required", "必填完整性 completeness (required)", True),
    Column("completeness_all", "整体完整性 completeness (all elements)", True),
    Column("validity", "有效性 validity", True),
    Column("consistency", "一致性 consistency", True),
    Column("last_update", "最近更新 last update"),
    Column("age_days", "更新距今(天) age (days)"),
    Column("mean_age_days", "平均更新距今(天) mean age (days)"),
    Column("open_issues", "未关闭问题 open issues"),
)
ELEMENT_COLUMNS = (
    Column("entity", "实体 entity"),
    Column("element", "数据元 element"),
    Column("system", "系统 system"),
    Column("completeness", "完整性 completeness", True),
    Column("validity", "有效性 validity", True),
    Column("consistency", "一致性 consistency", True),
)
ISSUE_COLUMNS = (
    Column("id", "编号 id"),
    Column("entity", "实体 entity"),
    Column("kind", "类型 kind"),
    Column("element", "数据元 element"),
    Column("rule", "规则 rule"),
    Column("problem", "问题代码 problem"),
    Column("system", "系统 system"),
    Column("local_code", "本地编码 local code"),
    Column("golden_code", "全局编码 golden code"),
    Column("value", "接收值 value as received"),
    Column("suggested_fix", "建议修正 suggested fix"),
    Column("message", "说明 message"),
    Column("owner_department", "责任部门 owner department"),
    Column("assignee", "处理人 assignee"),
    Column("status", "状态 status"),
    Column("opened_at", "发现时间 opened"),
)


def scorecard_sheets(snapshot: QualitySnapshot) -> list[Sheet]:
    """The scorecard per entity and system, and the figures per element and system."""
    scorecard, elements = [], []
    for entity, scopes in snapshot.metrics.items():
        summary = snapshot.summary.get(entity, {})
        for scope, metrics in scopes.items():
            figures = {
                **summary.get(scope, {}),
                **metrics["uniqueness"],
                **metrics["timeliness"],
                "entity": entity,
                "system": scope,
            }
            scorecard.append([figures.get(c.key) for c in SCORECARD_COLUMNS])
        codes = list(scopes.get(ALL, {}).get("completeness", {}))
        for code in codes:
            for scope, metrics in scopes.items():
                elements.append(
                    [
                        entity,
                        code,
                        scope,
                        metrics["completeness"].get(code),
                        metrics["validity"].get(code),
                        metrics["consistency"].get(code),
                    ]
                )
    return [
        Sheet("记分卡 scorecard", SCORECARD_COLUMNS, scorecard),
        Sheet("数据元 elements", ELEMENT_COLUMNS, elements),
    ]


def issue_rows(issues: QuerySet[QualityIssue]) -> Iterator[list[Any]]:
    """Rows of ``ISSUE_COLUMNS`` for the issues, personal values masked; streamed in chunks."""
    # The fields' choices, as the admin shows them.
    kinds = dict(QualityIssueKindChoices.choices)
    statuses = dict(QualityIssueStatusChoices.choices)
    rows = issues.order_by("pk").values_list(
        "pk",
        "entity",
        "kind",
        "element",
        "rule",
        "problem",
        "system__code",
        "source_record__local_code",
        "golden_code",
        "value",
        "suggested_fix",
        "message",
        "owner_department",
        "assignee__username",
        "status",
        "opened_at",
    )
    for values in rows.iterator(chunk_size=5000):
        row: list[Any] = list(values)
        row[9] = privacy.masked_issue_value(row[1], row[3], row[9] or "")
        row[10] = privacy.masked_issue_value(row[1], row[3], row[10] or "")
        row[11] = privacy.scrub(row[11])
        row[2] = str(kinds.get(row[2], row[2]))
        row[14] = str(statuses.get(row[14], row[14]))
        row[15] = timezone.localtime(row[15]).replace(tzinfo=None)
        yield row


def issue_sheet(issues: QuerySet[QualityIssue]) -> Sheet:
    return Sheet("未关闭问题 open issues", ISSUE_COLUMNS, issue_rows(issues))


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return value


def write_csv(stream: IO[str], sheet: Sheet) -> None:
    """One sheet as CSV (header row of bilingual titles) on a text stream."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([c.title for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_value(v) for v in row])


def csv_lines(sheet: Sheet) -> Iterator[str]:
    """The CSV text in pieces (BOM first), for a streaming HTTP response."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.title for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_value(v) for v in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(target: str | Path | IO[bytes], sheets: Sequence[Sheet]) -> None:
    """The sheets as one workbook; shares formatted as percentages."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        ws = workbook.create_sheet(title=sheet.title[:31])
        ws.append([c.title for c in sheet.columns])
        for row in sheet.rows:
            cells = []
            for column, value in zip(sheet.columns, row, strict=True):
                cell = WriteOnlyCell(ws, value=value)
                if column.is_share and value is not None:
                    cell.number_format = "0.0%"
                cells.append(cell)
            ws.append(cells)
    workbook.save(target)


def write_file(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write to ``path`` by its suffix: ``.xlsx`` (all sheets) or ``.csv`` (first sheet)."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "xlsx":
        write_xlsx(path, sheets)
    elif suffix == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            write_csv(handle, sheets[0])
    else:
        raise ValueError(f"unsupported export format: {path.suffix} (use .csv or .xlsx)")


def open_issues() -> QuerySet[QualityIssue]:
    return QualityIssue.objects.unresolved()
