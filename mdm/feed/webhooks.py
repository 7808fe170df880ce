"""Posting golden changes to the source systems' webhooks: signed, in order, retried, dead-lettered.

Delivery of one subscription (``deliver_subscription``), one event at a time:

1. Lock the subscription row (``SKIP LOCKED``: if another worker holds it, that worker is
   delivering and this one leaves), find the first event after the cursor.
2. POST it with ``X-MDM-Signature: sha256=<HMAC-SHA256 of the body>`` and
   ``Idempotency-Key: <subscription id>:<seq>``; 2xx moves the cursor to its seq, in the same
   transaction, so the next event is never sent before this one was accepted. Anything else is a
   failure: the ``WebhookDelivery`` row counts the attempt and sets the next one after an
   exponential backoff; after ``MDM_WEBHOOK_MAX_ATTEMPTS`` it is dead and the subscription stops
   at that event until an operator redelivers or skips it (events are full snapshots: applying
   a later one before an earlier one would roll the receiver back).
3. Repeat up to ``MDM_WEBHOOK_BATCH`` events, then re-enqueue (other subscriptions get workers).

At-least-once: a receiver that answered 2xx but whose answer was lost gets the event again with
the same idempotency key. Nothing here runs in the write path: an upsert only enqueues a
dispatch after commit (``schedule_dispatch``), the beat dispatches too.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import http.client
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from dictionary.models import EntityChoices
from mdm.access.code_grants import Readable, readable_systems, visible_payload
from mdm.celery import app
from mdm.db import timeline
from mdm.errors import ServiceError
from mdm.feed.outbox import last_seq
from mdm.instruments import record_webhook_attempt
from mdm.jobs.runner import DB_RETRY
from mdm.models import (
    Event,
    SourceSystem,
    WebhookDelivery,
    WebhookDeliveryStatusChoices,
    WebhookSubscription,
)

SIGNATURE_HEADER = "X-MDM-Signature"
USER_AGENT = "mdm-hub-webhooks/1"


class Step(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    IDLE = "idle"  # nothing after the cursor
    BUSY = "busy"  # another worker holds the subscription, or it is inactive
    BLOCKED = "blocked"  # the next event is dead-lettered
    WAITING = "waiting"  # the next event waits for its backoff


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def idempotency_key(subscription_id: int, seq: int) -> str:
    return f"{subscription_id}:{seq}"


def event_body(event: Event, readable: Readable = None) -> bytes:
    """The posted JSON: the same object as an item of ``GET /api/v1/events/``, with the members
    of systems the subscriber may not read left out (``readable``: ``code_grants``)."""
    document = {
        "seq": event.seq,
        "entity": event.entity,
        "golden_code": event.golden_code,
        "kind": event.kind,
        "payload": visible_payload(event.payload, readable),
        "created_at": timezone.localtime(event.created_at).isoformat(),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def check_entities(entities: Iterable[str]) -> list[str]:
    entities = list(dict.fromkeys(entities))
    unknown = [e for e in entities if e not in EntityChoices.values]
    if unknown:
        raise ServiceError(
            f"未知实体 {unknown}", f"Unknown entities {unknown}", code="unknown_entity"
        )
    return entities


def check_url(url: str) -> str:
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ServiceError(
            "接收地址必须是 http(s) 网址", "The URL must be an http(s) URL", code="invalid_url"
        )
    return url


def create_subscription(
    *,
    system: SourceSystem,
    url: str,
    entities: Sequence[str] = (),
    secret: str = "",
    start_after: int | None = None,
    is_active: bool = True,
    actor=None,
    reason: str = "",
) -> tuple[WebhookSubscription, str]:
    """Create a subscription; returns it and its secret (generated when not given; shown once).

    It receives the events after ``start_after`` (default: the current last one: a new
    subscriber gets changes from now on and reads older ones from the feed).
    """
    subscription = WebhookSubscription(
        system=system,
        url=check_url(url),
        entities=check_entities(entities),
        secret=secret or generate_secret(),
        cursor=last_seq() if start_after is None else max(start_after, 0),
        is_active=is_active,
    )
    subscription._history_user = actor
    subscription._change_reason = reason or "created"
    subscription.save()
    return subscription, subscription.secret


def rotate_secret(*, subscription_id: int, actor=None) -> str:
    """Give the subscription a new secret; returns it (shown once)."""
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        subscription.secret = generate_secret()
        subscription._history_user = actor
        subscription._change_reason = "secret rotated"
        subscription.save()
    return subscription.secret


def subscriptions_with_work() -> list[int]:
    """Active subscriptions whose next event can be attempted now (not dead, not backing off)."""
    now = timezone.now()
    ready = []
    for subscription in WebhookSubscription.objects.filter(is_active=True).order_by("pk"):
        seq = _next_event(subscription).values_list("seq", flat=True).first()
        if seq is None:
            continue
        held = WebhookDelivery.objects.filter(subscription=subscription, event_id=seq).filter(
            Q(status=WebhookDeliveryStatusChoices.DEAD)
            | Q(status=WebhookDeliveryStatusChoices.RETRYING, next_attempt_at__gt=now)
        )
        if not held.exists():
            ready.append(subscription.pk)
    return ready


def deliver_subscription(subscription_id: int, *, limit: int | None = None) -> int:
    """Deliver the subscription's next events in order (see the module docstring); returns how
    many were delivered."""
    limit = limit or settings.MDM_WEBHOOK_BATCH
    delivered = 0
    while True:
        step = _deliver_next(subscription_id)
        if step is Step.DELIVERED:
            delivered += 1
            if delivered >= limit:
                schedule_delivery(subscription_id)
                break
            continue
        # No lost wake-up: an event committed while we held the lock had its dispatch skip
        # the locked row; now that the lock is released, look once more.
        if step is Step.IDLE and _has_next_event(subscription_id):
            continue
        break
    return delivered


def redeliver_from(*, subscription_id: int, seq: int, actor=None) -> None:
    """Deliver the subscription's events again from ``seq`` on, in order (the cursor moves to
    ``seq - 1``); their dead or delivered rows start over. Also how a dead event is retried."""
    if seq < 1:
        raise ServiceError("序号必须 ≥ 1", "seq must be at least 1", code="invalid_seq")
    with transaction.atomic():
        # Waits for a delivery in flight, so the cursor is never moved under it.
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
        previous = subscription.cursor
        subscription.cursor = seq - 1
        subscription._history_user = actor
        subscription._change_reason = f"redeliver from seq {seq} (cursor {previous} -> {seq - 1})"
        subscription.save(update_fields=["cursor", "updated_at"])
        again = list(
            WebhookDelivery.objects.filter(subscription=subscription, event_id__gte=seq).exclude(
                status=WebhookDeliveryStatusChoices.RETRYING, attempts=0
            )
        )
        for delivery in again:
            delivery.status = WebhookDeliveryStatusChoices.RETRYING
            delivery.attempts = 0
            delivery.next_attempt_at = None
        if again:
            bulk_update_with_history(
                again,
                WebhookDelivery,
                ["status", "attempts", "next_attempt_at", "updated_at"],
                default_user=actor,
                default_change_reason=f"redeliver from seq {seq}",
            )
        schedule_delivery(subscription.pk)


def redeliver(*, delivery_ids: Iterable[int], actor=None) -> int:
    """Redeliver the given deliveries: each subscription starts again at its earliest one."""
    earliest: dict[int, int] = {}
    for subscription_id, seq in WebhookDelivery.objects.filter(
        pk__in=list(delivery_ids)
    ).values_list("subscription_id", "event_id"):
        earliest[subscription_id] = min(seq, earliest.get(subscription_id, seq))
    for subscription_id, seq in sorted(earliest.items()):
        redeliver_from(subscription_id=subscription_id, seq=seq, actor=actor)
    return len(earliest)


def skip_dead(*, delivery_ids: Iterable[int], actor=None) -> int:
    """Give up on dead deliveries that stop their subscription: the cursor passes them."""
    skipped = 0
    for delivery_id in sorted(delivery_ids):
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.select_related("subscription")
                .filter(pk=delivery_id, status=WebhookDeliveryStatusChoices.DEAD)
                .first()
            )
            if delivery is None:
                continue
            subscription = WebhookSubscription.objects.select_for_update().get(
                pk=delivery.subscription_id
            )
            delivery.status = WebhookDeliveryStatusChoices.SKIPPED
            delivery._history_user = actor
            delivery._change_reason = "skipped by operator"
            delivery.save()
            if subscription.cursor < delivery.event_id:
                subscription.cursor = delivery.event_id
                subscription._history_user = actor
                subscription._change_reason = f"skipped dead event {delivery.event_id}"
                subscription.save(update_fields=["cursor", "updated_at"])
            schedule_delivery(subscription.pk)
            skipped += 1
    return skipped


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: base × 2^(attempts − 1), capped."""
    seconds = settings.MDM_WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.MDM_WEBHOOK_BACKOFF_MAX_SECONDS))


