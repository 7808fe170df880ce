"""Documents and status changes pushed over the signed webhooks, against a local receiver on
127.0.0.1: the same body as the inbox, in order, retried, dead-lettered, resent or cancelled
with a reason on the timeline."""

from __future__ import annotations

import json

import pytest

from mdm.documents.configuration import add_document_route
from mdm.documents.models import DocumentPush, InboxItem
from mdm.documents.push import cancel_push, push_subscription, resend_push
from mdm.errors import ServiceError
from mdm.feed.webhooks import create_subscription
from tests.support.webhooks import serve_receiver

HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}
SECRET = "k" * 32


@pytest.fixture
def receiver():
    with serve_receiver() as state:
        yield state


@pytest.fixture
def linked(erp, crm):
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    return erp, crm


@pytest.fixture
def erp_hook(linked, receiver):
    erp, _ = linked
    subscription, _ = create_subscription(system=erp.system, url=receiver.url, secret=SECRET)
    return subscription


@pytest.fixture
def quick_retries(settings):
    settings.MDM_WEBHOOK_MAX_ATTEMPTS = 2
    settings.MDM_WEBHOOK_BACKOFF_SECONDS = 0


def _order(crm, doc_id: str):
    reply = crm.client.put(
        f"/api/v1/documents/CRM/sales_order/{doc_id}", {"customer": "BJ-1"}, format="json"
    )
    assert reply.status_code == 201, reply.content
    return reply


def test_the_receiver_gets_its_documents_signed_in_the_inbox_body(linked, erp_hook, receiver):
    erp, crm = linked
    _order(crm, "SO-1")
    _order(crm, "SO-2")

    assert push_subscription(erp_hook.pk) == 2

    first, second = receiver.accepted()
    inbox = erp.client.get("/api/v1/inbox/").json()["results"]
    assert [json.loads(r.body) for r in (first, second)] == inbox  # the same body as the pull
    assert json.loads(first.body)["document"]["customer"]["code"] == "100234"
    assert first.signed_with(SECRET) and second.signed_with(SECRET)
    assert first.header("Idempotency-Key") == f"{erp_hook.pk}:inbox:{inbox[0]['seq']}"
    assert push_subscription(erp_hook.pk) == 0  # nothing twice


def test_status_changes_go_back_to_the_senders_webhook(linked, receiver):
    erp, crm = linked
    hook, _ = create_subscription(system=crm.system, url=receiver.url, secret=SECRET)
    _order(crm, "SO-3")
    ack = erp.client.post(
        "/api/v1/documents/CRM/sales_order/SO-3/ack", {"doc_id": "45001"}, format="json"
    )
    assert ack.status_code == 200, ack.content

    assert push_subscription(hook.pk) == 1

    (got,) = receiver.accepted()
    body = json.loads(got.body)
    assert (body["kind"], body["state"], body["receiver_doc_id"]) == (
        "status",
        "acknowledged",
        "45001",
    )


def test_a_failing_receiver_is_retried_then_dead_lettered_and_later_items_wait(
    linked, erp_hook, receiver, quick_retries
):
    _, crm = linked
    _order(crm, "SO-4")
    _order(crm, "SO-5")
    receiver.script = [500, 503]

    assert push_subscription(erp_hook.pk) == 0
    assert push_subscription(erp_hook.pk) == 0

    (push,) = DocumentPush.objects.all()
    assert (push.status, push.attempts, push.last_status_code) == ("dead", 2, 503)
    assert push_subscription(erp_hook.pk) == 0  # SO-5 waits behind the dead letter
    assert receiver.accepted() == []
    timeline = crm.client.get("/api/v1/documents/CRM/sales_order/SO-4").json()["timeline"]
    assert "dead letter after 2 attempts" in timeline[-1]["detail"]

    with pytest.raises(ServiceError):
        resend_push(push_id=push.pk, reason="  ")
    resend_push(push_id=push.pk, reason="receiver fixed", actor="ops")

    assert push_subscription(erp_hook.pk) == 2
    assert [json.loads(r.body)["doc_id"] for r in receiver.accepted()] == ["SO-4", "SO-5"]
    timeline = crm.client.get("/api/v1/documents/CRM/sales_order/SO-4").json()["timeline"]
    assert "resent by ops: receiver fixed" in timeline[-1]["detail"]


def test_a_cancelled_dead_letter_lets_the_next_item_go(linked, erp_hook, receiver, quick_retries):
    _, crm = linked
    _order(crm, "SO-6")
    _order(crm, "SO-7")
    receiver.script = [500, 500]
    push_subscription(erp_hook.pk)
    push_subscription(erp_hook.pk)
    (push,) = DocumentPush.objects.filter(status="dead")

    cancel_push(push_id=push.pk, reason="the ERP keyed it by hand")

    assert push_subscription(erp_hook.pk) == 1
    assert [json.loads(r.body)["doc_id"] for r in receiver.accepted()] == ["SO-7"]
    with pytest.raises(ServiceError):
        cancel_push(push_id=push.pk, reason="again")


def test_a_new_subscription_starts_after_the_items_already_in_the_inbox(linked, receiver):
    erp, crm = linked
    _order(crm, "SO-8")
    assert InboxItem.objects.filter(system=erp.system).count() == 1
    hook, _ = create_subscription(system=erp.system, url=receiver.url, secret=SECRET)
    _order(crm, "SO-9")

    assert push_subscription(hook.pk) == 1
    assert [json.loads(r.body)["doc_id"] for r in receiver.accepted()] == ["SO-9"]
