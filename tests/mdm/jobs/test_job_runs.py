"""The JobRun service API: single flight under real concurrency, resume after a crash, chunks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from mdm.jobs import runner as job_runner
from mdm.jobs.runs import (
    JobAlreadyRunning,
    fail_job,
    finish_job,
    pending_chunks,
    plan_chunks,
    record_chunk_done,
    record_chunk_failed,
    start_job,
)
from mdm.models import JobChunk, JobRun


def _in_threads(targets) -> tuple[list, list[BaseException]]:
    results, errors = [], []
    barrier = threading.Barrier(len(targets))
    lock = threading.Lock()

    def wrap(target):
        try:
            barrier.wait()
            result = target()
            with lock:
                results.append(result)
        except BaseException as exc:  # collected and asserted by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


def _crash(run: JobRun) -> None:
    """What a dead process leaves: an unfinished run whose heartbeat stopped long ago."""
    JobRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))


def test_concurrent_starters_and_resumers_get_one_run_per_kind_and_entity(
    restore_after_flush, transactional_db
):
    for round_ in range(3):
        results, errors = _in_threads([lambda r=round_: start_job(f"round{r}", "customers")] * 2)

        assert len(results) == 1, round_
        assert [type(e) for e in errors] == [JobAlreadyRunning], round_

    targets = [lambda e=e: start_job("match", e) for e in ("customers", "products") * 4]
    results, errors = _in_threads(targets)

    assert sorted(r.entity for r in results) == ["customers", "products"]
    assert len(errors) == 6 and all(isinstance(e, JobAlreadyRunning) for e in errors)

    # Two resumers of a crashed run: one takes it over, the other is refused.
    crashed = JobRun.objects.get(kind="match", entity="customers")
    _crash(crashed)
    results, errors = _in_threads([lambda: start_job("match", "customers")] * 2)

    assert [r.pk for r in results] == [crashed.pk]
    assert [type(e) for e in errors] == [JobAlreadyRunning]
    assert JobRun.objects.get(pk=crashed.pk).resumed == 1
    assert JobRun.objects.count() == 5


def test_concurrent_chunks_add_up_and_exactly_one_is_last(restore_after_flush, transactional_db):
    run = start_job("test_squares")
    plan_chunks(run.pk, [str(n) for n in range(1, 9)])

    def finish(key: str):
        return lambda: record_chunk_done(
            run.pk, {"items": 1, "sum_of_squares": int(key) ** 2}, chunk=key, seconds=0.5
        )

    results, errors = _in_threads([finish(str(n)) for n in range(1, 9)])

    assert errors == []
    assert sum(p.last for p in results) == 1
    run.refresh_from_db()
    assert (run.done_chunks, run.failed_chunks, run.total_chunks) == (8, 0, 8)
    assert run.counts == {"items": 8, "sum_of_squares": 204}
    assert run.timings == {"chunks": 4}


def test_a_live_run_is_not_taken_over(db):
    start_job("match", "customers")

    with pytest.raises(JobAlreadyRunning):
        start_job("match", "customers")

    assert JobRun.objects.count() == 1


def test_a_finished_run_does_not_stop_the_next_one(db):
    first = start_job("match", "customers")
    finish_job(first.pk)

    second = start_job("match", "customers")

    assert second.pk != first.pk
    assert JobRun.objects.get(pk=first.pk).status == "succeeded"


def test_a_crashed_run_is_resumed_with_its_plan_params_and_finished_chunks(db):
    run = start_job("match", "customers", params={"threshold": 0.9})
    plan_chunks(run.pk, ["a", "b", "c"])
    record_chunk_done(run.pk, {"pairs": 10}, chunk="a")
    _crash(run)

    resumed = start_job("match", "customers", params={"threshold": 0.5})

    assert resumed.pk == run.pk
    assert resumed.params == {"threshold": 0.9}
    assert resumed.resumed == 1
    assert "resumed after a stale heartbeat" in resumed.log
    assert pending_chunks(run.pk) == ["b", "c"]
    assert resumed.counts == {"pairs": 10}
    assert plan_chunks(run.pk, ["a", "b", "c"]) == 3


def test_recording_a_chunk_twice_counts_it_once(db):
    run = start_job("match", "customers")
    plan_chunks(run.pk, ["a", "b"])

    first = record_chunk_done(run.pk, {"pairs": 5}, chunk="a")
    again = record_chunk_done(run.pk, {"pairs": 5}, chunk="a")

    assert (first.recorded, first.last) == (True, False)
    assert (again.recorded, again.last) == (False, False)
    run.refresh_from_db()
    assert (run.done_chunks, run.counts) == (1, {"pairs": 5})


def test_finish_and_fail_change_an_unfinished_run_only(db):
    run = start_job("match", "customers")

    assert finish_job(run.pk, counts={"merged": 3}, timings={"finalize": 1.5}) is True
    assert finish_job(run.pk, counts={"merged": 3}) is False
    assert fail_job(run.pk, "too late") is False

    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.counts == {"merged": 3}
    assert run.timings["finalize"] == 1.5 and run.timings["total"] >= 0
    assert run.error == "" and run.finished_at is not None


def test_a_failed_chunk_fails_the_run_at_its_end(db):
    run = start_job("test_squares")
    plan_chunks(run.pk, ["1", "2"])
    record_chunk_done(run.pk, {"items": 1}, chunk="1")

    progress = record_chunk_failed(run.pk, "2", "Traceback...\nRuntimeError: boom")
    job_runner.finalize_job(run.pk)

    assert progress.last is True
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "1 of 2 chunks failed"
    assert JobChunk.objects.get(job=run, key="2").error.endswith("RuntimeError: boom")
    assert "chunk 2 failed: RuntimeError: boom" in run.log


def test_counts_must_be_named_numbers(db):
    run = start_job("match", "customers")
    plan_chunks(run.pk, ["a"])

    with pytest.raises(ValueError):
        record_chunk_done(run.pk, {"Pairs Scored": 1}, chunk="a")
    with pytest.raises(ValueError):
        record_chunk_done(run.pk, {"pairs": "1"}, chunk="a")

    assert pending_chunks(run.pk) == ["a"]


def test_eager_mode_runs_a_registered_job_to_the_end(db, django_capture_on_commit_callbacks):
    # The embedded default (no broker): the same job runs in process, chunk by chunk.
    with django_capture_on_commit_callbacks(execute=True):
        run = job_runner.launch_job("test_squares", params={"chunks": 4})

    run.refresh_from_db()
    assert run.status == "succeeded"
    assert (run.done_chunks, run.total_chunks) == (4, 4)
    assert run.counts == {"items": 4, "sum_of_squares": 30, "finalized": 1}
    assert set(run.timings) >= {"plan", "chunks", "finalize", "total"}
    assert job_runner.describe_job(run).startswith(f"test_squares: succeeded run #{run.pk}")
