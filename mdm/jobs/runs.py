"""The life of a job run: start (single flight, resume after a crash), chunks, finish, fail.

Every state change is a conditional UPDATE: it either changes the row it expects to find in the
expected state, or nothing (and the caller learns it lost the race); ``finish_job`` reads the
start time under a row lock. Nothing here reads a row unlocked and then decides to write it.

A job uses it like this (``mdm.jobs.runner`` does it for registered kinds)::

    job = start_job("match", "customers")            # or raises JobAlreadyRunning
    plan_chunks(job.pk, ["block:0", "block:1"])       # idempotent; a resumed run keeps its plan
    for key in pending_chunks(job.pk):                # a resumed run gets only what is not done
        with transaction.atomic():                    # the chunk's writes and its "done" commit
            counts = do_the_work(key)                 # together, so a retry never counts twice
            progress = record_chunk_done(job.pk, counts, chunk=key)
    finish_job(job.pk, counts={"clusters": 3})        # once: after the call whose progress.last
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from mdm.db.json_sql import json_add
from mdm.errors import Conflict
from mdm.models import (
    UNFINISHED_STATUSES,
    JobChunk,
    JobChunkStatusChoices,
    JobRun,
    JobRunStatusChoices,
)
from mdm.privacy.policy import redact_text

logger = logging.getLogger(__name__)

Number = int | float
_COUNT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class ChunkProgress:
    """What recording a chunk did: ``recorded`` False means it was already finished (a retry or
    a duplicate message: nothing was added, roll its work back); ``last`` is True for exactly
    one call, the one that finished the run's last chunk (it triggers the end step)."""

    recorded: bool
    last: bool


class JobAlreadyRunning(Conflict):
    """Another run of the same kind and entity is in progress (and alive)."""

    code = "job_already_running"

    def __init__(self, kind: str, entity: str):
        target = f"{kind} {entity}".strip()
        super().__init__(f"任务正在运行：{target}", f"A run of {target} is already in progress")


def start_job(kind: str, entity: str = "", *, params: Mapping[str, Any] | None = None) -> JobRun:
    """Start a run of ``kind`` for ``entity``, or take over the unfinished one that crashed.

    1. Take over: one conditional UPDATE claims the unfinished run whose heartbeat is older than
       ``MDM_JOB_STALE_SECONDS`` (its process died). Two starters racing for it serialize on the
       row; the second one re-evaluates the condition on the fresh heartbeat and claims nothing.
    2. Otherwise insert a new run. The partial unique constraint (one unfinished run per kind
       and entity) makes a concurrent second insert fail: that caller gets JobAlreadyRunning.
       A live unfinished run makes the insert fail the same way.

    A taken-over run keeps its params, plan and finished chunks: the caller continues it.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.MDM_JOB_STALE_SECONDS)
    line = f"{now:%Y-%m-%d %H:%M:%S} resumed after a stale heartbeat\n"
    with transaction.atomic():
        taken = JobRun.objects.filter(
            kind=kind, entity=entity, status__in=UNFINISHED_STATUSES, heartbeat_at__lt=stale
        ).update(
            heartbeat_at=now,
            resumed=F("resumed") + 1,
            log=Concat(F("log"), Value(line)),
        )
        if taken:
            return JobRun.objects.get(kind=kind, entity=entity, status__in=UNFINISHED_STATUSES)
        try:
            with transaction.atomic():
                return JobRun.objects.create(
                    kind=kind,
                    entity=entity,
                    params=dict(params or {}),
                    started_at=now,
                    heartbeat_at=now,
                )
        except IntegrityError as exc:
            raise JobAlreadyRunning(kind, entity) from exc


def touch_job(job_id: int, chunk: str | None = None) -> None:
    """Refresh the heartbeat of an unfinished run (and of the chunk being worked on): it is
    alive, do not take it over."""
    now = timezone.now()
    JobRun.objects.filter(pk=job_id, status__in=UNFINISHED_STATUSES).update(heartbeat_at=now)
    if chunk is not None:
        JobChunk.objects.filter(
            job_id=job_id, key=chunk, status=JobChunkStatusChoices.RUNNING
        ).update(heartbeat_at=now)


@contextmanager
def heartbeat(
    job_id: int, *, chunk: str | None = None, every: float | None = None
) -> Iterator[None]:
    """Keep a run's (and a chunk's) heartbeat fresh from a side thread while the body works."""
    interval = every if every is not None else settings.MDM_JOB_HEARTBEAT_SECONDS
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    touch_job(job_id, chunk)
                except DatabaseError as exc:
                    # A busy SQLite file or a dropped connection: the next beat tries again;
                    # a heartbeat missed now and then is what the stale margin is for.
                    logger.info("job %s heartbeat missed: %s", job_id, exc)
                    connection.close()
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def append_log(job_id: int, text: str) -> None:
    """Append a timestamped line to the run's log (atomic concatenation, no read)."""
    # A log is read by operators: personal values quoted in it (an error message) are masked.
    line = f"{timezone.now():%Y-%m-%d %H:%M:%S} {redact_text(text.rstrip())}\n"
    JobRun.objects.filter(pk=job_id).update(log=Concat(F("log"), Value(line)))


