"""Sync monitoring of business documents, per route and channel (issue 32, item 6).

A route is (type, sender, receiver); the channels are ``pull`` (the inbox: delivered when the
item is in it), ``webhook`` (delivered when a subscription answered 2xx; only for a receiver
with an active subscription) and ``bus`` (delivered when the broker confirmed it; only with
``MDM_AMQP_URL``). For the documents received in the window:

* in: documents received for the receiver (revisions counted once), translated: the ones whose
  references all translated, held: the ones held now, delivered: on this channel,
  acknowledged: by the receiver, failed: dead letters on this channel;
* success rate: delivered / in;
* latency percentiles (p50, p95, p99): received -> delivered on this channel, and
  delivered -> acknowledged.

And now, per channel: the backlog (items waiting for that channel) and the dead letters.
The admin's "Document sync" page draws these; ``/metrics`` exposes them
(``metric_families``, read at scrape time by ``mdm.operations.collector``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from mdm.documents.models import HELD, BusCursor, DocumentDelivery, DocumentPush, InboxItem
from mdm.models import WebhookSubscription

CHANNELS = ("pull", "webhook", "bus")
QUANTILES = (0.5, 0.95, 0.99)


@dataclass
class ChannelLine:
    type: str
    sender: str
    receiver: str
    channel: str
    received: int = 0
    translated: int = 0
    held: int = 0
    delivered: int = 0
    acknowledged: int = 0
    failed: int = 0
    to_delivery_s: dict[float, float | None] = field(default_factory=dict)
    to_ack_s: dict[float, float | None] = field(default_factory=dict)

    @property
    def success_percent(self) -> float | None:
        return self.delivered / self.received * 100 if self.received else None

    @property
    def p50_delivery_ms(self) -> float | None:
        return _ms(self.to_delivery_s.get(0.5))

    @property
    def p99_delivery_ms(self) -> float | None:
        return _ms(self.to_delivery_s.get(0.99))

    @property
    def p95_ack_s(self) -> float | None:
        return self.to_ack_s.get(0.95)


@dataclass
class Sync:
    since: datetime
    lines: list[ChannelLine] = field(default_factory=list)
    backlog: dict[str, int] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)
    held_now: int = 0


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def quantile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def channels_of(subscribed: set[int], receiver_id: int) -> list[str]:
    found = ["pull"]
    if receiver_id in subscribed:
        found.append("webhook")
    if settings.MDM_AMQP_URL:
        found.append("bus")
    return found


def sync_figures(*, since: datetime | None = None) -> Sync:
    """The figures of the documents received since ``since`` (default: the last 24 hours)."""
    since = since or timezone.now() - timedelta(hours=24)
    sync = Sync(since=since)
    subscribed = set(
        WebhookSubscription.objects.filter(is_active=True).values_list("system_id", flat=True)
    )
    routes: dict[tuple[str, str, str], dict] = {}
    deliveries = DocumentDelivery.objects.filter(document__received_at__gte=since).values_list(
        "document_id",
        "receiver_id",
        "document__type__code",
        "document__sender__code",
        "receiver__code",
        "state",
        "document__received_at",
        "delivered_at",
        "acknowledged_at",
    )
    keys: dict[tuple[int, int], tuple[str, str, str]] = {}
    for doc, rid, type_code, sender, receiver, state, received, delivered, acked in deliveries:
        key = (type_code, sender, receiver)
        keys[(doc, rid)] = key
        route = routes.setdefault(
            key,
            {
                "receiver_id": rid,
                "received": {},
                "translated": 0,
                "held": 0,
                "acked": 0,
                "ack": [],
                "done": defaultdict(dict),
                "failed": defaultdict(int),
            },
        )
        route["received"][doc] = received
        route["translated"] += delivered is not None
        route["held"] += state == HELD
        if acked is not None and delivered is not None:
            route["acked"] += 1
            route["ack"].append(max((acked - delivered).total_seconds(), 0.0))
    items = InboxItem.objects.filter(kind="document", document__received_at__gte=since)
    for doc, rid, created, pushed, published in items.values_list(
        "document_id", "system_id", "created_at", "pushed_at", "published_at"
    ):
        found = keys.get((doc, rid))
        if found is None:
            continue
        done = routes[found]["done"]
        for channel, at in (("pull", created), ("webhook", pushed), ("bus", published)):
            if at is not None and doc not in done[channel]:
                done[channel][doc] = at  # the first revision delivered on the channel
    dead = DocumentPush.objects.filter(status="dead", item__document__received_at__gte=since)
    for doc, rid in dead.values_list("item__document_id", "item__system_id"):
        found = keys.get((doc, rid))
        if found is not None:
            routes[found]["failed"][doc] = 1
    for key, route in sorted(routes.items()):
        for channel in channels_of(subscribed, route["receiver_id"]):
            done = route["done"][channel]
            lags = [
                max((at - route["received"][doc]).total_seconds(), 0.0) for doc, at in done.items()
            ]
            sync.lines.append(
                ChannelLine(
                    *key,
                    channel=channel,
                    received=len(route["received"]),
                    translated=route["translated"],
                    held=route["held"],
                    delivered=len(done),
                    acknowledged=route["acked"],
                    failed=len(route["failed"]) if channel == "webhook" else 0,
                    to_delivery_s={q: quantile(lags, q) for q in QUANTILES},
                    to_ack_s={q: quantile(route["ack"], q) for q in QUANTILES},
                )
            )
    sync.backlog, sync.dead_letters = backlog_now(subscribed)
    sync.held_now = DocumentDelivery.objects.filter(state=HELD).count()
    return sync


def backlog_now(subscribed: set[int] | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Inbox items waiting per channel, and the dead letters per channel, now."""
    if subscribed is None:
        subscribed = set(
            WebhookSubscription.objects.filter(is_active=True).values_list("system_id", flat=True)
        )
    backlog = {"pull": 0, "webhook": 0, "bus": 0}
    backlog["webhook"] = InboxItem.objects.filter(
        system_id__in=subscribed, pushed_at__isnull=True
    ).count()
    if settings.MDM_AMQP_URL:
        cursor = BusCursor.objects.filter(name="inbox").values_list("seq", flat=True).first()
        backlog["bus"] = InboxItem.objects.filter(seq__gt=cursor or 0).count()
    dead = {"pull": 0, "webhook": DocumentPush.objects.filter(status="dead").count(), "bus": 0}
    return backlog, dead


