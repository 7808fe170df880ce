"""The job watchdog: the work of a dead worker goes back to the live ones within a minute."""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import timedelta

import redis
from django.utils import timezone

from mdm.jobs import runner as job_runner
from mdm.jobs.runs import claim_chunk, plan_chunks, record_chunk_done, start_job
from mdm.models import JobChunk, JobRun, QualitySnapshot
from mdm.tasks import recover_stalled_jobs_task
from tests.support.waiting import publishing_to, start_worker, stop_worker, wait_until


def _age(run: JobRun, *, chunk: str | None = None, seconds: int = 3600) -> None:
    past = timezone.now() - timedelta(seconds=seconds)
    JobRun.objects.filter(pk=run.pk).update(heartbeat_at=past)
    if chunk is not None:
        JobChunk.objects.filter(job=run, key=chunk).update(heartbeat_at=past)


def test_a_chunk_whose_worker_died_is_run_again_and_the_run_finishes(
    db, django_capture_on_commit_callbacks
):
    run = start_job("test_squares", "w", params={"chunks": 3})
    plan_chunks(run.pk, ["1", "2", "3"])
    for key in ("1", "3"):
        record_chunk_done(run.pk, {"items": 1, "sum_of_squares": int(key) ** 2}, chunk=key)
    assert claim_chunk(run.pk, "2")  # a worker took chunk 2, then was killed
    _age(run, chunk="2")

    with django_capture_on_commit_callbacks(execute=True):
        work = job_runner.recover_stalled_jobs()

    assert work.chunks == [(run.pk, "2")] and work.runs == []
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert run.counts == {"items": 3, "sum_of_squares": 14, "finalized": 1}
    assert JobChunk.objects.get(job=run, key="2").attempts == 2
    assert "chunk 2 handed back: its worker stopped responding" in run.log


def test_a_chunk_with_a_fresh_heartbeat_is_left_to_its_worker(
    db, django_capture_on_commit_callbacks
):
    run = start_job("test_squares", "live", params={"chunks": 2})
    plan_chunks(run.pk, ["1", "2"])
    assert claim_chunk(run.pk, "1")
    _age(run)  # the run's own heartbeat is old, but the chunk's worker beats

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        work = job_runner.recover_stalled_jobs()

    assert work.chunks == [] and work.runs == [] and callbacks == []
    chunk = JobChunk.objects.get(job=run, key="1")
    assert (chunk.status, chunk.attempts) == ("running", 1)
    run.refresh_from_db()
    assert run.status == "running" and run.resumed == 0


def test_a_run_whose_planner_died_is_resumed_on_a_worker(db, django_capture_on_commit_callbacks):
    run = start_job("test_squares", "p", params={"chunks": 2})  # planning, never planned
    _age(run)

    with django_capture_on_commit_callbacks(execute=True):
        work = job_runner.recover_stalled_jobs()

    assert [r.pk for r in work.runs] == [run.pk]
    run.refresh_from_db()
    assert run.status == "succeeded" and run.resumed == 1
    assert run.counts == {"items": 2, "sum_of_squares": 5, "finalized": 1}
    assert "taken over by the watchdog after a stale heartbeat" in run.log


def test_a_one_piece_run_whose_process_died_is_failed_and_frees_the_next_start(
    db, django_capture_on_commit_callbacks
):
    run = start_job("backup", "")  # run_inline_job's kind: a command, not a job kind
    plan_chunks(run.pk, [])
    _age(run)

    with django_capture_on_commit_callbacks(execute=True):
        job_runner.recover_stalled_jobs()

    run.refresh_from_db()
    assert run.status == "failed"
    assert "The process running backup stopped responding" in run.error
    assert start_job("backup", "").pk != run.pk  # no wait for a stale timeout


def test_a_quality_snapshot_whose_process_died_is_taken_again_on_a_worker(
    db, django_capture_on_commit_callbacks
):
    # The snapshot is also a job kind (the dashboard's button): its end step is the snapshot.
    run = start_job("quality_report", "")
    plan_chunks(run.pk, [])
    _age(run)

    with django_capture_on_commit_callbacks(execute=True):
        job_runner.recover_stalled_jobs()

    run.refresh_from_db()
    assert run.status == "succeeded" and run.resumed == 1
    assert QualitySnapshot.objects.count() == 1


def test_a_run_waiting_for_busy_workers_is_not_taken_over(db, django_capture_on_commit_callbacks):
    run = start_job("test_squares", "q", params={"chunks": 2})
    plan_chunks(run.pk, ["1", "2"])  # queued, no worker free yet
    _age(run)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        work = job_runner.recover_stalled_jobs()

    assert work.runs == [] and callbacks == []
    run.refresh_from_db()
    assert run.status == "running" and run.resumed == 0


