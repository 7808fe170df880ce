"""The whole loop on the real services: a CRM order reaches the ERP on every channel (pull, a
webhook receiver on 127.0.0.1, a real RabbitMQ queue) in the ERP's codes and with only the
fields it is granted; its status comes back to the CRM. Delivery runs in a real Celery worker
process (Redis broker) on the test database. The worker reaches RabbitMQ through a TCP
forwarder the test takes down and brings back: a broker outage delays the bus, loses nothing
and does not hold up the webhooks."""

from __future__ import annotations

import json
import os
import time
import uuid
from urllib.parse import urlsplit

import pytest
import redis
from kombu import Connection

from mdm.documents.bus import publish_bus_task
from mdm.documents.configuration import add_document_route, grant_document
from mdm.documents.models import BusCursor, InboxItem
from mdm.feed.webhooks import create_subscription
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import (
    publishing_to,
    start_worker,
    stop_worker,
    wait_until,
    worker_database_url,
)
from tests.support.webhooks import Receiver, serve_receiver

AMQP_URL = os.environ.get("MDM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}
PUJIANG = {"name": "上海浦江物流有限公司", "customer_type": "org"}
MATEBOOK = {"name": "华为 MateBook 14", "uom": "PCE", "gtin": "6901234567892"}
ORDER = {
    "customer": "BJ-1",
    "price_total": 12999,
    "lines": [{"product": "P-1", "qty": 2, "price": 6499.5}],
}
WAIT = 30


@pytest.fixture(scope="module")
def amqp():
    """This module's exchange on the real RabbitMQ, and a forwarder the worker reaches it by."""
    url = urlsplit(AMQP_URL)
    try:
        with Connection(AMQP_URL, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except OSError as exc:
        pytest.fail(f"RabbitMQ is required at {AMQP_URL}: {exc}")
    proxy = TcpProxy((url.hostname or "127.0.0.1", url.port or 5672)).start()
    exchange = f"mdm-loop-{uuid.uuid4().hex[:10]}"
    via = f"amqp://{url.username}:{url.password}@127.0.0.1:{proxy.port}{url.path or '/'}"
    yield proxy, exchange, via
    proxy.stop()
    with Connection(AMQP_URL) as conn:
        channel = conn.channel()
        for code in ("ERP", "CRM"):
            channel.queue_delete(f"{exchange}.{code}")
        channel.exchange_delete(exchange)


@pytest.fixture(scope="module")
def worker(amqp, django_db_setup, django_db_blocker, tmp_path_factory):
    _, exchange, via = amqp
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is required ({REDIS_URL}): {exc}")
    with django_db_blocker.unblock():
        database_url = worker_database_url()
    queue = f"mdm-loop-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path_factory.mktemp("loop-worker") / "worker.log"
    process = start_worker(
        database_url=database_url,
        redis_url=REDIS_URL,
        queue=queue,
        log_path=log_path,
        env={"MDM_AMQP_URL": via, "MDM_AMQP_EXCHANGE": exchange, "MDM_AMQP_TIMEOUT": "2"},
    )
    try:
        yield queue
    finally:
        stop_worker(process)
        if os.environ.get("MDM_SHOW_WORKER_LOG"):
            print(log_path.read_text())


@pytest.fixture
def loop(restore_after_flush, transactional_db, amqp, worker, settings, erp, crm):
    """CRM and ERP share a customer and a product; CRM sends orders to ERP, which is granted
    the customer and each line's product and quantity only (no prices); both have webhooks."""
    _, exchange, via = amqp
    settings.MDM_AMQP_URL = via
    settings.MDM_AMQP_EXCHANGE = exchange
    settings.MDM_WEBHOOK_DISPATCH_ON_COMMIT = True
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    assert crm.put("products", "P-1", MATEBOOK).status_code == 201
    assert erp.put("products", "MAT-1", MATEBOOK).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    grant_document(
        receiver_code="ERP",
        type_code="sales_order",
        fields=["customer", "lines[].product", "lines[].qty"],
    )
    with serve_receiver() as erp_hook, serve_receiver() as crm_hook:
        create_subscription(system=erp.system, url=erp_hook.url, secret="e" * 32)
        create_subscription(system=crm.system, url=crm_hook.url, secret="c" * 32)
        with publishing_to(worker, REDIS_URL):
            yield erp, crm, erp_hook, crm_hook, exchange


def _pushed(hook: Receiver) -> list[dict]:
    """The inbox items the receiver accepted (its master-data events left aside)."""
    return [json.loads(r.body) for r in hook.accepted() if r.header("X-MDM-Inbox-Seq")]


class Queue:
    """Reads a system's durable queue on the real broker (directly, not through the forwarder),
    keeping what it read."""

    def __init__(self, name: str):
        self.name = name
        self.got: list[tuple[str, dict]] = []

    def read(self) -> list[tuple[str, dict]]:
        with Connection(AMQP_URL) as conn:
            queue = conn.SimpleQueue(self.name, no_ack=False)
            while True:
                try:
                    message = queue.get(timeout=0.2)
                except queue.Empty:
                    break
                assert message.properties.get("delivery_mode") == 2
                self.got.append((message.delivery_info["routing_key"], json.loads(message.body)))
                message.ack()
            queue.close()
        return self.got

    def items(self, prefix: str) -> list[dict]:
        return [body for key, body in self.read() if key.startswith(prefix)]


def _inbox(system) -> list[dict]:
    return system.client.get("/api/v1/inbox/").json()["results"]


def test_an_order_travels_from_crm_to_erp_and_its_status_comes_back_on_every_channel(loop):
    erp, crm, erp_hook, crm_hook, exchange = loop
    erp_queue, crm_queue = Queue(f"{exchange}.ERP"), Queue(f"{exchange}.CRM")

    sent = crm.client.put("/api/v1/documents/CRM/sales_order/SO-1", ORDER, format="json")
    assert sent.status_code == 201 and sent.json()["state"] == "accepted"

    (pushed,) = wait_until(lambda: _pushed(erp_hook), timeout=WAIT, what="the ERP's webhook")
    (on_bus,) = wait_until(
        lambda: erp_queue.items("document.sales_order.ERP"), timeout=WAIT, what="the ERP queue"
    )
    (pulled,) = _inbox(erp)
    assert pushed == on_bus == pulled  # one body on every channel
    document = pulled["document"]
    assert document["customer"]["code"] == "100234"
    assert document["lines"] == [
        {
            "product": {
                "code": "MAT-1",
                "golden_code": document["lines"][0]["product"]["golden_code"],
            },
            "qty": 2,
        }
    ]
    assert "price_total" not in document  # not granted to the ERP
    assert wait_until(
        lambda: erp_queue.items("event.customers."), timeout=WAIT, what="master-data events"
    )

    again = crm.client.put("/api/v1/documents/CRM/sales_order/SO-1", ORDER, format="json")
    assert again.status_code == 200 and again.json()["revision"] == 1  # a duplicate post

    held = crm.client.put(
        "/api/v1/documents/CRM/sales_order/SO-2", {**ORDER, "customer": "SH-9"}, format="json"
    )
    assert held.status_code == 201 and held.json()["state"] == "held"  # CRM does not know SH-9
    assert crm.put("customers", "SH-9", PUJIANG).status_code == 201
    # The CRM's own upsert does not release it: the ERP still has no code for SH-9.
    again_held = crm.client.get("/api/v1/documents/CRM/sales_order/SO-2").json()
    assert again_held["receivers"]["ERP"]["state"] == "held"
    assert erp.put("customers", "200777", PUJIANG).status_code == 201  # now the ERP has it
    wait_until(lambda: len(_pushed(erp_hook)) == 2, timeout=WAIT, what="the released order")
    assert [i["doc_id"] for i in _pushed(erp_hook)] == ["SO-1", "SO-2"]  # SO-1 once only
    assert _pushed(erp_hook)[1]["document"]["customer"]["code"] == "200777"

    ack = erp.client.post(
        "/api/v1/documents/CRM/sales_order/SO-1/ack", {"doc_id": "4500012345"}, format="json"
    )
    assert ack.status_code == 200
    shipped = erp.client.post(
        "/api/v1/documents/CRM/sales_order/SO-1/status",
        {"state": "shipped", "detail": "出库单 80001"},
        format="json",
    )
    assert shipped.status_code == 200

    back = wait_until(
        lambda: len(_pushed(crm_hook)) == 2 and _pushed(crm_hook), timeout=WAIT, what="CRM hook"
    )
    assert [(i["state"], i["receiver_doc_id"]) for i in back] == [
        ("acknowledged", "4500012345"),
        ("shipped", "4500012345"),
    ]
    statuses = wait_until(
        lambda: (
            len(crm_queue.items("status.sales_order.CRM")) == 2
            and crm_queue.items("status.sales_order.CRM")
        ),
        timeout=WAIT,
        what="the CRM queue",
    )
    assert statuses == back == _inbox(crm)
    assert len(erp_queue.items("document.")) == 2  # nothing published twice


def test_a_broker_outage_delays_the_bus_loses_nothing_and_spares_the_webhooks(loop, amqp):
    erp, crm, erp_hook, _, exchange = loop
    proxy = amqp[0]
    erp_queue = Queue(f"{exchange}.ERP")
    publish_bus_task.delay()  # declares the queues while the broker is there
    wait_until(lambda: BusCursor.objects.filter(name="events").exists(), timeout=WAIT, what="bus")
    proxy.stop()
    try:
        sent = crm.client.put("/api/v1/documents/CRM/sales_order/SO-3", ORDER, format="json")
        assert sent.status_code == 201  # the write does not wait for the broker
        wait_until(lambda: _pushed(erp_hook), timeout=WAIT, what="the webhook during the outage")
        time.sleep(3)  # the worker tried to publish and failed
        seq = InboxItem.objects.get(system=erp.system).seq
        assert BusCursor.objects.get(name="inbox").seq < seq
    finally:
        proxy.start()  # the broker is back, on the same address

    publish_bus_task.delay()  # what the beat does every MDM_BUS_PUBLISH_SECONDS
    (on_bus,) = wait_until(
        lambda: erp_queue.items("document."), timeout=WAIT, what="the order after the outage"
    )
    assert on_bus["doc_id"] == "SO-3" and on_bus == _inbox(erp)[0]
