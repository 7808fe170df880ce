"""Jobs and webhooks end to end through Redis and a real Celery worker process."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from mdm.feed.webhooks import create_subscription
from mdm.jobs import history_cleanup
from mdm.jobs import runner as job_runner
from mdm.jobs.runs import add_round, plan_chunks, record_chunk_done, start_job
from mdm.models import (
    Customer,
    Event,
    JobChunk,
    JobRun,
    SourceSystem,
    WebhookDelivery,
    WebhookSubscription,
)
from mdm.tasks import clean_history_task, nightly_match_task
from tests.support.waiting import wait_until

JOB_TIMEOUT = 20


def _finished(run_id: int) -> JobRun | None:
    run = JobRun.objects.get(pk=run_id)
    return run if run.is_finished else None


def test_distributed_runs_retry_a_flaky_chunk_fail_on_a_broken_one_and_resume_after_a_crash(
    restore_after_flush, transactional_db, celery_worker
):
    # A run that crashed after two of its four chunks: the rows a dead worker leaves behind.
    crashed = start_job("test_squares", "c", params={"chunks": 4})
    plan_chunks(crashed.pk, ["1", "2", "3", "4"])
    for key in ("1", "2"):
        record_chunk_done(crashed.pk, {"items": 1, "sum_of_squares": int(key) ** 2}, chunk=key)
    JobRun.objects.filter(pk=crashed.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    # Three runs at once, one per entity (single flight is per kind and entity).
    healthy = job_runner.launch_job("test_squares", "a", params={"chunks": 6, "flaky": ["3"]})
    broken = job_runner.launch_job("test_squares", "b", params={"chunks": 3, "broken": ["2"]})
    resumed = job_runner.launch_job("test_squares", "c", params={"chunks": 4})
    for run in (healthy, broken, resumed):
        wait_until(lambda r=run: _finished(r.pk), timeout=JOB_TIMEOUT, what=f"run {run.entity}")
    healthy, broken, resumed = (JobRun.objects.get(pk=r.pk) for r in (healthy, broken, resumed))

    assert healthy.status == "succeeded", healthy.error
    assert (healthy.total_chunks, healthy.done_chunks, healthy.failed_chunks) == (6, 6, 0)
    assert healthy.counts == {"items": 6, "sum_of_squares": 91, "finalized": 1}
    assert _attempts(healthy) == {"1": 1, "2": 1, "3": 2, "4": 1, "5": 1, "6": 1}

    assert broken.status == "failed"
    assert broken.error == "1 of 3 chunks failed"
    assert (broken.done_chunks, broken.failed_chunks) == (2, 1)
    chunk = JobChunk.objects.get(job=broken, key="2")
    assert chunk.attempts == 3  # the first try and MDM_JOB_CHUNK_MAX_RETRIES=2 retries
    assert "RuntimeError: chunk 2 is broken" in chunk.error

    assert resumed.pk == crashed.pk
    assert resumed.status == "succeeded" and resumed.resumed == 1
    assert resumed.counts == {"items": 4, "sum_of_squares": 30, "finalized": 1}
    assert _attempts(resumed) == {"1": 0, "2": 0, "3": 1, "4": 1}  # done chunks never ran again
    assert JobRun.objects.filter(entity="c").count() == 1


def _attempts(run: JobRun) -> dict[str, int]:
    return dict(JobChunk.objects.filter(job=run).values_list("key", "attempts"))


def test_the_nightly_history_cleanup_deletes_old_rows_of_every_historical_model(
    restore_after_flush, transactional_db, celery_worker, erp
):
    erp.put("customers", "OLD-1", {"name": "北京华信科技有限公司", "customer_type": "org"})
    erp.put("customers", "NEW-1", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    long_ago = timezone.now() - timedelta(days=800)
    old_customers = Customer.history.filter(name="北京华信科技有限公司").update(
        history_date=long_ago
    )
    old_systems = SourceSystem.history.update(history_date=long_ago)
    kept = Customer.history.filter(name="上海浦江物流有限公司").count()

    clean_history_task.delay()
    run = wait_until(
        lambda: JobRun.objects.filter(kind="history_cleanup", finished_at__isnull=False).first(),
        timeout=JOB_TIMEOUT,
        what="the history clean-up run",
    )

    assert run.status == "succeeded", run.error
    assert run.params["retention_days"] == 730
    tables = connection.introspection.table_names()
    migrated = [m for m in history_cleanup.historical_models() if m._meta.db_table in tables]
    assert run.total_chunks == len(migrated) >= 12
    assert run.counts["deleted"] == old_customers + old_systems
    assert Customer.history.count() == kept
    assert SourceSystem.history.count() == 0


def test_webhooks_are_signed_ordered_and_retried_after_a_500(
    restore_after_flush, transactional_db, celery_worker, receiver, erp, crm, settings
):
    settings.MDM_WEBHOOK_DISPATCH_ON_COMMIT = True  # the write path wakes the worker
    subscription, secret = create_subscription(
        system=erp.system, url=receiver.url, entities=["customers"], start_after=0
    )
    receiver.script = [500]  # the receiver fails once, then accepts

    for n in range(4):
        response = erp.put(
            "customers", f"SD01-{n}", {"name": f"华信{n}号科技有限公司", "customer_type": "org"}
        )
        assert response.status_code == 201
    crm.put("customers", "BJ-1", {"name": "上海浦江物流有限公司", "customer_type": "org"})

    last = Event.objects.filter(entity="customers").order_by("-seq").first().seq
    wait_until(
        lambda: WebhookSubscription.objects.get(pk=subscription.pk).cursor == last,
        timeout=JOB_TIMEOUT,
        what="the subscription to catch up",
    )

    expected = list(
        Event.objects.filter(entity="customers").order_by("seq").values_list("seq", flat=True)
    )
    accepted = receiver.accepted()
    assert [r.seq for r in accepted] == expected
    assert all(r.signed_with(secret) for r in receiver.requests)
    assert [r.header("Idempotency-Key") for r in accepted] == [
        f"{subscription.pk}:{seq}" for seq in expected
    ]
    first, retried = receiver.requests[0], receiver.requests[1]
    assert (first.status, retried.status) == (500, 200)
    assert first.body == retried.body
    assert first.header("Idempotency-Key") == retried.header("Idempotency-Key")
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.event_id, delivery.status, delivery.attempts) == (expected[0], "delivered", 2)
    assert delivery.last_status_code == 200


def test_the_nightly_match_of_the_beat_runs_on_the_worker_as_a_recorded_job(
    restore_after_flush, transactional_db, celery_worker, erp, crm
):
    erp.put("customers", "SD01-1", {"name": "北京华信科技有限公司", "customer_type": "org"})
    crm.put("customers", "BJ-1", {"name": "上海浦江物流有限公司", "customer_type": "org"})

    nightly_match_task.delay("customers")
    run = wait_until(
        lambda: JobRun.objects.filter(kind="match", finished_at__isnull=False).first(),
        timeout=JOB_TIMEOUT,
        what="the nightly match run",
    )

    assert (run.entity, run.status) == ("customers", "succeeded"), run.error
    assert "match customers:" in run.log


def test_a_second_round_of_chunks_runs_after_the_first_and_before_the_end_step(
    restore_after_flush, transactional_db, celery_worker
):
    run = job_runner.launch_job("test_rounds", "a", params={"chunks": 3, "round": 2})
    wait_until(lambda: _finished(run.pk), timeout=JOB_TIMEOUT, what="the run with two rounds")
    run = JobRun.objects.get(pk=run.pk)

    assert run.status == "succeeded", run.error
    assert (run.total_chunks, run.done_chunks, run.failed_chunks) == (5, 5, 0)
    assert run.counts == {"items": 3, "sum_of_squares": 14, "second_round": 2, "finalized": 1}
    assert "planned a round of 2 chunks" in run.log
    assert "next_round" in run.timings


def test_a_round_asked_for_again_is_not_added_twice(db):
    run = start_job("test_rounds", "b", params={"chunks": 1})
    plan_chunks(run.pk, ["1"])
    record_chunk_done(run.pk, {"items": 1}, chunk="1")
    JobRun.objects.filter(pk=run.pk).update(status="finalizing")

    assert add_round(run.pk, ["r2-1", "r2-2"]) == 2
    JobRun.objects.filter(pk=run.pk).update(status="finalizing")  # a crash, then a resume
    assert add_round(run.pk, ["r2-1", "r2-2"]) == 0

    run = JobRun.objects.get(pk=run.pk)
    assert run.status == "finalizing"  # nothing new: the end step comes next
    assert run.total_chunks == 3
    assert sorted(run.chunks.values_list("key", flat=True)) == ["1", "r2-1", "r2-2"]


def test_a_second_finalizer_adds_no_round_to_a_run_it_no_longer_holds(db):
    run = start_job("test_rounds", "c", params={"chunks": 1})
    plan_chunks(run.pk, ["1"])
    record_chunk_done(run.pk, {"items": 1}, chunk="1")
    JobRun.objects.filter(pk=run.pk).update(status="finalizing")
    assert add_round(run.pk, ["r2-1"]) == 1  # the first finalizer: the run is running again

    assert add_round(run.pk, ["r2-1", "r2-2"]) is None  # the second: not its run to go on with

    run = JobRun.objects.get(pk=run.pk)
    assert run.status == "running" and run.total_chunks == 2
