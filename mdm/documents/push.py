"""Pushing a system's inbox (documents and status changes) to its webhook subscriptions.

The same subscriptions, signature and retry rules as the master-data webhooks
(``mdm.feed.webhooks``): the body is the inbox item exactly as ``GET /api/v1/inbox/`` and the
bus carry it, signed with ``X-MDM-Signature`` (HMAC-SHA256 with the subscription's secret),
with ``Idempotency-Key: <subscription>:inbox:<seq>`` and ``X-MDM-Inbox-Seq``.

One item at a time, in ``seq`` order, per subscription: a push cursor (a ``BusCursor`` row
named ``push:<subscription id>``, locked with ``SKIP LOCKED`` so one worker pushes a
subscription at a time, and never the one delivering its events) moves only after a 2xx. A
failed attempt writes a ``DocumentPush`` row and waits for the backoff of the webhooks; after
``MDM_WEBHOOK_MAX_ATTEMPTS`` it is a dead letter that stops the subscription's documents (a
status must not overtake its document) until an operator resends or cancels it
(``resend_push`` / ``cancel_push``, admin actions, recorded on the document's timeline).

A new subscription gets the items written after it was created (older ones stay in the inbox).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mdm.celery import app
from mdm.db import timeline
from mdm.documents.models import BusCursor, DocumentPush, DocumentStatus, InboxItem
from mdm.errors import ServiceError
from mdm.feed.webhooks import (
    SIGNATURE_HEADER,
    USER_AGENT,
    Step,
    backoff,
    post_event,
    sign,
)
from mdm.instruments import record_webhook_attempt
from mdm.models import WebhookSubscription

RETRYING, DELIVERED, DEAD, CANCELLED = "retrying", "delivered", "dead", "cancelled"


def cursor_name(subscription_id: int) -> str:
    return f"push:{subscription_id}"


def push_key(subscription_id: int, seq: int) -> str:
    return f"{subscription_id}:inbox:{seq}"


def push_body(item: InboxItem) -> bytes:
    return json.dumps(
        item.as_body(), ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()


def _cursor(subscription: WebhookSubscription) -> BusCursor:
    """The subscription's push cursor, created at the last item before it subscribed."""
    start = (
        InboxItem.objects.filter(
            system_id=subscription.system_id, created_at__lt=subscription.created_at
        )
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    cursor, _ = BusCursor.objects.get_or_create(
        name=cursor_name(subscription.pk), defaults={"seq": start or 0}
    )
    return cursor


def _next_item(subscription: WebhookSubscription, after: int) -> InboxItem | None:
    return (
        InboxItem.objects.filter(system_id=subscription.system_id, seq__gt=after)
        .select_related("document")
        .order_by("seq")
        .first()
    )


def subscriptions_with_pushes() -> list[int]:
    """Active subscriptions whose next inbox item can be attempted now."""
    now = timezone.now()
    ready = []
    for subscription in WebhookSubscription.objects.filter(is_active=True).order_by("pk"):
        item = _next_item(subscription, _cursor(subscription).seq)
        if item is None:
            continue
        held = DocumentPush.objects.filter(subscription=subscription, item=item).filter(
            Q(status=DEAD) | Q(status=RETRYING, next_attempt_at__gt=now)
        )
        if not held.exists():
            ready.append(subscription.pk)
    return ready


def push_subscription(subscription_id: int, *, limit: int | None = None) -> int:
    """Push the subscription's next inbox items in order; returns how many were delivered."""
    limit = limit or settings.MDM_WEBHOOK_BATCH
    delivered = 0
    while delivered < limit:
        step = _push_next(subscription_id)
        if step is not Step.DELIVERED:
            break
        delivered += 1
    else:
        schedule_push(subscription_id)
    return delivered


def _push_next(subscription_id: int) -> Step:
    subscription = WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).first()
    if subscription is None:
        return Step.BUSY
    _cursor(subscription)
    with transaction.atomic():
        cursor = (
            BusCursor.objects.select_for_update(skip_locked=True)
            .filter(name=cursor_name(subscription_id))
            .first()
        )
        if cursor is None:
            return Step.BUSY
        item = _next_item(subscription, cursor.seq)
        if item is None:
            return Step.IDLE
        push = DocumentPush.objects.filter(subscription=subscription, item=item).first()
        if push is not None:
            if push.status == DEAD:
                return Step.BLOCKED
            if push.next_attempt_at and push.next_attempt_at > timezone.now():
                return Step.WAITING
        body = push_body(item)
        status, error = post_event(
            subscription.url,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                SIGNATURE_HEADER: sign(subscription.secret, body),
                "Idempotency-Key": push_key(subscription.pk, item.seq),
                "X-MDM-Inbox-Seq": str(item.seq),
                "X-MDM-Subscription": str(subscription.pk),
            },
        )
        record_webhook_attempt(status)
        ok = status is not None and 200 <= status < 300
        timeline.record_sync(
            subscription.system.code, "document-webhook", succeeded=int(ok), failed=int(not ok)
        )
        now = timezone.now()
        if push is None and not ok:
            push = DocumentPush(subscription=subscription, item=item)
        if push is not None:
            push.attempts += 1
            push.last_status_code = status
            push.last_error = error[:2000]
        if ok:
            cursor.seq = item.seq
            cursor.save(update_fields=["seq"])
            InboxItem.objects.filter(pk=item.pk, pushed_at__isnull=True).update(pushed_at=now)
            if push is not None:
                push.status, push.delivered_at, push.next_attempt_at = DELIVERED, now, None
                push.save()
            return Step.DELIVERED
        assert push is not None
        if push.attempts >= settings.MDM_WEBHOOK_MAX_ATTEMPTS:
            push.status, push.next_attempt_at = DEAD, None
            DocumentStatus.objects.create(
                document=item.document,
                state=item.document.state,
                detail=f"webhook to {subscription.system.code}: dead letter after "
                f"{push.attempts} attempts ({error or status})"[:500],
            )
        else:
            push.status, push.next_attempt_at = RETRYING, now + backoff(push.attempts)
            schedule_push(subscription.pk, countdown=backoff(push.attempts).total_seconds())
        push.save()
        return Step.FAILED


