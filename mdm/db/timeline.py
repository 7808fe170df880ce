"""The operations page's counters: requests and sync outcomes, added up in memory per process
and written at most ``MDM_OPERATIONS_FLUSH_SECONDS`` after they were counted (by the next
count, or by a timer when the process goes quiet; and when a process exits) as
increments of one row per minute, series, name and detail (``OperationsMinute``), so the write
costs one statement per key and flush, not one per request. A process killed hard loses at most
that many seconds of counts: these figures are for watching trends; the source records and
events stay the ledger. It sits at the bottom layer, like the Prometheus instruments, so the
write path, the deliverers and the middleware can count without importing the operations
package. Nothing here may break what it counts: a failing write is logged and its counts
dropped.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Expression, F
from django.utils import timezone

from mdm.db.json_sql import json_add
from mdm.models import OperationsMinute, OperationsMinuteSeriesChoices

logger = logging.getLogger(__name__)

#: Latency bounds (seconds) of the stored histogram: the same as the Prometheus histogram's
#: (``mdm.instruments.REQUEST_BUCKETS``; a test keeps them equal), written out here because
#: the bottom layer's modules do not import each other.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP = OperationsMinuteSeriesChoices.HTTP
SYNC = OperationsMinuteSeriesChoices.SYNC
BACKLOG = OperationsMinuteSeriesChoices.BACKLOG
#: Sync channels: inbound through the API, a file import or the admin; outbound by webhook.
CHANNELS = ("api", "import", "admin", "webhook")


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
    buckets: Counter[str] = field(default_factory=Counter)


class _Buffer:
    """Counts of this process not yet written, by (minute, series, name, detail)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cells: dict[tuple[datetime, str, str, str], _Cell] = {}
        self.flushed_at = time.monotonic()

    def add(
        self, key: tuple[datetime, str, str, str], *, count: int, failed: int, seconds: float | None
    ) -> bool:
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


def this_minute() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    """An API or admin request answered (5xx counts as failed)."""
    _add((HTTP, route[:120], method[:40]), 1, int(status >= 500), seconds)


def record_sync(system: str, channel: str, *, succeeded: int, failed: int) -> None:
    """Records a source system sent (or a webhook delivered to it): accepted and refused."""
    if succeeded or failed:
        _add((SYNC, system[:120], channel[:40]), succeeded, failed, None)


def _add(key: tuple[str, str, str], count: int, failed: int, seconds: float | None) -> None:
    if _buffer.add((this_minute(), *key), count=count, failed=failed, seconds=seconds):
        flush()
    else:
        _flush_later()


#: The pending flush of counts that no later count will carry out (an idle process), with the
#: process it belongs to: a timer thread does not survive a fork (gunicorn, Celery children).
_later: tuple[int, threading.Timer, float] | None = None
_later_lock = threading.Lock()


def _flush_later() -> None:
    """Write the counts at most the interval after they were made, even when nothing else is
    counted in the meantime: without it, the last requests before a quiet hour (or a worker's
    last deliveries) stayed in memory until the next one, and the operations page missed
    them. One daemon timer per process at a time."""
    global _later
    interval = settings.MDM_OPERATIONS_FLUSH_SECONDS
    if interval <= 0:
        return
    due = time.monotonic() + interval
    with _later_lock:
        if _later is not None and _later[0] == os.getpid() and _later[1].is_alive():
            if _later[2] <= due:
                return
            _later[1].cancel()  # the interval was shortened since: the sooner one holds
        timer = threading.Timer(interval, _flush_from_timer)
        timer.daemon = True
        _later = (os.getpid(), timer, due)
        timer.start()


def _flush_from_timer() -> None:
    try:
        flush()
    finally:
        # The timer's thread opened its own connection: close it, nobody else will.
        connections.close_all()


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


def _increment(minute: datetime, series: str, name: str, detail: str, cell: _Cell) -> None:
    key = {"minute": minute, "series": series, "name": name, "detail": detail}
    changes: dict[str, Expression] = {
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


# A command (an import, setup_demo, the nightly match) or a worker that ends before the next
# flush would take its last counts with it: write them as the process exits.
atexit.register(flush)
