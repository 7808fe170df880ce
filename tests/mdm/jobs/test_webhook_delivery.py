"""Webhook delivery in process, against a local HTTP receiver: signing, order, retries, dead
letters, redelivery, and that the write path never waits for a receiver."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError

from mdm.feed.events import write_events
from mdm.feed.webhooks import (
    backoff,
    create_subscription,
    deliver_subscription,
    event_body,
    redeliver,
    redeliver_from,
    skip_dead,
    subscriptions_with_work,
)
from mdm.models import Event, WebhookDelivery, WebhookSubscription
from mdm.tasks import dispatch_webhooks_task

pytestmark = pytest.mark.django_db


def _events(*entities: str) -> list[int]:
    write_events(
        [
            Event(entity=e, golden_code=f"G{n}", kind="updated", payload={"n": n})
            for n, e in enumerate(entities)
        ]
    )
    return list(Event.objects.order_by("seq").values_list("seq", flat=True))


def _cursor(subscription: WebhookSubscription) -> int:
    return WebhookSubscription.objects.get(pk=subscription.pk).cursor


@pytest.fixture
def subscription(erp, receiver):
    subscription, _ = create_subscription(
        system=erp.system, url=receiver.url, entities=["customers"], secret="s" * 32
    )
    return subscription


@pytest.fixture
def quick_retries(settings):
    settings.MDM_WEBHOOK_MAX_ATTEMPTS = 2
    settings.MDM_WEBHOOK_BACKOFF_SECONDS = 0


def test_events_are_posted_in_order_signed_with_an_idempotency_key(subscription, receiver):
    seqs = _events("customers", "products", "customers", "customers")
    wanted = [seqs[0], seqs[2], seqs[3]]

    delivered = deliver_subscription(subscription.pk)

    assert delivered == 3
    assert [r.seq for r in receiver.requests] == wanted
    for request, seq in zip(receiver.requests, wanted, strict=True):
        assert request.body == event_body(Event.objects.get(seq=seq))
        assert request.signed_with("s" * 32)
        assert request.header("Idempotency-Key") == f"{subscription.pk}:{seq}"
        assert request.header("Content-Type") == "application/json; charset=utf-8"
    assert json.loads(receiver.requests[0].body)["payload"] == {"n": 0}
    assert _cursor(subscription) == seqs[3]
    assert WebhookDelivery.objects.count() == 0  # first-time successes only move the cursor


def test_a_new_subscription_starts_after_the_current_last_event(erp, receiver):
    old = _events("customers")
    subscription, secret = create_subscription(system=erp.system, url=receiver.url)
    new = _events("customers")[-1]

    deliver_subscription(subscription.pk)

    assert len(secret) >= 32 and subscription.cursor == old[-1]
    assert [r.seq for r in receiver.requests] == [new]


def test_a_failure_waits_for_its_backoff_and_holds_the_events_behind_it(
    subscription, receiver, settings
):
    settings.MDM_WEBHOOK_BACKOFF_SECONDS = 30
    seqs = _events("customers", "customers")
    receiver.script = [500]

    first = deliver_subscription(subscription.pk)
    second = deliver_subscription(subscription.pk)

    assert (first, second) == (0, 0)
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event_id, delivery.status, delivery.attempts) == (seqs[0], "retrying", 1)
    assert (
        delivery.last_status_code == 500 and delivery.last_error == "HTTP 500 Internal Server Error"
    )
    assert delivery.next_attempt_at > delivery.updated_at + timedelta(seconds=29)
    assert subscriptions_with_work() == []
    assert _cursor(subscription) == subscription.cursor  # not moved


def test_backoff_doubles_up_to_its_cap(settings):
    settings.MDM_WEBHOOK_BACKOFF_SECONDS = 30
    settings.MDM_WEBHOOK_BACKOFF_MAX_SECONDS = 3600

    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8)] == [30, 60, 120, 3600]


def test_after_max_attempts_the_delivery_is_dead_and_stops_the_subscription(
    subscription, receiver, quick_retries
):
    _events("customers", "customers")
    receiver.script = [500, 503]

    deliver_subscription(subscription.pk)
    deliver_subscription(subscription.pk)
    deliver_subscription(subscription.pk)

    assert [r.status for r in receiver.requests] == [500, 503]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("dead", 2, 503)
    assert _cursor(subscription) == subscription.cursor  # not moved
    assert subscriptions_with_work() == []
    assert list(delivery.history.values_list("history_change_reason", flat=True)) == [
        "dead after 2 attempts",
        "attempt 1 failed",
    ]


def test_redelivering_a_dead_letter_resumes_the_subscription_in_order(
    subscription, receiver, quick_retries
):
    seqs = _events("customers", "customers", "customers")
    receiver.script = [500, 500]
    deliver_subscription(subscription.pk)
    deliver_subscription(subscription.pk)
    dead = WebhookDelivery.objects.get(status="dead")

    redeliver(delivery_ids=[dead.pk])
    deliver_subscription(subscription.pk)

    assert [r.seq for r in receiver.accepted()] == seqs
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.last_status_code) == ("delivered", 1, 200)
    assert _cursor(subscription) == seqs[-1]


def test_skipping_a_dead_letter_moves_on_to_the_next_event(subscription, receiver, quick_retries):
    seqs = _events("customers", "customers")
    receiver.script = [500, 500]
    deliver_subscription(subscription.pk)
    deliver_subscription(subscription.pk)

    skipped = skip_dead(delivery_ids=WebhookDelivery.objects.values_list("pk", flat=True))
    deliver_subscription(subscription.pk)

    assert skipped == 1
    assert [r.seq for r in receiver.accepted()] == [seqs[1]]
    assert WebhookDelivery.objects.get().status == "skipped"
    assert _cursor(subscription) == seqs[1]


def test_redeliver_from_seq_sends_the_events_again_with_the_same_keys(subscription, receiver):
    seqs = _events("customers", "customers", "customers")
    deliver_subscription(subscription.pk)

    redeliver_from(subscription_id=subscription.pk, seq=seqs[1])
    deliver_subscription(subscription.pk)

    assert [r.seq for r in receiver.requests] == [*seqs, seqs[1], seqs[2]]
    assert receiver.requests[1].header("Idempotency-Key") == receiver.requests[3].header(
        "Idempotency-Key"
    )
    latest = subscription.history.first()
    assert latest.history_change_reason == (
        f"redeliver from seq {seqs[1]} (cursor {seqs[2]} -> {seqs[0]})"
    )


def test_a_redirect_is_a_failure_not_a_hop(subscription, receiver):
    _events("customers")
    receiver.script = [302]

    deliver_subscription(subscription.pk)

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().last_status_code == 302


def test_an_unreachable_receiver_is_a_failed_attempt(erp):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    subscription, _ = create_subscription(
        system=erp.system, url=f"http://127.0.0.1:{port}/hook", start_after=0
    )
    _events("customers")

    assert deliver_subscription(subscription.pk) == 0

    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code is None
    assert "Connection refused" in delivery.last_error


def test_an_inactive_subscription_gets_nothing(subscription, receiver):
    _events("customers")
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)

    assert deliver_subscription(subscription.pk) == 0
    assert subscriptions_with_work() == []
    assert receiver.requests == []


def test_an_upsert_wakes_the_deliverers_after_commit(
    subscription, receiver, erp, settings, django_capture_on_commit_callbacks
):
    settings.MDM_WEBHOOK_DISPATCH_ON_COMMIT = True

    with django_capture_on_commit_callbacks(execute=True):
        response = erp.put(
            "customers", "SD01-1", {"name": "北京华信科技有限公司", "customer_type": "org"}
        )

    assert response.status_code == 201
    assert [json.loads(r.body)["golden_code"] for r in receiver.requests] == [
        response.json()["golden_code"]
    ]


def test_a_broker_outage_never_fails_an_upsert(
    subscription, receiver, erp, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.MDM_WEBHOOK_DISPATCH_ON_COMMIT = True

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(dispatch_webhooks_task, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = erp.put(
            "customers", "SD01-1", {"name": "北京华信科技有限公司", "customer_type": "org"}
        )

    assert response.status_code == 201
    assert receiver.requests == []
    assert subscriptions_with_work() == [subscription.pk]  # the beat's dispatch catches up


def test_without_an_active_subscription_an_upsert_sends_no_message(
    erp, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.MDM_WEBHOOK_DISPATCH_ON_COMMIT = True
    sent = []
    monkeypatch.setattr(dispatch_webhooks_task, "apply_async", lambda **kw: sent.append(kw))

    with django_capture_on_commit_callbacks(execute=True):
        erp.put("customers", "SD01-1", {"name": "北京华信科技有限公司", "customer_type": "org"})

    assert sent == []