def resend_push(*, push_id: int, reason: str, actor: str = "") -> DocumentPush:
    """Try a dead (or retrying) push again now, with a reason recorded on the timeline."""
    return _operate(push_id, reason, actor, resend=True)


def cancel_push(*, push_id: int, reason: str, actor: str = "") -> DocumentPush:
    """Give up on a dead push: the subscription moves on to the next item."""
    return _operate(push_id, reason, actor, resend=False)


def _operate(push_id: int, reason: str, actor: str, *, resend: bool) -> DocumentPush:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写原因", "A reason is required", code="reason_required")
    with transaction.atomic():
        push = (
            DocumentPush.objects.select_for_update()
            .select_related("item__document", "subscription__system")
            .get(pk=push_id)
        )
        if push.status in (DELIVERED, CANCELLED):
            raise ServiceError(
                "该推送已结束", f"Push {push_id} is {push.status} already", code="push_finished"
            )
        cursor = BusCursor.objects.select_for_update().get(name=cursor_name(push.subscription_id))
        if resend:
            push.status, push.attempts, push.next_attempt_at = RETRYING, 0, None
            what = "resent"
        else:
            push.status, push.next_attempt_at = CANCELLED, None
            cursor.seq = max(cursor.seq, push.item_id)
            cursor.save(update_fields=["seq"])
            what = "cancelled"
        push.save()
        document = push.item.document
        DocumentStatus.objects.create(
            document=document,
            state=document.state,
            detail=f"webhook to {push.subscription.system.code} {what}"
            f"{' by ' + actor if actor else ''}: {reason}"[:500],
        )
        schedule_push(push.subscription_id)
    return push


def schedule_push(subscription_id: int, *, countdown: float | None = None) -> None:
    """Enqueue a push run after commit (workers only, as ``mdm.feed.webhooks``)."""
    if app.conf.task_always_eager:
        return
    transaction.on_commit(
        lambda: push_documents_task.apply_async((subscription_id,), countdown=countdown),
        robust=True,
    )


def schedule_pushes_for(system_id: int) -> None:
    """After this transaction commits, wake the pushers of ``system_id``'s subscriptions."""
    if app.conf.task_always_eager or not settings.MDM_WEBHOOK_DISPATCH_ON_COMMIT:
        return
    transaction.on_commit(lambda: _wake(system_id), robust=True)


def _wake(system_id: int) -> None:
    for pk in WebhookSubscription.objects.filter(system_id=system_id, is_active=True).values_list(
        "pk", flat=True
    ):
        push_documents_task.apply_async((pk,), retry=False)


@app.task(name="mdm.tasks.dispatch_document_pushes_task", ignore_result=True)
def dispatch_document_pushes_task() -> int:
    """Wake a pusher for every subscription with an inbox item to push now (the beat; how
    backed-off retries resume when no worker message is pending)."""
    ready = subscriptions_with_pushes()
    for pk in ready:
        push_documents_task.delay(pk)
    return len(ready)


@app.task(name="mdm.tasks.push_documents_task", ignore_result=True)
def push_documents_task(subscription_id: int) -> int:
    return push_subscription(subscription_id)