def _recover_with_a_broker(redis_url: str, run: JobRun, queued_before: int, captured) -> tuple:
    """The watchdog with tasks sent to a Redis queue of the test's own (nothing runs them),
    ``queued_before`` chunk messages already waiting there; the work and the queue's length."""
    queue = f"mdm-watchdog-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    try:
        with publishing_to(queue, redis_url):
            for _ in range(queued_before):
                job_runner.run_job_chunk_task.delay(run.pk, "1")
            with captured(execute=True):
                work = job_runner.recover_stalled_jobs()
            return work, client.llen(queue)
    finally:
        client.delete(queue)
        client.close()


def test_a_run_whose_chunk_messages_were_lost_is_resumed_once_the_queue_is_empty(
    db, redis_url, django_capture_on_commit_callbacks
):
    run = start_job("test_squares", "lost", params={"chunks": 2})
    plan_chunks(run.pk, ["1", "2"])  # recorded; the process died before it sent them
    _age(run)

    work, queued = _recover_with_a_broker(redis_url, run, 0, django_capture_on_commit_callbacks)

    assert [r.pk for r in work.runs] == [run.pk]
    assert queued == 1  # the run's step: it sends the two pending chunks again
    run.refresh_from_db()
    assert run.status == "running" and run.resumed == 1
    assert "its chunks pending and the broker's queue empty (messages lost)" in run.log


def test_a_run_whose_chunks_wait_in_the_queue_is_left_to_the_workers(
    db, redis_url, django_capture_on_commit_callbacks
):
    run = start_job("test_squares", "queued", params={"chunks": 2})
    plan_chunks(run.pk, ["1", "2"])
    _age(run)

    work, queued = _recover_with_a_broker(redis_url, run, 1, django_capture_on_commit_callbacks)

    assert work.runs == [] and queued == 1
    run.refresh_from_db()
    assert run.resumed == 0


def test_with_the_broker_down_a_waiting_run_is_left_alone(
    db, django_capture_on_commit_callbacks, caplog
):
    run = start_job("test_squares", "down", params={"chunks": 2})
    plan_chunks(run.pk, ["1", "2"])
    _age(run)

    nowhere = "redis://127.0.0.1:1/0"  # nothing listens there
    with (
        publishing_to("mdm-watchdog-down", nowhere),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        work = job_runner.recover_stalled_jobs()

    assert work.runs == [] and callbacks == []
    run.refresh_from_db()
    assert run.resumed == 0
    assert "the broker's queue could not be read" in caplog.text


def test_a_worker_killed_in_the_middle_of_a_chunk_costs_less_than_a_minute(
    restore_after_flush, transactional_db, database_url, redis_url, tmp_path
):
    # Two real worker processes on a queue of their own; the watchdog runs on them as the beat
    # would run it. Heartbeats every second, stale after three, so the test is quick; the
    # defaults (10 s and 45 s) scale the same steps to under a minute.
    queue = f"mdm-watchdog-{uuid.uuid4().hex[:8]}"
    fast = {"MDM_JOB_HEARTBEAT_SECONDS": "1", "MDM_JOB_STALE_SECONDS": "3"}
    first = start_worker(
        database_url=database_url,
        redis_url=redis_url,
        queue=queue,
        log_path=tmp_path / "first.log",
        env=fast,
    )
    second = None
    client = redis.Redis.from_url(redis_url)
    try:
        with publishing_to(queue, redis_url):
            run = job_runner.launch_job(
                "test_sleepy",
                "kill",
                params={"chunks": ["a", "slow", "b"], "slow": "slow", "redis_url": redis_url},
            )
            pid = wait_until(
                lambda: client.get(f"sleepy:{run.pk}"), timeout=30, what="the slow chunk"
            )
            assert int(pid) == first.pid
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            killed_at = time.monotonic()
            second = start_worker(
                database_url=database_url,
                redis_url=redis_url,
                queue=queue,
                log_path=tmp_path / "second.log",
                env=fast,
            )

            def finished() -> JobRun | None:
                recover_stalled_jobs_task.delay()  # what the beat sends every few seconds
                found = JobRun.objects.get(pk=run.pk)
                return found if found.is_finished else None

            done = wait_until(finished, timeout=60, what="the run to finish", every=1.0)
        took = time.monotonic() - killed_at
    finally:
        stop_worker(first)
        if second is not None:
            stop_worker(second)
        client.close()

    assert done.status == "succeeded", done.error
    assert (done.done_chunks, done.failed_chunks) == (3, 0)
    assert JobChunk.objects.get(job=done, key="slow").attempts == 2
    assert "chunk slow handed back: its worker stopped responding" in done.log
    assert took < 60
