"""Sync monitoring per route and channel: the admin's page with its charts, the figures in
/metrics, and the operators' actions on held and dead-lettered documents, each with a reason
on the timeline."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from mdm.documents.configuration import add_document_route
from mdm.documents.models import Document, DocumentPush
from mdm.documents.monitoring import sync_figures
from mdm.documents.push import push_subscription
from mdm.feed.webhooks import create_subscription
from tests.support.webhooks import serve_receiver

HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}
PUJIANG = {"name": "上海浦江物流有限公司", "customer_type": "org"}


@pytest.fixture
def receiver():
    with serve_receiver() as state:
        yield state


@pytest.fixture
def traffic(erp, crm, receiver, settings):
    """Two orders: SO-1 delivered (pull and webhook) and acknowledged, SO-2 held; then SO-3
    dead-lettered on the webhook."""
    settings.MDM_WEBHOOK_MAX_ATTEMPTS = 1
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    assert crm.put("customers", "SH-9", PUJIANG).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    hook, _ = create_subscription(system=erp.system, url=receiver.url, secret="s" * 32)
    for doc_id, customer in (("SO-1", "BJ-1"), ("SO-2", "SH-9")):
        crm.client.put(
            f"/api/v1/documents/CRM/sales_order/{doc_id}", {"customer": customer}, format="json"
        )
    assert push_subscription(hook.pk) == 1
    ack = erp.client.post("/api/v1/documents/CRM/sales_order/SO-1/ack", {}, format="json")
    assert ack.status_code == 200
    crm.client.put("/api/v1/documents/CRM/sales_order/SO-3", {"customer": "BJ-1"}, format="json")
    receiver.script = [500]
    push_subscription(hook.pk)
    return erp, crm, hook


def test_figures_per_route_and_channel(traffic):
    lines = {line.channel: line for line in sync_figures().lines}

    assert set(lines) == {"pull", "webhook"}  # no bus configured in this test
    pull, webhook = lines["pull"], lines["webhook"]
    assert (pull.type, pull.sender, pull.receiver) == ("sales_order", "CRM", "ERP")
    assert (pull.received, pull.translated, pull.held, pull.acknowledged) == (3, 2, 1, 1)
    assert (pull.delivered, pull.failed) == (2, 0)
    assert (webhook.delivered, webhook.failed) == (1, 1)
    assert round(webhook.success_percent) == 33
    assert webhook.p50_delivery_ms is not None and webhook.p50_delivery_ms >= 0
    assert pull.p95_ack_s is not None


def test_metrics_expose_the_sync_figures(traffic):
    text = Client().get("/metrics").content.decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    route = {"type": "sales_order", "sender": "CRM", "receiver": "ERP"}

    def get(name, **labels):
        return samples[(name, tuple(sorted({**route, **labels}.items())))]

    assert get("mdm_documents_last_hour", channel="webhook", stage="failed") == 1
    assert get("mdm_documents_last_hour", channel="pull", stage="held") == 1
    assert get("mdm_documents_success_ratio", channel="webhook") == pytest.approx(1 / 3)
    assert ("mdm_documents_dead_letters", (("channel", "webhook"),)) in samples
    assert samples[("mdm_documents_dead_letters", (("channel", "webhook"),))] == 1
    assert samples[("mdm_documents_held", ())] == 1
    assert any(name == "mdm_documents_latency_seconds" for name, _ in samples)


def test_the_admin_page_shows_the_routes_charts_and_backlog(traffic, admin_client):
    page = admin_client.get("/admin/mdm/document/sync/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "CRM → ERP" in html and html.count('class="ops-chart"') == 6  # 2 per channel
    assert 'id="sync-now"' in html and "webhook" in html


def test_operators_release_or_cancel_held_and_dead_documents_with_a_reason(traffic, admin_client):
    erp, crm, hook = traffic
    held = Document.objects.get(doc_id="SO-2")
    changelist = "/admin/mdm/document/"

    no_reason = admin_client.post(
        changelist, {"action": "cancel_documents", "_selected_action": [held.pk], "reason": ""}
    )
    assert no_reason.status_code == 302
    assert Document.objects.get(pk=held.pk).state == "held"  # a reason is required

    still = admin_client.post(
        changelist,
        {"action": "release_held", "_selected_action": [held.pk], "reason": "mapping fixed"},
        follow=True,
    )
    assert "ERP has no customers code" in still.content.decode()  # the missing one named
    assert erp.put("customers", "200777", PUJIANG).status_code == 201  # also releases it
    assert Document.objects.get(pk=held.pk).state == "accepted"

    admin_client.post(
        changelist,
        {"action": "cancel_documents", "_selected_action": [held.pk], "reason": "duplicate order"},
    )
    document = Document.objects.get(pk=held.pk)
    assert document.state == "cancelled"
    timeline = crm.client.get("/api/v1/documents/CRM/sales_order/SO-2").json()["timeline"]
    assert timeline[-1]["state"] == "cancelled" and "duplicate order" in timeline[-1]["detail"]
    inbox = erp.client.get("/api/v1/inbox/").json()["results"]
    assert inbox[-1]["kind"] == "status" and inbox[-1]["state"] == "cancelled"
    # The partner hears why, not which of the hub's users cancelled it.
    assert "duplicate order" in inbox[-1]["detail"]
    assert admin_client.session.get("_auth_user_id")
    username = get_user_model().objects.get(pk=admin_client.session["_auth_user_id"]).username
    assert username not in inbox[-1]["detail"]

    dead = DocumentPush.objects.get(status="dead")
    admin_client.post(
        "/admin/mdm/documentpush/",
        {"action": "resend", "_selected_action": [dead.pk], "reason": "receiver back"},
    )
    assert DocumentPush.objects.get(pk=dead.pk).status == "retrying"
    assert push_subscription(hook.pk) >= 1
    assert DocumentPush.objects.get(pk=dead.pk).status == "delivered"
    timeline = crm.client.get("/api/v1/documents/CRM/sales_order/SO-3").json()["timeline"]
    assert "receiver back" in timeline[-1]["detail"]