def metric_families() -> list[GaugeMetricFamily]:
    """The figures of the last hour for ``/metrics`` (gauges, read at scrape time)."""
    sync = sync_figures(since=timezone.now() - timedelta(hours=1))
    labels = ["type", "sender", "receiver", "channel"]
    counts = GaugeMetricFamily(
        "mdm_documents_last_hour",
        "Business documents received in the last hour per route and channel, by stage "
        "(in, translated, held, delivered, acknowledged, failed).",
        labels=[*labels, "stage"],
    )
    rate = GaugeMetricFamily(
        "mdm_documents_success_ratio",
        "Delivered / received in the last hour, per route and channel.",
        labels=labels,
    )
    latency = GaugeMetricFamily(
        "mdm_documents_latency_seconds",
        "Received -> delivered (leg=delivery) and delivered -> acknowledged (leg=ack) over the "
        "last hour, per route and channel, by quantile.",
        labels=[*labels, "leg", "quantile"],
    )
    for line in sync.lines:
        key = [line.type, line.sender, line.receiver, line.channel]
        for stage, value in (
            ("in", line.received),
            ("translated", line.translated),
            ("held", line.held),
            ("delivered", line.delivered),
            ("acknowledged", line.acknowledged),
            ("failed", line.failed),
        ):
            counts.add_metric([*key, stage], value)
        if line.received:
            rate.add_metric(key, line.delivered / line.received)
        for leg, values in (("delivery", line.to_delivery_s), ("ack", line.to_ack_s)):
            for q, seconds in values.items():
                if seconds is not None:
                    latency.add_metric([*key, leg, str(q)], seconds)
    backlog = GaugeMetricFamily(
        "mdm_documents_backlog", "Inbox items waiting per channel.", labels=["channel"]
    )
    dead = GaugeMetricFamily(
        "mdm_documents_dead_letters", "Dead-lettered inbox items per channel.", labels=["channel"]
    )
    for channel in CHANNELS:
        backlog.add_metric([channel], sync.backlog.get(channel, 0))
        dead.add_metric([channel], sync.dead_letters.get(channel, 0))
    held = GaugeMetricFamily(
        "mdm_documents_held", "Deliveries held for a missing mapping now.", value=sync.held_now
    )
    return [counts, rate, latency, backlog, dead, held]


@dataclass
class Point:
    at: datetime
    value: float | None


def series(
    *, since: datetime, step: timedelta = timedelta(hours=1)
) -> dict[str, dict[str, list[Point]]]:
    """Per channel, per slot of ``step``: documents delivered, and the p95 received ->
    delivered in milliseconds (for the admin's charts)."""
    now = timezone.now()
    slots = []
    at = since
    while at <= now:
        slots.append(at)
        at += step
    lags: dict[str, dict[int, list[float]]] = {c: defaultdict(list) for c in CHANNELS}
    items = InboxItem.objects.filter(kind="document", created_at__gte=since)
    for received, created, pushed, published in items.values_list(
        "document__received_at", "created_at", "pushed_at", "published_at"
    ):
        for channel, when in (("pull", created), ("webhook", pushed), ("bus", published)):
            if when is not None and when >= since:
                slot = min(int((when - since) / step), len(slots) - 1)
                lags[channel][slot].append(max((when - received).total_seconds(), 0.0))
    return {
        channel: {
            "delivered": [
                Point(s, float(len(lags[channel].get(i, [])))) for i, s in enumerate(slots)
            ],
            "p95_ms": [
                Point(s, _ms(quantile(lags[channel].get(i, []), 0.95))) for i, s in enumerate(slots)
            ],
        }
        for channel in CHANNELS
    }