def plan_chunks(job_id: int, keys: Iterable[str]) -> int:
    """Record the run's chunks and move it from planning to running; returns the chunk count.

    Idempotent: a run resumed while planning re-plans; chunks already recorded are kept.
    """
    keys = list(dict.fromkeys(str(k) for k in keys))
    with transaction.atomic():
        JobChunk.objects.bulk_create(
            [JobChunk(job_id=job_id, key=key) for key in keys], ignore_conflicts=True
        )
        total = JobChunk.objects.filter(job_id=job_id).count()
        JobRun.objects.filter(pk=job_id, status=JobRunStatusChoices.PLANNING).update(
            status=JobRunStatusChoices.RUNNING,
            total_chunks=total,
            heartbeat_at=timezone.now(),
        )
    return total


def add_round(job_id: int, keys: Iterable[str]) -> int | None:
    """Give a finalizing run the chunks of its next round and move it back to running; returns
    how many of ``keys`` it did not have yet (0: no new round, the run stays finalizing), or
    None when the run is not finalizing (another finalizer went on with it, or it failed).

    Idempotent: a round added before a crash is not added again, so the kind may name the
    same keys each time it is asked (``JobKind.next_round``).
    """
    keys = list(dict.fromkeys(str(k) for k in keys))
    with transaction.atomic():
        # The run's row lock orders two finalizers (one resumed by the watchdog while the
        # other still lives): the second finds the round added, and the run running.
        run = JobRun.objects.select_for_update().filter(pk=job_id).first()
        if run is None or run.status != JobRunStatusChoices.FINALIZING:
            return None
        have = set(JobChunk.objects.filter(job_id=job_id).values_list("key", flat=True))
        new = [key for key in keys if key not in have]
        if not new:
            return 0
        JobChunk.objects.bulk_create([JobChunk(job_id=job_id, key=key) for key in new])
        JobRun.objects.filter(pk=job_id).update(
            status=JobRunStatusChoices.RUNNING,
            total_chunks=len(have) + len(new),
            heartbeat_at=timezone.now(),
        )
    return len(new)


def pending_chunks(job_id: int) -> list[str]:
    """Keys of the chunks not finished yet (pending, or running when their worker died)."""
    return list(
        JobChunk.objects.filter(
            job_id=job_id,
            status__in=(JobChunkStatusChoices.PENDING, JobChunkStatusChoices.RUNNING),
        )
        .order_by("pk")
        .values_list("key", flat=True)
    )


def claim_chunk(job_id: int, chunk: str) -> bool:
    """Mark a chunk running (one more attempt); False when it is finished or the run is over."""
    now = timezone.now()
    with transaction.atomic():
        claimed = JobChunk.objects.filter(
            job_id=job_id,
            key=chunk,
            status__in=(JobChunkStatusChoices.PENDING, JobChunkStatusChoices.RUNNING),
            job__status=JobRunStatusChoices.RUNNING,
        ).update(
            status=JobChunkStatusChoices.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
        )
        if claimed:
            touch_job(job_id)
    return bool(claimed)