def schedule_delivery(subscription_id: int, *, countdown: float | None = None) -> None:
    """Enqueue a delivery run for the subscription after commit (workers only: in eager mode
    a retry would run at once and spend every attempt in a row; the beat dispatches there)."""
    if app.conf.task_always_eager:
        return
    transaction.on_commit(
        lambda: deliver_webhooks_task.apply_async((subscription_id,), countdown=countdown),
        robust=True,
    )


def post_event(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST the body; the HTTP status (None when there was no answer) and an error text."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=settings.MDM_WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not a hop: following it would turn the POST into a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _next_event(subscription: WebhookSubscription):
    return subscription.events().filter(seq__gt=subscription.cursor)


def _has_next_event(subscription_id: int) -> bool:
    subscription = WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).first()
    return subscription is not None and _next_event(subscription).exists()


def _deliver_next(subscription_id: int) -> Step:
    now = timezone.now()
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update(skip_locked=True)
            .filter(pk=subscription_id, is_active=True)
            .order_by("pk")
            .first()
        )
        if subscription is None:
            return Step.BUSY
        event = _next_event(subscription).first()
        if event is None:
            return Step.IDLE
        delivery = WebhookDelivery.objects.filter(subscription=subscription, event=event).first()
        if delivery is not None:
            if delivery.status == WebhookDeliveryStatusChoices.DEAD:
                return Step.BLOCKED
            if delivery.next_attempt_at and delivery.next_attempt_at > now:
                return Step.WAITING
        body = event_body(event, readable_systems(subscription.system))
        status, error = post_event(
            subscription.url,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                SIGNATURE_HEADER: sign(subscription.secret, body),
                "Idempotency-Key": idempotency_key(subscription.pk, event.seq),
                "X-MDM-Event-Seq": str(event.seq),
                "X-MDM-Subscription": str(subscription.pk),
            },
        )
        record_webhook_attempt(status)
        delivered = status is not None and 200 <= status < 300
        timeline.record_sync(
            subscription.system.code, "webhook", succeeded=int(delivered), failed=int(not delivered)
        )
        now = timezone.now()
        if delivered:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                cursor=event.seq, last_delivered_at=now
            )
            if delivery is not None:
                _save_attempt(delivery, status, "", now, delivered=True)
            return Step.DELIVERED
        if delivery is None:
            delivery = WebhookDelivery(subscription=subscription, event=event)
        dead = _save_attempt(delivery, status, error, now, delivered=False)
        if not dead:
            schedule_delivery(subscription.pk, countdown=backoff(delivery.attempts).total_seconds())
        return Step.FAILED


