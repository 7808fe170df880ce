"""What the admin quality dashboard shows: scorecards, trends, worst elements, heat maps.

Built from the stored snapshots (the latest for the scorecards, the last ``TREND_POINTS`` for
the trends) plus one aggregate query for the open issues per element and system; the page
never recomputes metrics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.safestring import SafeString

from dictionary.models import EntityChoices
from dictionary.services import compiled_elements
from mdm.models import QualityIssue, QualitySnapshot
from mdm.quality import charts
from mdm.quality.metrics import ALL
from mdm.quality.report import SCORECARD_COLUMNS, scorecard_value
from mdm.quality.snapshot import latest_snapshot, trend

TREND_POINTS = 30
WORST_LIMIT = 12
BAR_METRICS = (
    ("completeness_required", "必填完整 required"),
    ("completeness_all", "全部完整 all"),
    ("validity", "有效 valid"),
    ("consistency", "一致 consistent"),
)
TREND_METRICS = (
    ("completeness_required", "必填完整性 completeness (required)"),
    ("validity", "有效性 validity"),
    ("consistency", "一致性 consistency"),
)
#: Scorecard figures coloured red / amber / green (overall completeness is not: optional
#: elements are often empty by design).
JUDGED = ("completeness_required", "validity", "consistency")
HEAT_METRICS = (
    ("completeness", "完整性 completeness"),
    ("validity", "有效性 validity"),
    ("consistency", "一致性 consistency"),
)


@dataclass
class ScoreCell:
    text: str
    colour: str = ""


@dataclass
class WorstElement:
    entity: str
    element: str
    system: str
    metric: str
    value: float
    open_issues: int

    @property
    def percent(self) -> str:
        return f"{self.value * 100:.1f}%"


@dataclass
class EntityBoard:
    entity: str
    label: str
    scorecard: list[tuple[str, list[ScoreCell]]] = field(default_factory=list)
    bars: SafeString | str = ""
    trends: list[SafeString] = field(default_factory=list)
    heat_maps: list[SafeString] = field(default_factory=list)


def _scorecard(entity: str, snapshot: QualitySnapshot) -> list[tuple[str, list[ScoreCell]]]:
    rows = []
    summary = snapshot.summary.get(entity, {})
    for scope, metrics in snapshot.metrics.get(entity, {}).items():
        figures = summary.get(scope, {})
        cells = []
        for key, _ in SCORECARD_COLUMNS:
            colour = charts.heat_colour(figures.get(key)) if key in JUDGED else ""
            cells.append(ScoreCell(scorecard_value(key, figures, metrics), colour))
        rows.append((scope, cells))
    return rows


def _trend_charts(entity: str, points: list[dict[str, Any]]) -> list[SafeString]:
    labels = [timezone.localtime(p["taken_at"]).strftime("%m-%d %H:%M") for p in points]
    scopes: list[str] = []
    for p in points:
        for scope in p["summary"].get(entity, {}):
            if scope not in scopes and scope != ALL:
                scopes.append(scope)
    scopes = sorted(scopes) + [ALL]
    return [
        charts.line_chart(
            title,
            labels,
            [
                (scope, [p["summary"].get(entity, {}).get(scope, {}).get(key) for p in points])
                for scope in scopes
            ],
        )
        for key, title in TREND_METRICS
    ]


def _heat_maps(entity: str, snapshot: QualitySnapshot) -> list[SafeString]:
    """Element x system per metric; optional elements' completeness is shown, not judged."""
    scopes = snapshot.metrics.get(entity, {})
    elements = list(scopes.get(ALL, {}).get("completeness", {}))
    required = _required_elements(entity)
    labels = [f"{e} *" if e in required else e for e in elements]
    optional = {label for e, label in zip(elements, labels, strict=True) if e not in required}
    columns = list(scopes)
    return [
        charts.heat_map(
            title + (" (* 必填 required)" if metric == "completeness" else ""),
            labels,
            columns,
            [[scopes[c][metric].get(e) for c in columns] for e in elements],
            neutral_rows=optional if metric == "completeness" else (),
        )
        for metric, title in HEAT_METRICS
    ]


def open_issues_by_element() -> Counter:
    """Unresolved issues per (entity, element, system code or "")."""
    return Counter(
        {
            (row["entity"], row["element"], row["system__code"] or ""): row["n"]
            for row in QualityIssue.objects.unresolved()
            .values("entity", "element", "system__code")
            .annotate(n=Count("pk"))
            .order_by()
        }
    )


def worst_elements(snapshot: QualitySnapshot, limit: int = WORST_LIMIT) -> list[WorstElement]:
    """The (entity, element, system) cells with the lowest validity, consistency or required
    completeness (optional elements are often empty by design, so their completeness is left
    out), worst first, with their unresolved issues."""
    issues = open_issues_by_element()
    cells = []
    for entity, scopes in snapshot.metrics.items():
        required = _required_elements(entity)
        for scope, metrics in scopes.items():
            if scope == ALL:
                continue
            for metric in ("validity", "consistency", "completeness"):
                for element, value in metrics[metric].items():
                    if value is None or value >= 1.0:
                        continue
                    if metric == "completeness" and element not in required:
                        continue
                    open_issues = issues[(entity, element, scope)]
                    if metric == "consistency":
                        open_issues = issues[(entity, element, "")]
                    cells.append(WorstElement(entity, element, scope, metric, value, open_issues))
    cells.sort(key=lambda c: (c.value, -c.open_issues, c.entity, c.element, c.system))
    return cells[:limit]


def _required_elements(entity: str) -> set[str]:
    return {code for code, element in compiled_elements(entity).items() if element.required}


def dashboard_context() -> dict[str, Any]:
    """Everything the dashboard template needs; ``snapshot`` is None before the first report."""
    snapshot = latest_snapshot()
    if snapshot is None:
        return {"snapshot": None, "boards": [], "worst": []}
    points = trend(TREND_POINTS)
    boards = []
    for entity in snapshot.metrics:
        if not snapshot.summary.get(entity, {}).get(ALL, {}).get("records"):
            continue  # an entity no system has sent yet: nothing to draw
        label = EntityChoices(entity).label if entity in EntityChoices.values else entity
        board = EntityBoard(entity=entity, label=str(label))
        board.scorecard = _scorecard(entity, snapshot)
        summary = snapshot.summary.get(entity, {})
        scopes = list(summary)
        board.bars = charts.bar_chart(
            f"{label}: 各系统得分 score per system",
            [title for _, title in BAR_METRICS],
            [(scope, [summary[scope].get(key) for key, _ in BAR_METRICS]) for scope in scopes],
        )
        board.trends = _trend_charts(entity, points)
        board.heat_maps = _heat_maps(entity, snapshot)
        boards.append(board)
    return {
        "snapshot": snapshot,
        "boards": boards,
        "worst": worst_elements(snapshot),
        "scorecard_columns": [title for _, title in SCORECARD_COLUMNS],
        "trend_points": len(points),
    }