def record_chunk_done(
    job_id: int,
    counts: Mapping[str, Number],
    *,
    chunk: str | None = None,
    seconds: float | None = None,
) -> ChunkProgress:
    """Add a finished chunk's counts to its run (see ``ChunkProgress`` for the answer).

    With ``chunk`` the call is idempotent: the chunk row moves to ``done`` by a conditional
    update and only that call adds the counts, so call it in the transaction that wrote the
    chunk's results and a retried chunk is never counted twice. Counters move with ``F()``
    and counts with an in-database JSON addition: concurrent chunks never lose an update.
    Exactly one caller sees ``done + failed == total`` (the row lock orders them).
    """
    increments = _check_counts(counts)
    now = timezone.now()
    with transaction.atomic():
        if chunk is not None:
            moved = JobChunk.objects.filter(
                job_id=job_id,
                key=chunk,
                status__in=(JobChunkStatusChoices.PENDING, JobChunkStatusChoices.RUNNING),
            ).update(
                status=JobChunkStatusChoices.DONE,
                counts=increments,
                seconds=seconds,
                error="",
                finished_at=now,
            )
            if not moved:
                return ChunkProgress(recorded=False, last=False)
        changes: dict[str, Any] = {"done_chunks": F("done_chunks") + 1, "heartbeat_at": now}
        if increments:
            changes["counts"] = json_add("counts", increments)
        if seconds is not None:
            changes["timings"] = json_add("timings", {"chunks": round(seconds, 6)})
        JobRun.objects.filter(pk=job_id).update(**changes)
        return ChunkProgress(recorded=True, last=_all_chunks_finished(job_id))


def record_chunk_failed(job_id: int, chunk: str, error: str) -> ChunkProgress:
    """Mark a chunk failed for good (its retries are spent); the run fails at its end step."""
    with transaction.atomic():
        moved = JobChunk.objects.filter(
            job_id=job_id,
            key=chunk,
            status__in=(JobChunkStatusChoices.PENDING, JobChunkStatusChoices.RUNNING),
        ).update(
            status=JobChunkStatusChoices.FAILED,
            error=redact_text(error[:10_000]),
            finished_at=timezone.now(),
        )
        if not moved:
            return ChunkProgress(recorded=False, last=False)
        JobRun.objects.filter(pk=job_id).update(failed_chunks=F("failed_chunks") + 1)
        append_log(job_id, f"chunk {chunk} failed: {last_line(error)}")
        return ChunkProgress(recorded=True, last=_all_chunks_finished(job_id))


@dataclass(frozen=True)
class StalledWork:
    """What ``reclaim_stalled_work`` took back: chunks to enqueue again, runs to resume."""

    chunks: list[tuple[int, str]]
    runs: list[JobRun]


