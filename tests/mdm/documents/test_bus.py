"""Documents and master-data events on a real RabbitMQ (127.0.0.1:5672): a durable queue per
receiving system, persistent messages with seq and idempotency key, nothing lost while the
broker is unreachable."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.db import transaction
from kombu import Connection

from mdm.documents import bus
from mdm.documents.configuration import add_document_route
from mdm.documents.models import BusCursor
from mdm.documents.services import receive_document

AMQP_URL = os.environ.get("MDM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}


@pytest.fixture
def broker(settings):
    """A RabbitMQ exchange of this test's own (so parallel runs never share queues)."""
    settings.MDM_AMQP_URL = AMQP_URL
    settings.MDM_AMQP_EXCHANGE = f"mdm-test-{uuid.uuid4().hex[:10]}"
    try:
        with Connection(AMQP_URL, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except OSError as exc:
        pytest.fail(f"RabbitMQ is required at {AMQP_URL}: {exc}")
    yield settings.MDM_AMQP_EXCHANGE
    with Connection(AMQP_URL) as conn:
        channel = conn.channel()
        for code in ("ERP", "CRM"):
            channel.queue_delete(f"{settings.MDM_AMQP_EXCHANGE}.{code}")
        channel.exchange_delete(settings.MDM_AMQP_EXCHANGE)


def _drain(queue_name: str) -> list[tuple[dict, dict, str]]:
    got = []
    with Connection(AMQP_URL) as conn:
        queue = conn.SimpleQueue(queue_name, no_ack=False)
        while True:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                break
            got.append(
                (
                    json.loads(message.body),
                    dict(message.headers),
                    message.delivery_info["routing_key"],
                )
            )
            assert message.properties.get("delivery_mode") == 2  # persistent
            message.ack()
        queue.close()
    return got


def test_an_order_and_the_master_data_events_reach_the_erp_queue(broker, erp, crm):
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    assert (
        crm.client.put(
            "/api/v1/documents/CRM/sales_order/SO-1",
            {"customer": "BJ-1", "lines": []},
            format="json",
        ).status_code
        == 201
    )

    done = bus.publish_pending()
    again = bus.publish_pending()

    assert done.error == "" and done.inbox == 1 and done.events >= 2
    assert (again.inbox, again.events) == (0, 0)  # the cursors moved: nothing twice
    messages = _drain(f"{broker}.ERP")
    documents = [m for m in messages if m[2] == "document.sales_order.ERP"]
    (order,) = documents
    body, headers, _ = order
    assert body["doc_id"] == "SO-1" and body["document"]["customer"]["code"] == "100234"
    assert headers["idempotency-key"] == f"inbox:{body['seq']}" and headers["seq"] == body["seq"]
    events = [m for m in messages if m[2].startswith("event.customers.")]
    assert events and all(m[1]["idempotency-key"].startswith("event:") for m in events)
    assert [m[1]["seq"] for m in events] == sorted(m[1]["seq"] for m in events)


def test_an_unreachable_broker_loses_nothing(broker, settings, erp, crm):
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    crm.client.put("/api/v1/documents/CRM/sales_order/SO-9", {"customer": "BJ-1"}, format="json")
    settings.MDM_AMQP_URL = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens there
    settings.MDM_AMQP_TIMEOUT = 1

    down = bus.publish_pending()

    assert down.error and (down.inbox, down.events) == (0, 0)
    assert not BusCursor.objects.filter(seq__gt=0).exists()
    settings.MDM_AMQP_URL = AMQP_URL
    back = bus.publish_pending()
    assert back.error == "" and back.inbox == 1
    assert [m[0]["doc_id"] for m in _drain(f"{broker}.ERP") if m[2].startswith("document.")] == [
        "SO-9"
    ]


def test_nothing_is_published_for_a_transaction_that_rolled_back(broker, erp, crm):
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    bus.publish_pending()
    _drain(f"{broker}.ERP")

    with pytest.raises(RuntimeError), transaction.atomic():
        receive_document(
            sender=crm.system, type_code="sales_order", doc_id="SO-X", payload={"customer": "BJ-1"}
        )
        raise RuntimeError("the caller's transaction fails after the relay")

    done = bus.publish_pending()
    assert done.error == "" and done.inbox == 0
    assert _drain(f"{broker}.ERP") == []
