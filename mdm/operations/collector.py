"""Gauges read from the hub's database at scrape time (one custom collector).

What is in the database is the same whichever process or host made it, so these figures are
right however many web and Celery workers there are. Each query is an aggregate over an
indexed column or a small table, and runs under a statement timeout
(``MDM_METRICS_QUERY_TIMEOUT_MS``): a slow database costs a scrape a gap, never a pile-up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.documents.monitoring import metric_families as document_families
from mdm.models import (
    UNFINISHED_STATUSES,
    Event,
    JobRun,
    QualityIssue,
    WebhookDelivery,
    WebhookSubscription,
)
from mdm.quality.models import UNRESOLVED_STATUSES

logger = logging.getLogger(__name__)

#: Subscriptions reported one by one (beyond, the outbox totals still count them all).
MAX_SUBSCRIPTIONS = 200


def _documents() -> list[GaugeMetricFamily]:
    """The document relay's figures, in a savepoint of their own: they read the last hour's
    deliveries, the heaviest part of a scrape, and a timeout there must not cost the queue,
    quality, job and webhook figures read before."""
    try:
        with transaction.atomic():
            return list(document_families())
    except DatabaseError as exc:
        logger.warning("metrics: document figures skipped (%s)", type(exc).__name__)
        return []


class DatabaseCollector(Collector):
    """Review queue, quality issues, job runs, webhook backlog and lag, outbox, connections."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: list[GaugeMetricFamily] = []
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        timeout = int(settings.MDM_METRICS_QUERY_TIMEOUT_MS)
                        cursor.execute(f"SET LOCAL statement_timeout = {timeout}")
                for part in (_queue, _quality, _jobs, _webhooks, _connections):
                    families.extend(part())
                families.extend(_documents())
            up = 1.0
        except DatabaseError as exc:
            logger.warning("metrics: database figures skipped (%s)", type(exc).__name__)
            families, up = [], 0.0
        yield from families
        yield GaugeMetricFamily(
            "mdm_metrics_database_up",
            "1 when the database figures of this scrape could be read.",
            value=up,
        )


