"""The beat schedule, its settings, the nightly steps and the history clean-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from mdm import tasks
from mdm.celery import app
from mdm.jobs import history_cleanup, schedule
from mdm.jobs.runs import start_job
from mdm.models import Customer, JobRun, QualitySnapshot, SourceSystem


def test_the_beat_schedule_has_every_nightly_step_and_the_webhook_dispatch():
    entries = settings.CELERY_BEAT_SCHEDULE

    assert set(entries) == {
        "nightly-match-customers",
        "nightly-match-products",
        "nightly-match-materials",
        "quality-snapshot",
        "history-cleanup",
        "webhook-dispatch",
        "job-watchdog",
        "operations-backlog",
        "document-release",
        "document-push",
    }
    assert entries["document-push"]["task"] == "mdm.tasks.dispatch_document_pushes_task"
    assert entries["nightly-match-products"]["kwargs"] == {"entity": "products"}
    assert entries["nightly-match-customers"]["schedule"] == crontab(hour=1, minute=30)
    assert entries["webhook-dispatch"]["schedule"] == settings.MDM_WEBHOOK_POLL_SECONDS
    for entry in entries.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_schedule_times_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MDM_NIGHTLY_MATCH_AT", "23:05")
    monkeypatch.setenv("MDM_QUALITY_REPORT_AT", "off")

    assert schedule.daily_at("MDM_NIGHTLY_MATCH_AT", "01:30") == crontab(hour=23, minute=5)
    assert schedule.daily_at("MDM_QUALITY_REPORT_AT", "04:30") is None
    assert schedule.daily_at("MDM_UNSET_FOR_TEST_AT", "7:00") == crontab(hour=7, minute=0)


@pytest.mark.parametrize("value", ["24:00", "2am", "02:60", ""])
def test_a_malformed_time_stops_the_start_up(monkeypatch, value):
    monkeypatch.setenv("MDM_NIGHTLY_MATCH_AT", value)

    with pytest.raises(ImproperlyConfigured):
        schedule.daily_at("MDM_NIGHTLY_MATCH_AT", "01:30")


def test_a_step_set_off_is_left_out_of_the_schedule():
    entries = schedule.beat_schedule(
        match_at=None,
        match_entities=["customers"],
        quality_at=None,
        history_at=None,
        webhook_every=5,
        watchdog_every=10,
    )

    assert list(entries) == ["webhook-dispatch", "job-watchdog"]
    assert entries["job-watchdog"]["task"] == "mdm.tasks.recover_stalled_jobs_task"
    assert entries["job-watchdog"]["schedule"] == 10.0


def test_a_non_positive_number_stops_the_start_up(monkeypatch):
    monkeypatch.setenv("MDM_WEBHOOK_MAX_ATTEMPTS", "0")

    with pytest.raises(ImproperlyConfigured):
        schedule.positive_int("MDM_WEBHOOK_MAX_ATTEMPTS", 8)


def test_the_quality_snapshot_runs_as_a_recorded_job_with_its_table_in_the_log(db):
    run_id = tasks.quality_snapshot_task()

    run = JobRun.objects.get(pk=run_id)
    assert (run.kind, run.entity, run.status) == ("quality_report", "", "succeeded")
    assert QualitySnapshot.objects.count() == 1
    assert "Data quality report" in run.log


def test_the_nightly_match_runs_as_a_recorded_job_with_its_counts_in_the_log(db):
    run_id = tasks.nightly_match_task("products")

    run = JobRun.objects.get(pk=run_id)
    assert (run.kind, run.entity, run.status) == ("match", "products", "succeeded")
    assert "match products: records=0 " in run.log


def test_a_nightly_step_still_running_is_not_started_twice(db):
    start_job("match", "customers")

    assert tasks.nightly_match_task("customers") is None
    assert JobRun.objects.filter(kind="match").count() == 1


def test_old_history_rows_go_and_recent_ones_stay(erp):
    erp.put("customers", "A", {"name": "北京华信科技有限公司", "customer_type": "org"})
    erp.put("customers", "B", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    erp.put("customers", "C", {"name": "广州白云贸易有限公司", "customer_type": "org"})
    Customer.history.exclude(name="广州白云贸易有限公司").update(
        history_date=timezone.now() - timedelta(days=31)
    )

    deleted = history_cleanup.delete_old_history(
        Customer.history.model, history_cleanup.retention_cutoff(30), batch=1
    )

    assert deleted == 2
    assert list(Customer.history.values_list("name", flat=True)) == ["广州白云贸易有限公司"]
    assert SourceSystem.history.count() == 1


def test_history_retention_zero_keeps_everything(db, settings):
    settings.MDM_HISTORY_RETENTION_DAYS = 0

    assert tasks.clean_history_task() is None
    assert JobRun.objects.count() == 0


def test_every_tracked_model_has_its_history_table_in_the_clean_up():
    labels = {m._meta.label for m in history_cleanup.historical_models()}

    assert {
        "mdm.HistoricalCustomer",
        "mdm.HistoricalSourceRecord",
        "mdm.HistoricalWebhookSubscription",
        "mdm.HistoricalWebhookDelivery",
        "dictionary.HistoricalDataElement",
    } <= labels
