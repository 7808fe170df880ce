"""What the operations page shows (运行监控), read from the hub's own tables only.

``overview(window)`` returns the figures of the last hour, day or week, in time buckets sized
for the window: API requests, errors and the 95th percentile latency; the sync success rate per
source system and channel; job run durations; the backlogs over time and as they stand now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from mdm.db.timeline import REQUEST_BUCKETS
from mdm.documents.models import DocumentDelivery
from mdm.documents.monitoring import quantile
from mdm.models import JobRun, JobRunStatusChoices
from mdm.operations import timeline

#: window name -> (length, bucket size)
WINDOWS = {
    "1h": (timedelta(hours=1), timedelta(minutes=1)),
    "24h": (timedelta(hours=24), timedelta(minutes=30)),
    "7d": (timedelta(days=7), timedelta(hours=4)),
}
DEFAULT_WINDOW = "24h"


def percentile(buckets: dict[str, int], share: float) -> float | None:
    """The upper bound of the latency bucket holding the ``share`` quantile (None: no data)."""
    total = sum(buckets.values())
    if not total:
        return None
    seen = 0
    for bound, key in zip(REQUEST_BUCKETS, timeline.BUCKET_KEYS, strict=False):
        seen += buckets.get(key, 0)
        if seen >= share * total:
            return bound
    return float("inf")


@dataclass
class Point:
    at: datetime
    value: float | None


@dataclass
class RouteLine:
    route: str
    method: str
    count: int
    failed: int
    mean_ms: float
    p95_ms: float | None


@dataclass
class SyncLine:
    """One source system and channel in the window: totals, and the success rate over time."""

    system: str
    channel: str
    succeeded: int
    failed: int
    points: list[Point] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        total = self.succeeded + self.failed
        return self.succeeded / total if total else None

    @property
    def rate_percent(self) -> float | None:
        rate = self.rate
        return None if rate is None else rate * 100


@dataclass
class JobLine:
    """One job kind in the window: totals, and over time the longest run finished in each
    time bucket (a slow night shows as a peak)."""

    kind: str
    runs: int
    failed: int
    mean_s: float | None
    max_s: float | None
    points: list[Point] = field(default_factory=list)


@dataclass
class DocumentLine:
    """One route of business documents (type, sender → receiver) in the window."""

    type: str
    sender: str
    receiver: str
    received: int
    delivered: int
    held: int
    acknowledged: int
    p50_delivery_ms: float | None
    p95_delivery_ms: float | None
    p95_ack_s: float | None

    @property
    def rate_percent(self) -> float | None:
        return self.delivered / self.received * 100 if self.received else None


@dataclass
class Overview:
    window: str
    since: datetime
    requests: list[Point] = field(default_factory=list)
    p95_ms: list[Point] = field(default_factory=list)
    error_rate: list[Point] = field(default_factory=list)
    routes: list[RouteLine] = field(default_factory=list)
    sync_rate: list[Point] = field(default_factory=list)
    syncs: list[SyncLine] = field(default_factory=list)
    jobs: list[JobLine] = field(default_factory=list)
    backlog: dict[str, list[Point]] = field(default_factory=dict)
    backlog_now: dict[str, int] = field(default_factory=dict)
    documents: list[DocumentLine] = field(default_factory=list)


def _slots(since: datetime, step: timedelta, until: datetime) -> list[datetime]:
    slots, at = [], since
    while at <= until:
        slots.append(at)
        at += step
    return slots


def _slot_of(at: datetime, since: datetime, step: timedelta) -> datetime:
    return since + step * int((at - since) / step)


def overview(window: str = DEFAULT_WINDOW) -> Overview:
    if window not in WINDOWS:
        window = DEFAULT_WINDOW
    length, step = WINDOWS[window]
    now = timezone.now()
    since = (now - length).replace(second=0, microsecond=0)
    slots = _slots(since, step, now)
    view = Overview(window=window, since=since)
    _requests(view, since, step, slots)
    _syncs(view, since, step, slots)
    _jobs(view, since, step, slots)
    _backlog(view, since, step, slots)
    _documents(view, since)
    return view


def _requests(view: Overview, since, step, slots) -> None:
    count: dict[datetime, int] = defaultdict(int)
    failed: dict[datetime, int] = defaultdict(int)
    buckets: dict[datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_route: dict[tuple[str, str], list] = {}
    for row in timeline.rows(timeline.HTTP, since):
        slot = _slot_of(row.minute, since, step)
        count[slot] += row.count
        failed[slot] += row.failed
        line = per_route.setdefault((row.name, row.detail), [0, 0, 0.0, defaultdict(int)])
        line[0] += row.count
        line[1] += row.failed
        line[2] += row.seconds
        for key, n in (row.buckets or {}).items():
            buckets[slot][key] += int(n)
            line[3][key] += int(n)
    for slot in slots:
        view.requests.append(Point(slot, count[slot]))
        p95 = percentile(buckets[slot], 0.95)
        view.p95_ms.append(Point(slot, None if p95 is None else min(p95, 60.0) * 1000))
        rate = failed[slot] / count[slot] if count[slot] else None
        view.error_rate.append(Point(slot, None if rate is None else rate * 100))
    for (route, method), (n, bad, seconds, hist) in sorted(
        per_route.items(), key=lambda item: -item[1][0]
    ):
        p95 = percentile(hist, 0.95)
        view.routes.append(
            RouteLine(
                route=route,
                method=method,
                count=n,
                failed=bad,
                mean_ms=seconds / n * 1000 if n else 0.0,
                p95_ms=None if p95 is None else p95 * 1000,
            )
        )


def _syncs(view: Overview, since, step, slots) -> None:
    ok: dict[datetime, int] = defaultdict(int)
    bad: dict[datetime, int] = defaultdict(int)
    lines: dict[tuple[str, str], SyncLine] = {}
    # (system, channel) -> slot -> [succeeded, failed]
    per_line: dict[tuple[str, str], dict[datetime, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for row in timeline.rows(timeline.SYNC, since):
        slot = _slot_of(row.minute, since, step)
        ok[slot] += row.count
        bad[slot] += row.failed
        line = lines.setdefault((row.name, row.detail), SyncLine(row.name, row.detail, 0, 0))
        line.succeeded += row.count
        line.failed += row.failed
        counts = per_line[(row.name, row.detail)][slot]
        counts[0] += row.count
        counts[1] += row.failed
    for slot in slots:
        view.sync_rate.append(Point(slot, _rate(ok[slot], bad[slot])))
    for key, line in lines.items():
        found = per_line[key]
        line.points = [
            Point(slot, _rate(*found[slot]) if slot in found else None) for slot in slots
        ]
    view.syncs = sorted(lines.values(), key=lambda line: (line.system, line.channel))


def _rate(succeeded: int, failed: int) -> float | None:
    total = succeeded + failed
    return succeeded / total * 100 if total else None


def _jobs(view: Overview, since, step, slots) -> None:
    finished = JobRun.objects.filter(finished_at__gte=since)
    durations: dict[str, list[float]] = defaultdict(list)
    longest: dict[str, dict[datetime, float]] = defaultdict(dict)
    for kind, started, ended in finished.values_list("kind", "started_at", "finished_at"):
        if ended is None or started is None:
            continue
        seconds = (ended - started).total_seconds()
        durations[kind].append(seconds)
        slot = _slot_of(ended, since, step)
        longest[kind][slot] = max(longest[kind].get(slot, 0.0), seconds)
    failures = dict(
        finished.values("kind")
        .annotate(n=Count("pk", filter=Q(status=JobRunStatusChoices.FAILED)))
        .values_list("kind", "n")
    )
    for kind in sorted(durations):
        values = durations[kind]
        view.jobs.append(
            JobLine(
                kind=kind,
                runs=len(values),
                failed=failures.get(kind, 0),
                mean_s=sum(values) / len(values),
                max_s=max(values),
                points=[Point(slot, longest[kind].get(slot)) for slot in slots],
            )
        )


def _backlog(view: Overview, since, step, slots) -> None:
    latest: dict[str, dict[datetime, int]] = defaultdict(dict)
    for row in timeline.rows(timeline.BACKLOG, since):
        # The last sample in a bucket stands for it (a backlog is a level, not a count).
        latest[row.name][_slot_of(row.minute, since, step)] = row.count
    for name in timeline.BACKLOGS:
        view.backlog[name] = [Point(slot, latest[name].get(slot)) for slot in slots]
    view.backlog_now = timeline.backlog_now()


def _documents(view: Overview, since) -> None:
    """Per route: documents received in the window, delivered, held now, acknowledged, and the
    latencies received → delivered (ms) and delivered → acknowledged (s)."""
    lines: dict[tuple[str, str, str], dict] = {}
    rows = DocumentDelivery.objects.filter(document__received_at__gte=since).values_list(
        "document__type__code",
        "document__sender__code",
        "receiver__code",
        "state",
        "document__received_at",
        "delivered_at",
        "acknowledged_at",
    )
    for type_code, sender, receiver, state, received, delivered, acknowledged in rows:
        line = lines.setdefault(
            (type_code, sender, receiver),
            {"received": 0, "delivered": 0, "held": 0, "acked": 0, "lag": [], "ack": []},
        )
        line["received"] += 1
        if state == "held":
            line["held"] += 1
        if delivered is not None:
            line["delivered"] += 1
            line["lag"].append(max((delivered - received).total_seconds(), 0.0) * 1000)
        if acknowledged is not None and delivered is not None:
            line["acked"] += 1
            line["ack"].append(max((acknowledged - delivered).total_seconds(), 0.0))
    for (type_code, sender, receiver), line in sorted(lines.items()):
        view.documents.append(
            DocumentLine(
                type=type_code,
                sender=sender,
                receiver=receiver,
                received=line["received"],
                delivered=line["delivered"],
                held=line["held"],
                acknowledged=line["acked"],
                p50_delivery_ms=quantile(line["lag"], 0.5),
                p95_delivery_ms=quantile(line["lag"], 0.95),
                p95_ack_s=quantile(line["ack"], 0.95),
            )
        )