def _queue() -> list[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "mdm_review_queue_pending", "Match candidates waiting for a steward.", labels=["entity"]
    )
    rows = (
        MatchCandidate.objects.filter(status=MatchCandidateStatusChoices.PENDING)
        .order_by()
        .values("entity")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        family.add_metric([row["entity"]], row["n"])
    return [family]


def _quality() -> list[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "mdm_quality_issues_open",
        "Data-quality issues open or acknowledged (not closed).",
        labels=["entity", "kind"],
    )
    rows = (
        QualityIssue.objects.filter(status__in=UNRESOLVED_STATUSES)
        .order_by()
        .values("entity", "kind")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        family.add_metric([row["entity"], row["kind"]], row["n"])
    return [family]


def _jobs() -> list[GaugeMetricFamily]:
    runs = GaugeMetricFamily(
        "mdm_job_runs", "Job runs recorded, by kind and status.", labels=["kind", "status"]
    )
    for row in JobRun.objects.order_by().values("kind", "status").annotate(n=Count("pk")):
        runs.add_metric([row["kind"], row["status"]], row["n"])
    last_seconds = GaugeMetricFamily(
        "mdm_job_last_run_duration_seconds",
        "Duration of the last finished run, by kind, entity and status.",
        labels=["kind", "entity", "status"],
    )
    last_counts = GaugeMetricFamily(
        "mdm_job_last_run_count",
        "Counts of the last finished run (for the batch match: its decisions), by name.",
        labels=["kind", "entity", "name"],
    )
    last_finished = GaugeMetricFamily(
        "mdm_job_last_run_finished_timestamp_seconds",
        "When the last run of a kind and entity finished (Unix time).",
        labels=["kind", "entity", "status"],
    )
    latest = (
        JobRun.objects.exclude(status__in=UNFINISHED_STATUSES)
        .order_by()
        .values("kind", "entity")
        .annotate(last=Max("pk"))
    )
    for run in JobRun.objects.filter(pk__in=[row["last"] for row in latest]).order_by("pk"):
        labels = [run.kind, run.entity, run.status]
        if run.finished_at:
            last_seconds.add_metric(labels, (run.finished_at - run.started_at).total_seconds())
            last_finished.add_metric(labels, run.finished_at.timestamp())
        for name, value in sorted((run.counts or {}).items()):
            if isinstance(value, int | float) and not isinstance(value, bool):
                last_counts.add_metric([run.kind, run.entity, name], value)
    running = GaugeMetricFamily(
        "mdm_job_runs_unfinished_age_seconds",
        "Age of the oldest unfinished run, by kind (a stuck run keeps growing).",
        labels=["kind"],
    )
    now = timezone.now()
    rows = (
        JobRun.objects.filter(status__in=UNFINISHED_STATUSES)
        .order_by()
        .values("kind")
        .annotate(oldest=Min("started_at"))
    )
    for unfinished in rows:
        running.add_metric([unfinished["kind"]], (now - unfinished["oldest"]).total_seconds())
    return [runs, last_seconds, last_counts, last_finished, running]


def _webhooks() -> list[GaugeMetricFamily]:
    failing = GaugeMetricFamily(
        "mdm_webhook_failed_deliveries",
        "Webhook deliveries that failed at least once, by their status now.",
        labels=["status"],
    )
    for row in WebhookDelivery.objects.order_by().values("status").annotate(n=Count("pk")):
        failing.add_metric([row["status"]], row["n"])
    last_seq = Event.objects.aggregate(last=Max("seq"))["last"] or 0
    backlog = GaugeMetricFamily(
        "mdm_webhook_backlog_events",
        "Outbox sequence numbers past the subscription's cursor (events still to deliver, "
        "counting other entities' events too).",
        labels=["subscription", "system"],
    )
    lag = GaugeMetricFamily(
        "mdm_webhook_lag_seconds",
        "Age of the oldest event the subscription has not received (0 when up to date).",
        labels=["subscription", "system"],
    )
    now = timezone.now()
    subscriptions = (
        WebhookSubscription.objects.filter(is_active=True)
        .select_related("system")
        .order_by("pk")[:MAX_SUBSCRIPTIONS]
    )
    lowest_cursor = None
    for subscription in subscriptions:
        labels = [str(subscription.pk), subscription.system.code]
        backlog.add_metric(labels, max(last_seq - subscription.cursor, 0))
        oldest = subscription.events().filter(seq__gt=subscription.cursor).first()
        lag.add_metric(labels, (now - oldest.created_at).total_seconds() if oldest else 0.0)
        if lowest_cursor is None or subscription.cursor < lowest_cursor:
            lowest_cursor = subscription.cursor
    outbox = GaugeMetricFamily(
        "mdm_outbox_backlog_events",
        "Outbox sequence numbers not yet delivered to every active subscription.",
        value=max(last_seq - lowest_cursor, 0) if lowest_cursor is not None else 0,
    )
    seq = GaugeMetricFamily(
        "mdm_outbox_last_seq", "Highest event sequence number written.", value=last_seq
    )
    return [failing, backlog, lag, outbox, seq]


def _connections() -> list[GaugeMetricFamily]:
    if connection.vendor != "postgresql":
        return []
    family = GaugeMetricFamily(
        "mdm_db_connections",
        "Connections to the hub's database, by state (pg_stat_activity).",
        labels=["state"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(state, 'unknown'), COUNT(*) FROM pg_stat_activity "
            "WHERE datname = current_database() GROUP BY 1 ORDER BY 1"
        )
        for state, count in cursor.fetchall():
            family.add_metric([state], count)
        cursor.execute("SELECT setting::int FROM pg_settings WHERE name = 'max_connections'")
        limit = cursor.fetchone()[0]
    maximum = GaugeMetricFamily(
        "mdm_db_max_connections", "The server's max_connections.", value=limit
    )
    return [family, maximum]
