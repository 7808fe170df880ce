"""`make bench-relay`: documents with 10 lines translated and delivered per second, and the
latency accepted -> published over the bus, with 100,000 golden customers and 10,000 products
loaded (see ``mdm.devtools.benchmarks.relay``). Needs a PostgreSQL database whose name
contains "bench" and RabbitMQ at MDM_BENCH_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672//).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from kombu import Connection

from dictionary.services import load_starter_dictionary
from mdm.devtools.benchmarks import relay
from mdm.documents.batch import receive_documents
from mdm.documents.configuration import add_document_route
from mdm.documents.models import BusCursor, Document, DocumentType, InboxItem
from mdm.documents.services import receive_document
from mdm.documents.starter import ensure_starter_document_types
from mdm.models import Event


class Command(BaseCommand):
    help = "Business documents: translated per second, and accepted -> published latency."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--products", type=int, default=10_000)
        parser.add_argument("--documents", type=int, default=5_000, help="batch run")
        parser.add_argument("--single", type=int, default=500, help="one-by-one run")
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--bus-documents", type=int, default=1_000, help="bus run")
        parser.add_argument(
            "--rate", type=float, default=100.0, help="documents/s sent in the bus run"
        )
        parser.add_argument("--seed", type=int, default=7)

    def handle(
        self,
        *args,
        customers,
        products,
        documents,
        single,
        batch_size,
        bus_documents,
        rate,
        seed,
        **o,
    ):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError("run on a PostgreSQL database whose name contains 'bench'")
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        ensure_starter_document_types(DocumentType)
        if relay.loaded("customers") != customers or relay.loaded("products") != products:
            seconds = relay.load(customers, products)
            self.stdout.write(
                f"loaded {customers:,} golden customers and {products:,} products "
                f"(each with a CRM and an ERP code) in {seconds:.1f} s"
            )
        else:
            self.stdout.write(f"{customers:,} customers and {products:,} products already loaded")
        crm, erp = relay.systems()
        add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
        Document.objects.filter(sender=crm).delete()
        rng = random.Random(seed)
        run = uuid.uuid4().hex[:6]

        settings.MDM_AMQP_URL = ""  # the translation runs: the pull channel only
        orders = [relay.order(rng, customers, products) for _ in range(documents)]
        started = time.perf_counter()
        held = 0
        for n, body in enumerate(orders[:single]):
            receipt = receive_document(
                sender=crm, type_code="sales_order", doc_id=f"S{run}-{n}", payload=body
            )
            held += receipt.document.state == "held"
        elapsed = time.perf_counter() - started
        delivered = InboxItem.objects.filter(
            system=erp, document__doc_id__startswith=f"S{run}-"
        ).count()
        self.stdout.write(
            f"translated one by one (PUT): {single:,} documents x 10 lines in {elapsed:.2f} s "
            f"= {single / elapsed:,.0f} documents/s ({delivered:,} delivered to the ERP inbox, "
            f"{held} held)"
        )
        started = time.perf_counter()
        held = 0
        for start in range(0, documents, batch_size):
            outcomes = receive_documents(
                sender=crm,
                type_code="sales_order",
                items=[
                    {"doc_id": f"B{run}-{start + i}", "document": body}
                    for i, body in enumerate(orders[start : start + batch_size])
                ],
            )
            held += sum(o.held for o in outcomes)
            assert not any(o.error for o in outcomes)
        elapsed = time.perf_counter() - started
        delivered = InboxItem.objects.filter(
            system=erp, document__doc_id__startswith=f"B{run}-"
        ).count()
        self.stdout.write(
            f"translated in batches of {batch_size} (POST …/bulk): {documents:,} documents x 10 "
            f"lines in {elapsed:.2f} s = {documents / elapsed:,.0f} documents/s ({delivered:,} "
            f"delivered to the ERP inbox, {held} held)"
        )
        self._bus(crm, rng, customers, products, bus_documents, rate, run)

    def _bus(self, crm, rng, customers, products, count, rate, run) -> None:
        amqp = os.environ.get("MDM_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
        exchange = f"mdm-bench-{run}"
        settings.MDM_AMQP_URL, settings.MDM_AMQP_EXCHANGE = amqp, exchange
        queue_name = f"{exchange}.ERP"
        # The translation runs' items were not meant for the bus: start it after them.
        for cursor, model in (("inbox", InboxItem), ("events", Event)):
            last = model.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            BusCursor.objects.update_or_create(name=cursor, defaults={"seq": last})
        # The publisher: a dedicated process (`publish_bus --forever`), as deployed.
        env = {
            **os.environ,
            "MDM_AMQP_URL": amqp,
            "MDM_AMQP_EXCHANGE": exchange,
            "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        }
        publisher = subprocess.Popen(
            [sys.executable, "manage.py", "publish_bus", "--forever"],
            cwd=settings.BASE_DIR,
            env=env,
        )
        seen: dict[str, float] = {}
        stop = threading.Event()
        consumer = threading.Thread(target=lambda: consume(), daemon=True)

        def consume() -> None:
            with Connection(amqp) as conn:
                queue = conn.SimpleQueue(queue_name, no_ack=True)
                while not stop.is_set():
                    try:
                        message = queue.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    body = json.loads(message.body)
                    if body.get("kind") == "document":
                        seen[body["doc_id"]] = time.perf_counter()
                queue.close()

        try:
            time.sleep(3)  # the publisher connects and declares the queues
            consumer.start()
            time.sleep(0.5)
            accepted: dict[str, float] = {}
            gap = 1.0 / rate
            next_at = time.perf_counter()
            for n in range(count):
                body = relay.order(rng, customers, products)
                doc_id = f"L{run}-{n}"
                receive_document(sender=crm, type_code="sales_order", doc_id=doc_id, payload=body)
                accepted[doc_id] = time.perf_counter()
                next_at += gap
                pause = next_at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            accepted_first, accepted_last = min(accepted.values()), max(accepted.values())
            deadline = time.perf_counter() + 30
            while len(seen) < count and time.perf_counter() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            consumer.join(timeout=5)
            publisher.terminate()
            publisher.wait(timeout=15)
            with Connection(amqp) as conn:
                channel = conn.channel()
                for code in ("ERP", "CRM"):
                    channel.queue_delete(f"{exchange}.{code}")
                channel.exchange_delete(exchange)
        sent_for = accepted_last - accepted_first if count > 1 else 0.0
        latencies = [(seen[d] - accepted[d]) * 1000 for d in accepted if d in seen]
        if not latencies:
            raise CommandError("no document reached the queue")
        self.stdout.write(
            f"bus: {len(latencies):,}/{count:,} documents sent one by one "
            f"({count / sent_for if sent_for else 0:,.0f}/s, asked {rate:.0f}/s), accepted -> read "
            f"from the ERP queue: p50 {relay.percentile(latencies, 0.5):.1f} ms, "
            f"p99 {relay.percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies):.1f} ms"
        )
