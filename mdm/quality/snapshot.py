"""Taking a data-quality snapshot: reconcile the issues, measure, store (``quality_report``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from dictionary.models import EntityChoices
from mdm.models import QualityIssue, QualitySnapshot
from mdm.quality import sql
from mdm.quality.issues import reconcile_quality_issues
from mdm.quality.metrics import ALL, Comparison, compute_quality_metrics, measured_elements

T = TypeVar("T")


def _in_one_read_snapshot(read: Callable[[], T]) -> T:
    """Run ``read`` in one REPEATABLE READ, READ ONLY transaction on PostgreSQL.

    The metrics come from several queries; one snapshot makes them add up even while source
    systems keep writing. Inside an outer transaction (tests) the isolation level cannot change
    any more, and SQLite is serializable anyway: then ``read`` runs in a savepoint.
    """
    if not sql.is_postgresql() or connection.in_atomic_block:
        with transaction.atomic():
            sql.tune_for_full_scans()
            return read()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        sql.tune_for_full_scans()
        return read()


def open_issue_counts() -> dict[tuple[str, str], int]:
    """Unresolved issues per (entity, system code or ``ALL``); inconsistencies count in ALL."""
    counts: dict[tuple[str, str], int] = {}
    for row in (
        QualityIssue.objects.unresolved()
        .values("entity", "system__code")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        total = (row["entity"], ALL)
        counts[total] = counts.get(total, 0) + row["n"]
        if row["system__code"]:
            counts[(row["entity"], row["system__code"])] = row["n"]
    return counts


def take_quality_snapshot(
    *,
    actor=None,
    reason: str = "quality_report",
    now: dt.datetime | None = None,
    entities: Sequence[str] | None = None,
) -> QualitySnapshot:
    """Compute and store a ``QualitySnapshot`` of every entity.

    1. Reconcile all quality issues with the data, in bulk (opens and closes issues); it also
       compares the systems of every golden record into a temporary table (``Comparison``).
    2. Compute the metrics in one read snapshot (``metrics.compute_quality_metrics``),
       reusing that comparison: the consistency figures are those the issues were opened on.
    3. Add the unresolved issues per entity and system to the scorecard.
    4. Store the snapshot, with history. ``snapshot.phase_ms`` (not stored) has the timings.
    """
    entities = list(entities or EntityChoices.values)
    now = now or timezone.now()
    phase_ms: dict[str, int] = {}
    started = time.perf_counter()
    comparison = Comparison(measured_elements(entities))
    try:
        changes = reconcile_quality_issues(
            entities=entities, actor=actor, now=now, comparison=comparison
        )
        phase_ms["issues"] = _ms_since(started)
        mark = time.perf_counter()
        metrics, summary = _in_one_read_snapshot(
            lambda: compute_quality_metrics(now=now, entities=entities, comparison=comparison)
        )
        phase_ms["metrics"] = _ms_since(mark)
    finally:
        comparison.drop()

    mark = time.perf_counter()
    counts = open_issue_counts()
    for entity, scopes in summary.items():
        for scope, figures in scopes.items():
            figures["open_issues"] = counts.get((entity, scope), 0)
    snapshot = QualitySnapshot(
        taken_at=now,
        metrics=metrics,
        summary=summary,
        issue_changes=changes.as_dict(),
    )
    snapshot.duration_ms = _ms_since(started)
    snapshot._history_user = actor
    snapshot._change_reason = reason
    snapshot.save()
    phase_ms["store"] = _ms_since(mark)
    snapshot.phase_ms = phase_ms
    return snapshot


def _ms_since(mark: float) -> int:
    return int(round((time.perf_counter() - mark) * 1000))


def latest_snapshot() -> QualitySnapshot | None:
    return QualitySnapshot.objects.order_by("-taken_at", "-pk").first()


def trend(limit: int = 30) -> list[dict[str, Any]]:
    """The last ``limit`` snapshots' time and scorecard, oldest first (for the charts)."""
    rows = QualitySnapshot.objects.order_by("-taken_at", "-pk").values("taken_at", "summary")
    return [dict(row) for row in rows[:limit]][::-1]
