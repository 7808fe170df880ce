"""The operations page's figures over time, kept in the hub's own database (``OperationsMinute``).

Requests and sync outcomes are added up in memory per process and written every
``MDM_OPERATIONS_FLUSH_SECONDS`` (and when a gunicorn worker exits) as increments of one row per
minute, series, name and detail, so the write costs one statement per key and flush, not one per
request. A process killed hard loses at most that many seconds of counts: these figures are
for watching trends, the source records and events stay the ledger. Backlogs are sampled by
the beat (``sample_backlog``) once a minute.

Nothing here may break what it counts: a failing write is logged and its counts dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.models import (
    UNFINISHED_STATUSES,
    Event,
    JobRun,
    OperationsMinute,
    OperationsMinuteSeriesChoices,
    QualityIssue,
    WebhookDelivery,
    WebhookDeliveryStatusChoices,
    WebhookSubscription,
)
from mdm.models.quality import UNRESOLVED_STATUSES
from mdm.operations.instruments import REQUEST_BUCKETS
from mdm.services.jobs import json_add

logger = logging.getLogger(__name__)

HTTP = OperationsMinuteSeriesChoices.HTTP
SYNC = OperationsMinuteSeriesChoices.SYNC
BACKLOG = OperationsMinuteSeriesChoices.BACKLOG
#: Sync channels: inbound through the API, a file import or the admin; outbound by webhook.
CHANNELS = ("api", "import", "admin", "webhook")
#: The backlogs sampled each minute, in the order the page shows them.
BACKLOGS = ("review_queue", "open_issues", "outbox_lag", "dead_letters", "running_jobs")


def bucket_key(bound: float) -> str:
    return "le_" + f"{bound:g}".replace(".", "_")


BUCKET_KEYS = [bucket_key(b) for b in REQUEST_BUCKETS] + ["le_inf"]


def _bucket_of(seconds: float) -> str:
    for bound, key in zip(REQUEST_BUCKETS, BUCKET_KEYS, strict=False):
        if seconds <= bound:
            return key
    return "le_inf"


@dataclass
class _Cell:
    count: int = 0
    failed: int = 0
    seconds: float = 0.0
    buckets: Counter = field(default_factory=Counter)


class _Buffer:
    """Counts of this process not yet written, by (minute, series, name, detail)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cells: dict[tuple[datetime, str, str, str], _Cell] = {}
        self.flushed_at = time.monotonic()

    def add(self, key, *, count: int, failed: int, seconds: float | None) -> bool:
        """Add to a cell; True when it is time to flush."""
        with self.lock:
            cell = self.cells.setdefault(key, _Cell())
            cell.count += count
            cell.failed += failed
            if seconds is not None:
                cell.seconds += seconds
                cell.buckets[_bucket_of(seconds)] += 1
            due = time.monotonic() - self.flushed_at >= settings.MDM_OPERATIONS_FLUSH_SECONDS
            return due

    def take(self) -> dict[tuple[datetime, str, str, str], _Cell]:
        with self.lock:
            cells, self.cells = self.cells, {}
            self.flushed_at = time.monotonic()
            return cells


_buffer = _Buffer()


def _this_minute() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    """An API or admin request answered (5xx counts as failed)."""
    _add((HTTP, route[:120], method[:40]), 1, int(status >= 500), seconds)


def record_sync(system: str, channel: str, *, succeeded: int, failed: int) -> None:
    """Records a source system sent (or a webhook delivered to it): accepted and refused."""
    if succeeded or failed:
        _add((SYNC, system[:120], channel[:40]), succeeded, failed, None)


def _add(key: tuple[str, str, str], count: int, failed: int, seconds: float | None) -> None:
    if _buffer.add((_this_minute(), *key), count=count, failed=failed, seconds=seconds):
        flush()


def flush() -> int:
    """Write this process's counts; returns the rows written (0 when the database refused)."""
    cells = _buffer.take()
    written = 0
    for (minute, series, name, detail), cell in cells.items():
        try:
            _increment(minute, series, name, detail, cell)
            written += 1
        except DatabaseError as exc:
            logger.warning("operations figures of %s dropped: %s", minute, type(exc).__name__)
    return written


def _increment(minute, series, name, detail, cell: _Cell) -> None:
    key = {"minute": minute, "series": series, "name": name, "detail": detail}
    changes = {
        "count": F("count") + cell.count,
        "failed": F("failed") + cell.failed,
        "seconds": F("seconds") + cell.seconds,
    }
    if cell.buckets:
        changes["buckets"] = json_add("buckets", dict(cell.buckets))
    with transaction.atomic():
        if OperationsMinute.objects.filter(**key).update(**changes):
            return
        try:
            with transaction.atomic():
                OperationsMinute.objects.create(
                    **key,
                    count=cell.count,
                    failed=cell.failed,
                    seconds=cell.seconds,
                    buckets=dict(cell.buckets),
                )
        except IntegrityError:
            # Another process created the minute's row first: add to it instead.
            OperationsMinute.objects.filter(**key).update(**changes)


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
    minute = _this_minute()
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
