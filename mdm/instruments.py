"""The hub's in-process Prometheus instruments, and the one-line calls that feed them.

This module imports nothing from the hub, so the write path, the webhook deliverer and the
request middleware can call it without an import cycle (like ``logging``). What a query can
answer (queue sizes, backlogs, job runs) is not counted here but read at scrape time by
:mod:`mdm.operations.collector`, which also makes it right across processes and hosts.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn workers, Celery workers on the same host),
prometheus_client keeps these counters in files in that directory, one per process, and the
scrape adds them up (see README "Operations").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Histogram

#: Latency buckets for API requests (seconds): the crosswalk answers in milliseconds, a bulk
#: upsert of 1,000 records in seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "mdm_http_requests",
    "HTTP requests answered, by route (URL pattern name), method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "mdm_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (URL pattern name) and method.",
    ["route", "method"],
    buckets=REQUEST_BUCKETS,
)
UPSERTS = Counter(
    "mdm_upserts",
    "Source records sent through the write path, by entity, link kind and outcome.",
    ["entity", "link", "outcome"],
)
WEBHOOK_ATTEMPTS = Counter(
    "mdm_webhook_attempts",
    "Webhook posts made, by outcome (delivered: a 2xx answer; failed: anything else).",
    ["outcome"],
)


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_LATENCY.labels(route, method).observe(seconds)


def record_upserts(entity: str, results: Iterable[Any]) -> None:
    """Count a batch of write-path results (``UpsertResult``, an error, or None for deferred).

    Outcome: ``created`` (a new source record), ``changed``, ``unchanged`` (same payload again)
    or ``rejected`` (refused with errors, nothing written); deferred items are counted when
    their retry returns.
    """
    for result in results:
        if result is None:
            continue
        link = getattr(result, "link", None)
        if link is None:
            UPSERTS.labels(entity, "none", "rejected").inc()
        elif result.created:
            UPSERTS.labels(entity, link, "created").inc()
        elif result.changed:
            UPSERTS.labels(entity, link, "changed").inc()
        else:
            UPSERTS.labels(entity, link, "unchanged").inc()


def record_webhook_attempt(status: int | None) -> None:
    delivered = status is not None and 200 <= status < 300
    WEBHOOK_ATTEMPTS.labels("delivered" if delivered else "failed").inc()
