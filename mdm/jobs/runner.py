"""Running registered jobs on Celery workers: plan, fan the chunks out, one end step.

A job kind is three functions (``JobKind``), registered from an app's ``jobs.py`` (found the way
the admin finds ``admin.py``). ``launch_job`` starts or resumes a run and enqueues it; then:

1. ``run_job`` (a worker): a new run is planned (its chunk keys recorded); every chunk not done
   yet is enqueued as its own task, so any number of workers on any number of machines share
   them. A resumed run skips the chunks it already finished.
2. ``run_chunk`` (any worker, in parallel): claims the chunk, does it, records it done. For an
   ``atomic_chunks`` kind the work and the record commit in one transaction, so a chunk that
   crashes is retried from a clean slate and a duplicate message changes nothing. Failing
   chunks are retried with backoff by the task; a chunk whose retries are spent is failed.
3. The call that finishes the last chunk enqueues ``finalize_job``. A kind with rounds
   (``next_round``) is asked for its next round first: its chunks are added to the run and fanned
   out like the first ones (the batch match scores in one round and merges its clusters in the
   next). With no new round, the end step runs once, then the run is marked succeeded, or
   failed if any chunk failed.

No chord and no result backend are needed: the run's counters decide when the chunks are done,
and a run that lost its messages (a broker flush, every worker killed) is resumed by the
watchdog once its heartbeat is stale and the broker's queue is empty, or by the next
``launch_job``.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils.module_loading import autodiscover_modules
from kombu.exceptions import OperationalError as BrokerError

from mdm.celery import app
from mdm.errors import ServiceError
from mdm.jobs import runs as jobs
from mdm.models import JobRun, JobRunStatusChoices

logger = logging.getLogger(__name__)

Counts = Mapping[str, jobs.Number]


@dataclass(frozen=True)
class JobKind:
    """What a kind of job does.

    ``plan(run)`` returns the chunk keys (strings; computed once per run, so the plan of a
    resumed run does not move). ``run_chunk(run, key)`` does one chunk and returns its counts;
    it must be idempotent. ``finalize(run)`` is the end step, returns counts, must be
    idempotent too (a crash in it is resumed by running it again). ``next_round(run)``, asked
    each time every chunk is finished: the keys of the next round's chunks, work that needs the
    whole of the round before (the batch match's merges need all its scored pairs); keys the
    run has already are no new round, so a kind answers the same keys once it has planned them
    (idempotent, like ``plan``), and the end step follows when there is nothing new.
    """

    name: str
    plan: Callable[[JobRun], list[str]]
    run_chunk: Callable[[JobRun, str], Counts]
    finalize: Callable[[JobRun], Counts] | None = None
    atomic_chunks: bool = True
    next_round: Callable[[JobRun], list[str]] | None = None


_KINDS: dict[str, JobKind] = {}
_discovered = False


def register_job_kind(kind: JobKind) -> JobKind:
    """Register a kind (from an app's ``jobs.py``); registering the same name again replaces it."""
    _KINDS[kind.name] = kind
    return kind


def get_job_kind(name: str) -> JobKind:
    global _discovered
    if name not in _KINDS and not _discovered:
        # An app's job kinds live in its jobs.py; the hub's own in mdm/job_kinds.py.
        autodiscover_modules("jobs", "job_kinds")
        _discovered = True
    try:
        return _KINDS[name]
    except KeyError:
        raise ServiceError(
            f"未知的任务类型 {name}", f"Unknown job kind {name}", code="unknown_job_kind"
        ) from None


def launch_job(kind: str, entity: str = "", *, params: Mapping[str, Any] | None = None) -> JobRun:
    """Start (or resume a crashed) run and enqueue it on the workers once this commits.

    Raises JobAlreadyRunning when a live run of the same kind and entity exists.
    """
    get_job_kind(kind)
    with transaction.atomic():
        run = jobs.start_job(kind, entity, params=params)
        _enqueue(run_job_task, run.pk)
    return run


def run_job(job_id: int) -> None:
    """Plan a new run, or continue a resumed one: enqueue its unfinished chunks or end it."""
    run = JobRun.objects.filter(pk=job_id).first()
    if run is None or run.is_finished:
        return
    kind = get_job_kind(run.kind)
    if run.status == JobRunStatusChoices.PLANNING:
        started = time.monotonic()
        with jobs.heartbeat(run.pk):
            keys = kind.plan(run)
        total = jobs.plan_chunks(run.pk, keys)
        _add_timing(run.pk, "plan", time.monotonic() - started)
        jobs.append_log(run.pk, f"planned {total} chunks")
        run.refresh_from_db()
    if run.status == JobRunStatusChoices.RUNNING:
        pending = jobs.pending_chunks(run.pk)
        for key in pending:
            _enqueue(run_job_chunk_task, run.pk, key)
        if not pending and jobs.claim_finalize(run.pk):
            _finalize(run.pk)
    elif run.status == JobRunStatusChoices.FINALIZING:
        # Resumed after a crash in the end step: the resumer owns it now.
        _finalize(run.pk)


def run_chunk(job_id: int, chunk: str) -> jobs.ChunkProgress | None:
    """Do one chunk of a run; None when it was already finished or the run is over."""
    if not jobs.claim_chunk(job_id, chunk):
        return None
    run = JobRun.objects.get(pk=job_id)
    kind = get_job_kind(run.kind)
    started = time.monotonic()
    with jobs.heartbeat(job_id, chunk=chunk):
        if kind.atomic_chunks:
            with transaction.atomic():
                counts = kind.run_chunk(run, chunk)
                progress = jobs.record_chunk_done(
                    job_id, counts, chunk=chunk, seconds=time.monotonic() - started
                )
                if not progress.recorded:
                    # Someone else finished this chunk meanwhile: keep their result, not ours.
                    transaction.set_rollback(True)
        else:
            counts = kind.run_chunk(run, chunk)
            progress = jobs.record_chunk_done(
                job_id, counts, chunk=chunk, seconds=time.monotonic() - started
            )
    if progress.last:
        _enqueue(finalize_job_task, job_id)
    return progress


def chunk_failed(job_id: int, chunk: str, error: str) -> None:
    """A chunk's retries are spent: record it; the last chunk to finish still ends the run."""
    if jobs.record_chunk_failed(job_id, chunk, error).last:
        _enqueue(finalize_job_task, job_id)


def finalize_job(job_id: int) -> bool:
    """Run the end step once all chunks are finished; False if someone else already did."""
    if not jobs.claim_finalize(job_id):
        return False
    _finalize(job_id)
    return True


def recover_stalled_jobs() -> jobs.StalledWork:
    """The watchdog (a beat task every ``MDM_JOB_WATCHDOG_SECONDS``): hand the work of dead
    workers back to the live ones, so a killed job finishes about a minute late, not never.

    Chunks whose worker died are enqueued again. A run whose planning or end step died is
    resumed on a worker (``run_job`` continues it where it stopped), and so is a run whose
    chunks wait while the broker's job queue is empty (their messages were lost:
    ``jobs.reclaim_stalled_work``); a run of a kind that is not a registered job kind ran in
    one piece in a process that is gone (a command, the nightly step): there is nothing to
    resume, so it is failed with the reason, which frees the next start at once.
    """
    work = jobs.reclaim_stalled_work(messages_lost=job_queue_is_empty)
    for job_id, chunk in work.chunks:
        _enqueue(run_job_chunk_task, job_id, chunk)
    for run in work.runs:
        if _is_registered(run.kind):
            _enqueue(run_job_task, run.pk)
        else:
            jobs.fail_job(
                run.pk,
                f"The process running {run.kind} stopped responding (no heartbeat for "
                f"{settings.MDM_JOB_STALE_SECONDS} s); start it again.",
            )
    return work


def job_queue_is_empty() -> bool:
    """Whether the broker holds no message on the queue the job tasks go to; False when that
    cannot be known (tasks run eagerly, or the broker does not answer)."""
    if app.conf.task_always_eager:
        return False
    try:
        with app.connection_for_write() as connection:
            # One attempt: the watchdog asks again in a few seconds anyway.
            connection.ensure_connection(max_retries=1)
            try:
                declared = connection.default_channel.queue_declare(
                    queue=app.conf.task_default_queue, passive=True
                )
            except connection.channel_errors:
                return True  # no such queue: Redis drops an empty list, a broker restarted
            return bool(declared.message_count == 0)
    except (BrokerError, OSError) as exc:
        logger.warning("job watchdog: the broker's queue could not be read: %s", exc)
        return False


def run_inline_job(
    kind: str,
    entity: str,
    work: Callable[[JobRun], Counts | None],
    *,
    params: Mapping[str, Any] | None = None,
) -> JobRun:
    """Run an unchunked job in this process with the same single flight, heartbeat and record.

    For the steps that are one call (a command, a report); raises JobAlreadyRunning like
    ``start_job``. A failure is recorded on the run and raised again.
    """
    run = jobs.start_job(kind, entity, params=params)
    jobs.plan_chunks(run.pk, [])  # no chunks: planning -> running
    started = time.monotonic()
    try:
        with jobs.heartbeat(run.pk):
            counts = work(run) or {}
    except Exception:
        jobs.fail_job(run.pk, traceback.format_exc())
        raise
    jobs.finish_job(run.pk, counts=counts, timings={"work": time.monotonic() - started})
    return JobRun.objects.get(pk=run.pk)


def wait_for_job(job_id: int, *, timeout: float, poll: float = 0.5) -> JobRun:
    """Poll until the run is finished (for ``manage.py ... --distributed``); TimeoutError if not."""
    deadline = time.monotonic() + timeout
    while True:
        run = JobRun.objects.get(pk=job_id)
        if run.is_finished:
            return run
        if time.monotonic() >= deadline:
            raise TimeoutError(f"job run {job_id} still {run.status} after {timeout:.0f}s")
        time.sleep(poll)


def describe_job(run: JobRun) -> str:
    """One line for a command's output: status, chunks, counts, timings."""
    target = f"{run.kind} {run.entity}".strip()
    counts = " ".join(f"{k}={_fmt(v)}" for k, v in sorted(run.counts.items()))
    timings = " ".join(f"{k}={float(v):.2f}s" for k, v in sorted(run.timings.items()))
    line = (
        f"{target}: {run.status} run #{run.pk}, chunks {run.done_chunks}/{run.total_chunks}"
        f" ({run.failed_chunks} failed)"
    )
    if counts:
        line += f" | {counts}"
    if timings:
        line += f" | {timings}"
    if run.error:
        line += f" | error: {jobs.last_line(run.error)}"
    return line


def _finalize(job_id: int) -> None:
    run = JobRun.objects.get(pk=job_id)
    if run.failed_chunks:
        jobs.fail_job(job_id, f"{run.failed_chunks} of {run.total_chunks} chunks failed")
        return
    kind = get_job_kind(run.kind)
    if kind.next_round is not None:
        started = time.monotonic()
        with jobs.heartbeat(job_id):
            keys = kind.next_round(run)
        added = jobs.add_round(job_id, keys)
        if added is None:
            return  # no longer ours to finish: another finalizer went on, or the run failed
        if added:
            _add_timing(job_id, "next_round", time.monotonic() - started)
            jobs.append_log(job_id, f"planned a round of {added} chunks")
            for key in jobs.pending_chunks(job_id):
                _enqueue(run_job_chunk_task, job_id, key)
            return
    started = time.monotonic()
    with jobs.heartbeat(job_id):
        counts = kind.finalize(run) if kind.finalize else {}
    jobs.finish_job(job_id, counts=counts, timings={"finalize": time.monotonic() - started})


def _is_registered(name: str) -> bool:
    try:
        get_job_kind(name)
    except ServiceError:
        return False
    return True


def _add_timing(job_id: int, key: str, seconds: float) -> None:
    JobRun.objects.filter(pk=job_id).update(timings=jobs.json_add("timings", {key: seconds}))


def _fmt(value: jobs.Number) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _enqueue(task: Task, *args: Any) -> None:
    # on_commit: a worker must find the rows this transaction writes.
    transaction.on_commit(lambda: task.delay(*args))


# ---- the runner's own tasks (named as when they lived in mdm.tasks: queued messages survive)


class JobStepTask(Task):
    """A run-level step: a failure that escapes it fails the run (args[0] is the run id)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        jobs.fail_job(args[0], str(einfo))


class JobChunkTask(Task):
    """A chunk: called by Celery once its retries are spent (args are the run id and the key)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        chunk_failed(args[0], args[1], str(einfo))


#: A dropped or restarting database: worth a few more tries before a step counts as failed.
#: The steps are idempotent (conditional updates), so running one again changes nothing twice.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
DB_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
}


@app.task(name="mdm.tasks.run_job_task", base=JobStepTask, ignore_result=True, **DB_RETRY)
def run_job_task(job_id: int) -> None:
    run_job(job_id)


@app.task(
    name="mdm.tasks.run_job_chunk_task",
    base=JobChunkTask,
    ignore_result=True,
    autoretry_for=(Exception,),  # a chunk is idempotent: any failure is worth another try
    max_retries=settings.MDM_JOB_CHUNK_MAX_RETRIES,
    retry_backoff=settings.MDM_JOB_CHUNK_RETRY_SECONDS,
)
def run_job_chunk_task(job_id: int, chunk: str) -> None:
    run_chunk(job_id, chunk)


@app.task(name="mdm.tasks.finalize_job_task", base=JobStepTask, ignore_result=True, **DB_RETRY)
def finalize_job_task(job_id: int) -> None:
    finalize_job(job_id)