def _save_attempt(
    delivery: WebhookDelivery, status: int | None, error: str, now, *, delivered: bool
) -> bool:
    """Count an attempt on the delivery row (with history); True when it became dead."""
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error[:2000]
    dead = False
    if delivered:
        delivery.status = WebhookDeliveryStatusChoices.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery._change_reason = "delivered"
    elif delivery.attempts >= settings.MDM_WEBHOOK_MAX_ATTEMPTS:
        dead = True
        delivery.status = WebhookDeliveryStatusChoices.DEAD
        delivery.next_attempt_at = None
        delivery._change_reason = f"dead after {delivery.attempts} attempts"
    else:
        delivery.status = WebhookDeliveryStatusChoices.RETRYING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery._change_reason = f"attempt {delivery.attempts} failed"
    delivery.save()
    return dead


def schedule_dispatch() -> None:
    """After this transaction commits, wake the webhook deliverers (a tiny Celery message).

    Never blocks or breaks the write: with no broker (the embedded default) nothing is enqueued,
    and a broker that is down is logged, not raised (``robust``); the beat's periodic dispatch
    catches up in both cases.
    """
    if not settings.MDM_WEBHOOK_DISPATCH_ON_COMMIT:
        return
    transaction.on_commit(_send_dispatch, robust=True)


def _send_dispatch() -> None:
    if not WebhookSubscription.objects.filter(is_active=True).exists():
        return  # nobody to tell: spare the broker and the workers a message per write
    # No publish retries: a broker outage must not hold up the request that made the change.
    dispatch_webhooks_task.apply_async(retry=False)


# ---- the deliverers' own tasks (named as when they lived in mdm.tasks: queued messages survive)


@app.task(name="mdm.tasks.dispatch_webhooks_task", ignore_result=True, **DB_RETRY)
def dispatch_webhooks_task() -> int:
    """Wake a deliverer for every subscription with an event to send now (after each golden
    change, and periodically from the beat, which is also how backed-off retries resume)."""
    ready = subscriptions_with_work()
    for subscription_id in ready:
        deliver_webhooks_task.delay(subscription_id)
    return len(ready)


@app.task(name="mdm.tasks.deliver_webhooks_task", ignore_result=True, **DB_RETRY)
def deliver_webhooks_task(subscription_id: int) -> int:
    return deliver_subscription(subscription_id)
