"""Publishing inbox items and master-data events on the message bus (AMQP, RabbitMQ).

Contract (DESIGN.md): one topic exchange (``MDM_AMQP_EXCHANGE``, ``mdm``), routing keys
``document.{type}.{receiver}``, ``status.{type}.{receiver}`` and ``event.{entity}.{kind}``, a
durable queue ``{exchange}.{system}`` per receiving system (bound to its documents, its status
changes and the events of the entities it is granted), persistent messages, publisher
confirms; the body is the inbox item (or the feed item), with its ``seq`` and an idempotency
key in the headers.

The rows are the outbox: ``InboxItem`` and ``Event`` are written in the transaction of the
change, so nothing is published for a transaction that rolled back. ``publish_pending`` sends
what lies beyond the bus cursors, in order, and moves a cursor only after the broker confirmed
the messages: a broker that is down costs a delay, never a message (a message may go twice
after a crash between the confirm and the cursor update; the idempotency key tells).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu import Connection, Exchange, Queue, binding
from kombu.exceptions import KombuError

from mdm.celery import app
from mdm.documents.models import BusCursor, InboxItem
from mdm.models import Event, SourceSystem

logger = logging.getLogger(__name__)

#: Broker errors that mean "try again later" (connection refused, reset, timed out, no confirm).
BROKER_ERRORS = (OSError, KombuError, TimeoutError)


@dataclass
class Published:
    inbox: int = 0
    events: int = 0
    error: str = ""


def exchange() -> Exchange:
    return Exchange(settings.MDM_AMQP_EXCHANGE, type="topic", durable=True)


def queue_for(system: SourceSystem) -> Queue:
    """The system's durable queue and its bindings."""
    ex = exchange()
    bindings = [f"document.*.{system.code}", f"status.*.{system.code}"]
    entities = system.granted_entities or ["customers", "products", "materials"]
    bindings += [f"event.{entity}.*" for entity in entities]
    return Queue(
        f"{settings.MDM_AMQP_EXCHANGE}.{system.code}",
        bindings=[binding(ex, routing_key=key) for key in bindings],
        durable=True,
    )


def routing_key(item: InboxItem) -> str:
    return f"{item.kind}.{item.body.get('type', '')}.{item.system.code}"


def publish_pending(*, batch: int = 500) -> Published:
    """Publish the inbox items and events beyond the bus cursors (see the module doc), on a
    connection of its own (what the Celery task and the beat do)."""
    with Publisher() as publisher:
        return publisher.publish_pending(batch=batch)


class Publisher:
    """A publisher that keeps its broker connection between rounds (``publish_bus --forever``,
    a dedicated process: no connection set-up per round); reconnects after a broker error."""

    def __init__(self) -> None:
        self.conn: Connection | None = None
        self.producer: Any = None
        self.queues: set[int] = set()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(*BROKER_ERRORS):
                self.conn.release()
        self.conn, self.producer, self.queues = None, None, set()

    def _connect(self):
        if self.conn is None:
            conn = Connection(
                settings.MDM_AMQP_URL,
                connect_timeout=settings.MDM_AMQP_TIMEOUT,
                transport_options={"confirm_publish": True},
            )
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            ex = exchange()
            ex(channel).declare()
            self.conn, self.producer = conn, conn.Producer(channel, exchange=ex)
        systems = SourceSystem.objects.filter(is_active=True).exclude(pk__in=self.queues)
        for system in systems:  # a system registered since: its queue, before its messages
            queue_for(system)(self.producer.channel).declare()
            self.queues.add(system.pk)
        return self.producer

    def publish_pending(self, *, batch: int = 500) -> Published:
        done = Published()
        if not settings.MDM_AMQP_URL:
            return done
        try:
            producer = self._connect()
            done.inbox = _publish_inbox(producer, batch)
            done.events = _publish_events(producer, batch)
        except BROKER_ERRORS as exc:
            self.close()
            done.error = f"{type(exc).__name__}: {exc}"
            logger.warning("bus: publishing paused, the broker is unreachable (%s)", done.error)
        return done


def _publish_inbox(producer, batch: int) -> int:
    with transaction.atomic():
        cursor, _ = BusCursor.objects.select_for_update().get_or_create(name="inbox")
        items = list(
            InboxItem.objects.filter(seq__gt=cursor.seq)
            .select_related("system")
            .order_by("seq")[:batch]
        )
        for item in items:
            body = item.as_body()
            producer.publish(
                json.dumps(body, ensure_ascii=False),
                routing_key=routing_key(item),
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                headers={"seq": item.seq, "idempotency-key": f"inbox:{item.seq}"},
                retry=False,
            )
        if items:
            cursor.seq = items[-1].seq
            cursor.save(update_fields=["seq"])
            InboxItem.objects.filter(seq__in=[i.seq for i in items]).update(
                published_at=timezone.now()
            )
    return len(items)


def _publish_events(producer, batch: int) -> int:
    with transaction.atomic():
        cursor, _ = BusCursor.objects.select_for_update().get_or_create(name="events")
        events = list(Event.objects.filter(seq__gt=cursor.seq).order_by("seq")[:batch])
        for event in events:
            body = {
                "seq": event.seq,
                "entity": event.entity,
                "golden_code": event.golden_code,
                "kind": event.kind,
                # Masked when written (mdm.feed.events); without the members' local codes,
                # which a system sees only where it is granted (the crosswalk API applies that).
                "payload": {k: v for k, v in event.payload.items() if k != "members"},
            }
            producer.publish(
                json.dumps(body, ensure_ascii=False, default=str),
                routing_key=f"event.{event.entity}.{event.kind}",
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                headers={"seq": event.seq, "idempotency-key": f"event:{event.seq}"},
                retry=False,
            )
        if events:
            cursor.seq = events[-1].seq
            cursor.save(update_fields=["seq"])
    return len(events)


#: The PostgreSQL channel a dedicated publisher (``publish_bus --forever``) listens on.
NOTIFY_CHANNEL = "mdm_bus"


def notify_publisher() -> None:
    """Wake a dedicated publisher when this transaction commits (PostgreSQL ``NOTIFY``, sent
    at commit and not at all on rollback; notifications of one transaction are folded)."""
    if connection.vendor == "postgresql" and settings.MDM_AMQP_URL:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [NOTIFY_CHANNEL])


def schedule_publish() -> None:
    """After this transaction commits, wake a publisher (workers only; the beat publishes every
    ``MDM_BUS_PUBLISH_SECONDS`` too, which is how a broker outage is caught up)."""
    if not settings.MDM_AMQP_URL or app.conf.task_always_eager:
        return
    transaction.on_commit(lambda: publish_bus_task.apply_async(retry=False), robust=True)


@app.task(name="mdm.tasks.publish_bus_task", ignore_result=True)
def publish_bus_task() -> int:
    """Inbox items and master-data events to the message bus (``MDM_AMQP_URL``)."""
    done = publish_pending()
    return done.inbox + done.events
