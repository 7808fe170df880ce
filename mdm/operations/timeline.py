"""The operations page's backlogs, sampled by the beat each minute, and the stored figures read
back. The counters themselves are in ``mdm.db.timeline`` (the bottom layer)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.db.timeline import BACKLOG, BUCKET_KEYS, HTTP, SYNC, flush, this_minute
from mdm.models import (
    UNFINISHED_STATUSES,
    Event,
    JobRun,
    OperationsMinute,
    QualityIssue,
    WebhookDelivery,
    WebhookDeliveryStatusChoices,
    WebhookSubscription,
)
from mdm.quality.models import UNRESOLVED_STATUSES

__all__ = ["BACKLOG", "BACKLOGS", "BUCKET_KEYS", "HTTP", "SYNC", "flush"]

#: The backlogs sampled each minute, in the order the page shows them.
BACKLOGS = ("review_queue", "open_issues", "outbox_lag", "dead_letters", "running_jobs")


def backlog_now() -> dict[str, int]:
    """The backlogs as they stand: pending review candidates, unresolved quality issues, events
    not yet delivered to active subscriptions, dead-letter deliveries and unfinished job runs."""
    last = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    cursors = WebhookSubscription.objects.filter(is_active=True).aggregate(
        behind=Sum(last - F("cursor"))
    )
    return {
        "review_queue": MatchCandidate.objects.filter(
            status=MatchCandidateStatusChoices.PENDING
        ).count(),
        "open_issues": QualityIssue.objects.filter(status__in=UNRESOLVED_STATUSES).count(),
        "outbox_lag": int(cursors["behind"] or 0),
        "dead_letters": WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatusChoices.DEAD
        ).count(),
        "running_jobs": JobRun.objects.filter(status__in=UNFINISHED_STATUSES).count(),
    }


def sample_backlog() -> dict[str, int]:
    """Store this minute's backlog sizes (the beat calls it every minute) and drop the rows
    older than ``MDM_OPERATIONS_RETENTION_DAYS``."""
    minute = this_minute()
    sizes = backlog_now()
    with transaction.atomic():
        for name, size in sizes.items():
            OperationsMinute.objects.update_or_create(
                minute=minute, series=BACKLOG, name=name, detail="", defaults={"count": size}
            )
    cutoff = timezone.now() - timedelta(days=settings.MDM_OPERATIONS_RETENTION_DAYS)
    OperationsMinute.objects.filter(minute__lt=cutoff).delete()
    return sizes


def rows(series: str, since: datetime) -> Iterable[OperationsMinute]:
    return OperationsMinute.objects.filter(series=series, minute__gte=since).order_by("minute")