def reclaim_stalled_work(messages_lost: Callable[[], bool] | None = None) -> StalledWork:
    """Take back the work of dead workers, for the watchdog to hand out again.

    1. A *running* chunk of a running run whose heartbeat is older than
       ``MDM_JOB_STALE_SECONDS`` lost its worker (killed, out of memory, its machine gone):
       it goes back to *pending*. The broker would give its message back only after its
       visibility timeout (an hour with Redis); the caller enqueues it again now.
    2. An unfinished run with a stale heartbeat and no chunk pending or running lost the
       process that plans it, ends it, or runs it in one piece: it is taken over (heartbeat,
       ``resumed`` and a log line) like ``start_job`` does, for the caller to resume or fail.
    3. A run with a stale heartbeat whose chunks are pending, none running, is waiting for busy
       workers, or its messages were lost: the process that recorded its chunks died before it
       sent them, or the broker lost them (a restart without persistence). Only the broker can
       tell, so ``messages_lost`` is asked (once, and only when there is such a run): True
       when the broker's job queue is empty. Such a run is then taken over as in 2, and
       resuming it sends its chunks again. A message a worker has prefetched is not in the
       queue either; it may then run twice, and the second time claims nothing.

    Each row moves by a conditional update that re-checks the stale heartbeat, so two
    watchdogs (or a late heartbeat) never take the same work twice.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.MDM_JOB_STALE_SECONDS)
    chunks: list[tuple[int, str]] = []
    for pk, job_id, key in JobChunk.objects.filter(
        status=JobChunkStatusChoices.RUNNING,
        job__status=JobRunStatusChoices.RUNNING,
        heartbeat_at__lt=stale,
    ).values_list("pk", "job_id", "key"):
        with transaction.atomic():
            moved = JobChunk.objects.filter(
                pk=pk, status=JobChunkStatusChoices.RUNNING, heartbeat_at__lt=stale
            ).update(status=JobChunkStatusChoices.PENDING, heartbeat_at=now)
            if moved:
                touch_job(job_id)
                append_log(job_id, f"chunk {key} handed back: its worker stopped responding")
                chunks.append((job_id, key))
    runs: list[JobRun] = []
    stalled = JobRun.objects.filter(status__in=UNFINISHED_STATUSES, heartbeat_at__lt=stale)
    running = JobChunk.objects.filter(status=JobChunkStatusChoices.RUNNING).values("job_id")
    pending = JobChunk.objects.filter(status=JobChunkStatusChoices.PENDING).values("job_id")
    candidates = list(
        stalled.exclude(pk__in=running).exclude(pk__in=pending).values_list("pk", flat=True)
    )
    waiting = list(
        stalled.exclude(pk__in=running)
        .filter(pk__in=pending)
        .exclude(pk__in=[job_id for job_id, _ in chunks])
        .values_list("pk", flat=True)
    )
    if waiting and messages_lost is not None and messages_lost():
        candidates += waiting
    for pk in candidates:
        why = (
            "its chunks pending and the broker's queue empty (messages lost)"
            if pk in waiting
            else "a stale heartbeat"
        )
        line = f"{now:%Y-%m-%d %H:%M:%S} taken over by the watchdog after {why}\n"
        taken = JobRun.objects.filter(
            pk=pk, status__in=UNFINISHED_STATUSES, heartbeat_at__lt=stale
        ).update(heartbeat_at=now, resumed=F("resumed") + 1, log=Concat(F("log"), Value(line)))
        if taken:
            runs.append(JobRun.objects.get(pk=pk))
    return StalledWork(chunks=chunks, runs=runs)


def claim_finalize(job_id: int) -> bool:
    """Move a running run to finalizing; only one caller wins (the end step runs once)."""
    return bool(
        JobRun.objects.filter(pk=job_id, status=JobRunStatusChoices.RUNNING).update(
            status=JobRunStatusChoices.FINALIZING, heartbeat_at=timezone.now()
        )
    )


def finish_job(
    job_id: int,
    *,
    counts: Mapping[str, Number] | None = None,
    timings: Mapping[str, Number] | None = None,
) -> bool:
    """Mark an unfinished run succeeded, adding the end step's counts and timings.

    ``timings["total"]`` is set to the wall time since the start. False if the run was already
    finished (a second finisher changes nothing).
    """
    now = timezone.now()
    with transaction.atomic():
        run = (
            JobRun.objects.select_for_update()
            .filter(pk=job_id, status__in=UNFINISHED_STATUSES)
            .first()
        )
        if run is None:
            return False
        all_timings = {**dict(timings or {}), "total": (now - run.started_at).total_seconds()}
        changes: dict[str, Any] = {
            "status": JobRunStatusChoices.SUCCEEDED,
            "finished_at": now,
            "heartbeat_at": now,
            "timings": json_add("timings", _check_counts(all_timings), replace={"total"}),
        }
        if counts:
            changes["counts"] = json_add("counts", _check_counts(counts))
        JobRun.objects.filter(pk=job_id).update(**changes)
    append_log(job_id, "finished")
    return True


def fail_job(job_id: int, error: str) -> bool:
    """Mark an unfinished run failed with its error; False if it was already finished."""
    now = timezone.now()
    failed = JobRun.objects.filter(pk=job_id, status__in=UNFINISHED_STATUSES).update(
        status=JobRunStatusChoices.FAILED,
        error=redact_text(error[:20_000]),
        finished_at=now,
        heartbeat_at=now,
    )
    if failed:
        append_log(job_id, f"failed: {last_line(error)}")
    return bool(failed)


def last_line(text: str) -> str:
    """The last non-empty line of an error or traceback, for one-line log entries."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _all_chunks_finished(job_id: int) -> bool:
    # Read in the transaction that just updated the row: it holds the row lock, so it sees
    # every earlier increment and no later one.
    done, failed, total = JobRun.objects.filter(pk=job_id).values_list(
        "done_chunks", "failed_chunks", "total_chunks"
    )[0]
    return total > 0 and done + failed == total


def _check_counts(counts: Mapping[str, Number]) -> dict[str, Number]:
    checked: dict[str, Number] = {}
    for key, value in counts.items():
        if not _COUNT_KEY.match(key) or isinstance(value, bool):
            raise ValueError(f"count {key!r}={value!r}: keys are snake_case, values numbers")
        if not isinstance(value, int | float):
            raise ValueError(f"count {key!r}={value!r}: values are numbers")
        checked[key] = value
    return checked
