"""The snapshot as text: a readable table for operators and long-format CSV rows for machines."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from django.utils import timezone, translation

from dictionary.models import EntityChoices
from mdm.models import QualitySnapshot
from mdm.quality.metrics import ALL

CSV_HEADER = ("entity", "system", "metric", "key", "value")
ELEMENT_METRICS = (
    ("completeness", "完整性 completeness"),
    ("validity", "有效性 validity"),
    ("consistency", "一致性 consistency"),
)
SCORECARD_COLUMNS = (
    ("records", "记录 records"),
    ("golden_records", "全局 golden"),
    ("records_per_golden", "记录/全局 rec/golden"),
    ("completeness_required", "必填完整 required"),
    ("completeness_all", "全部完整 all"),
    ("validity", "有效 valid"),
    ("consistency", "一致 consistent"),
    ("age_days", "更新距今(天) age d"),
    ("open_issues", "未关闭问题 open"),
)
PERCENT_FIGURES = {"completeness_required", "completeness_all", "validity", "consistency"}


def display_width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def scorecard_value(key: str, figures: dict[str, Any], metrics: dict[str, Any]) -> str:
    """One scorecard cell as text (``age_days`` comes from the metrics' timeliness)."""
    if key == "age_days":
        value = metrics["timeliness"]["age_days"]
        return "—" if value is None else f"{value:.1f}"
    value = figures.get(key)
    if key in PERCENT_FIGURES:
        return percent(value)
    if key == "records_per_golden":
        return "—" if value is None else f"{value:.2f}"
    return str(value if value is not None else "—")


def _table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        indent
        + "  ".join(
            _pad(c, w, right=i > 0) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    lines.insert(1, indent + "  ".join("-" * w for w in widths))
    return lines


def render_table(snapshot: QualitySnapshot) -> str:
    """The snapshot as the readable table ``quality_report`` prints."""
    taken = timezone.localtime(snapshot.taken_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    lines = [f"数据质量报告 Data quality report — {taken}"]
    for entity, scopes in snapshot.metrics.items():
        label = (
            _bilingual(EntityChoices(entity).label) if entity in EntityChoices.values else entity
        )
        lines += ["", f"{label} ({entity})"]
        summary = snapshot.summary.get(entity, {})
        rows = [
            [scope]
            + [scorecard_value(k, summary.get(scope, {}), metrics) for k, _ in SCORECARD_COLUMNS]
            for scope, metrics in scopes.items()
        ]
        lines += _table(["系统 system", *[h for _, h in SCORECARD_COLUMNS]], rows)
        systems = list(scopes)
        elements = list(scopes[ALL]["completeness"]) if ALL in scopes else []
        for metric, title in ELEMENT_METRICS:
            rows = [
                [element, *[percent(scopes[s][metric].get(element)) for s in systems]]
                for element in elements
            ]
            lines += ["", f"  {title}"]
            lines += _table(["数据元 element", *systems], rows, indent="    ")
        candidates = scopes.get(ALL, {}).get("uniqueness", {}).get("open_candidates", 0)
        lines += ["", f"  待审核匹配候选 open match candidates: {candidates}"]
    changes = snapshot.issue_changes or {}
    opened = sum(c.get("opened", 0) for c in changes.values())
    closed = sum(c.get("closed", 0) for c in changes.values())
    lines += [
        "",
        f"问题 issues: 新开 opened {opened}, 自动关闭 closed {closed}; "
        f"耗时 took {snapshot.duration_ms / 1000:.2f} s",
    ]
    return "\n".join(lines) + "\n"


def _text(value: Any) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def csv_rows(metrics: dict[str, Any]) -> Iterator[tuple[str, str, str, str, str]]:
    """The metrics document flattened: ``entity, system, metric, key, value`` per figure.

    ``key`` is the element code for the per-element metrics and the figure's name for
    ``uniqueness`` and ``timeliness``; an empty value is ``null`` in the JSON.
    """
    for entity, scopes in metrics.items():
        for scope, figures in scopes.items():
            for metric, values in figures.items():
                for key, value in values.items():
                    yield entity, scope, metric, key, _text(value)


def _bilingual(label) -> str:
    """An entity's name in both languages: the printed report serves Chinese and English
    readers alike, as its headings do."""
    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return zh if zh == en else f"{zh} {en}"
