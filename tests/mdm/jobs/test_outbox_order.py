"""The change feed under concurrent writers (real PostgreSQL, threads): a reader that resumes
from its last seq sees every event, once, in strictly increasing order."""

from __future__ import annotations

import random
import threading
import time

from django.db import connection, transaction
from rest_framework.test import APIClient

from mdm.feed.events import write_events
from mdm.feed.outbox import OUTBOX_LOCK, outbox_lock_is_enforced
from mdm.models import Event

WRITERS = 6
TRANSACTIONS_PER_WRITER = 15


class FeedReader(threading.Thread):
    """Polls ``GET /api/v1/events/?after=<last>`` until told to stop, then drains the feed."""

    def __init__(self, client: APIClient, entity: str | None = None):
        super().__init__(daemon=True)
        self.client, self.entity = client, entity
        self.seen: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def poll(self) -> bool:
        after = self.seen[-1] if self.seen else 0
        query = {"after": after, "limit": 50, **({"entity": self.entity} if self.entity else {})}
        page = self.client.get("/api/v1/events/", query).json()
        self.seen += [e["seq"] for e in page["events"]]
        return page["has_more"]

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.poll()
                time.sleep(0.002)
            while self.poll():
                pass
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()


def _run_writers(work) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def wrap(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def _assert_gap_free_and_increasing(seen: list[int], committed: list[int]) -> None:
    assert all(a < b for a, b in zip(seen, seen[1:], strict=False)), "feed went backwards"
    assert seen == committed, f"missed {sorted(set(committed) - set(seen))[:10]}"


def test_the_ordering_lock_is_installed(db):
    assert outbox_lock_is_enforced()


def test_a_writer_gets_its_seq_only_after_the_previous_writer_committed(
    restore_after_flush, transactional_db
):
    # T1 holds the outbox lock; T2 starts inserting meanwhile; T1 inserts later and commits.
    # Had T2 drawn its seq before waiting, it would be lower than T1's although it commits last.
    first_has_lock, seqs = threading.Event(), {}

    def first():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", OUTBOX_LOCK)
            first_has_lock.set()
            time.sleep(0.3)  # T2 is blocked inside its INSERT by now
            seqs["first"] = Event.objects.create(
                entity="customers", golden_code="A", kind="created"
            ).seq
        connection.close()

    def second():
        first_has_lock.wait(5)
        with transaction.atomic():
            seqs["second"] = Event.objects.create(
                entity="customers", golden_code="B", kind="created"
            ).seq
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)

    assert seqs["first"] < seqs["second"]


def test_a_reader_polling_during_concurrent_writes_misses_and_reorders_nothing(
    restore_after_flush, transactional_db, viewer
):
    reader = FeedReader(viewer)
    reader.start()

    def writer(index: int) -> None:
        rng = random.Random(index)
        for n in range(TRANSACTIONS_PER_WRITER):
            with transaction.atomic():
                write_events(
                    [
                        Event(entity="customers", golden_code=f"W{index}-{n}-{k}", kind="updated")
                        for k in range(rng.randint(1, 3))
                    ]
                )
                time.sleep(rng.uniform(0, 0.01))  # a slow commit widens the window

    errors = _run_writers(writer)
    reader.stop.set()
    reader.join(timeout=30)

    assert errors == [] and reader.error is None
    committed = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert len(committed) >= WRITERS * TRANSACTIONS_PER_WRITER
    _assert_gap_free_and_increasing(reader.seen, committed)


def test_concurrent_upserts_through_the_api_reach_the_feed_in_order(
    restore_after_flush, transactional_db, viewer, erp, crm, shop
):
    reader = FeedReader(viewer, entity="customers")
    reader.start()
    personas = [erp, crm, shop]

    def writer(index: int) -> None:
        client = APIClient()
        persona = personas[index % len(personas)]
        client.credentials(HTTP_AUTHORIZATION=f"Token {persona.token}")
        for n in range(6):
            response = client.put(
                f"/api/v1/sources/{persona.code}/customers/T{index}-{n}",
                {"name": f"华信测试{index}号{n}分公司", "customer_type": "org"},
                format="json",
            )
            assert response.status_code in (200, 201), response.content

    errors = _run_writers(writer)
    reader.stop.set()
    reader.join(timeout=30)

    assert errors == [] and reader.error is None
    committed = list(
        Event.objects.filter(entity="customers").order_by("seq").values_list("seq", flat=True)
    )
    assert len(committed) >= WRITERS * 6
    _assert_gap_free_and_increasing(reader.seen, committed)
