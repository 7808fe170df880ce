"""The outbox's ordering guarantee (waking the webhook deliverers is ``mdm.feed.webhooks``).

The problem. ``Event.seq`` comes from a sequence, handed out when a row is inserted, while a row
becomes visible when its transaction commits. Two transactions can commit in the opposite order
of their sequence numbers: T1 takes seq 7, T2 takes seq 8 and commits, a reader polls
``?after=6``, gets 8 and resumes from ``after=8``; then T1 commits 7, which the reader never
sees. A system that resumes from its last seq would miss an event.

The choice: serialize event insertion. Every INSERT into ``mdm_event`` first takes a
transaction-level advisory lock (``pg_advisory_xact_lock``), held until commit, so a writer gets
its sequence numbers only after the previous writer has committed (or rolled back). Hence commit
order is seq order, and once a reader sees seq N, every event committed later has a seq above N:
reading ``seq > last`` in seq order never misses or reorders an event. The feed and the webhook
deliverers need nothing more, and a plain ``WHERE seq > N ORDER BY seq`` stays the whole
contract (also on a streaming replica, which applies commits in WAL order).

Why this and not the alternative (a feed that only returns events older than the oldest
in-flight transaction, ``pg_snapshot_xmin`` over an ``xid8`` column): that keeps writers
parallel, but a transaction may hold a *lower* seq than a visible one while it runs, so the
feed would have to order and page by (xid, seq) instead of seq, changing the published
``after=seq`` contract and needing an extra column and index. The cost of the lock is that the
tail of event-writing transactions is serial: from their first event insert to their commit.
Writers insert events as the last step of their transaction (``refresh_goldens`` does), so that
tail is one INSERT and a commit; a batch of upserts or merges pays it once per batch.
Rule for writers: take your row locks before writing events. A writer that waits for a row lock
while holding the outbox lock can deadlock with one that waits for the outbox lock; PostgreSQL
detects it and aborts one of them (no hang), but it is avoidable.

Where the lock is taken: a ``BEFORE INSERT ... FOR EACH STATEMENT`` trigger on ``mdm_event``
(migration ``0005_jobs_webhooks``). Statement triggers fire before the rows' default values
(``nextval``) are computed, and a trigger holds for every writer of events: ``refresh_goldens``,
merges, ``emit_event``, raw SQL, code not written yet. SQLite (the embedded default) allows one
writing transaction at a time, so there commit order is seq order already.
"""

from __future__ import annotations

from django.db import connection

from mdm.models import Event

#: The two-int advisory lock key of the outbox (the two-int key space never meets the bigint
#: one used by ``mdm.db.locks``). 0x4D444D = "MDM", 1 = outbox. Kept in sync with the
#: trigger function of migration 0005.
OUTBOX_LOCK = (0x4D444D, 1)


def last_seq() -> int:
    """The highest committed event sequence (0 when there are none)."""
    last = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def outbox_lock_is_enforced() -> bool:
    """True when the ordering trigger is installed (PostgreSQL) or not needed (SQLite)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgrelid = 'mdm_event'::regclass "
            "AND tgname = 'mdm_event_serialize_inserts' AND tgenabled <> 'D'"
        )
        return cursor.fetchone() is not None
