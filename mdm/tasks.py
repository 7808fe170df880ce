"""Celery tasks of the hub: each takes ids or plain values and calls one service.

Job tasks (``run_job_task``, ``run_job_chunk_task``, ``finalize_job_task``) drive every job kind
registered with ``mdm.jobs.runner``; the scheduled tasks are the beat's entries
(``mdm.jobs.schedule``); the webhook tasks deliver the outbox.
"""

from __future__ import annotations

import logging

from celery import Task
from django.conf import settings

from mdm.celery import app
from mdm.feed import webhooks
from mdm.jobs import history_cleanup
from mdm.jobs import runner as job_runner
from mdm.jobs.runs import JobAlreadyRunning, fail_job
from mdm.operations import nightly_steps as nightly
from mdm.operations.nightly import run_nightly_backup

logger = logging.getLogger(__name__)

#: The matching app's own nightly task, when it provides one; otherwise ``manage.py match``.
MATCH_TASK = "matching.tasks.nightly_match_task"


class JobStepTask(Task):
    """A run-level step: a failure that escapes it fails the run (args[0] is the run id)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        fail_job(args[0], str(einfo))


class JobChunkTask(Task):
    """A chunk: called by Celery once its retries are spent (args are the run id and the key)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_runner.chunk_failed(args[0], args[1], str(einfo))


@app.task(base=JobStepTask, ignore_result=True)
def run_job_task(job_id: int) -> None:
    job_runner.run_job(job_id)


@app.task(
    base=JobChunkTask,
    ignore_result=True,
    autoretry_for=(Exception,),  # a chunk is idempotent: any failure is worth another try
    max_retries=settings.MDM_JOB_CHUNK_MAX_RETRIES,
    retry_backoff=settings.MDM_JOB_CHUNK_RETRY_SECONDS,
)
def run_job_chunk_task(job_id: int, chunk: str) -> None:
    job_runner.run_chunk(job_id, chunk)


@app.task(base=JobStepTask, ignore_result=True)
def finalize_job_task(job_id: int) -> None:
    job_runner.finalize_job(job_id)


@app.task(ignore_result=True)
def nightly_match_task(entity: str) -> int | None:
    """The nightly batch match of one entity: the matching app's task when it has one (it may
    fan out over the workers), else ``manage.py match`` in this worker as a job run."""
    delegate = app.tasks.get(MATCH_TASK)
    if delegate is not None:
        delegate.delay(entity=entity)
        return None
    try:
        run = nightly.run_match_command(entity)
    except JobAlreadyRunning:
        logger.warning("nightly match of %s skipped: the previous run is still going", entity)
        return None
    return run.pk if run else None


@app.task(ignore_result=True)
def quality_snapshot_task() -> int | None:
    try:
        run = nightly.run_quality_report()
    except JobAlreadyRunning:
        logger.warning("quality snapshot skipped: the previous run is still going")
        return None
    return run.pk if run else None


@app.task(ignore_result=True)
def clean_history_task(days: int | None = None) -> int | None:
    try:
        run = history_cleanup.launch_history_cleanup(days)
    except JobAlreadyRunning:
        logger.warning("history clean-up skipped: the previous run is still going")
        return None
    return run.pk if run else None


@app.task(ignore_result=True)
def dispatch_webhooks_task() -> int:
    """Wake a deliverer for every subscription with an event to send now (after each golden
    change, and periodically from the beat, which is also how backed-off retries resume)."""
    ready = webhooks.subscriptions_with_work()
    for subscription_id in ready:
        deliver_webhooks_task.delay(subscription_id)
    return len(ready)


@app.task(ignore_result=True)
def deliver_webhooks_task(subscription_id: int) -> int:
    return webhooks.deliver_subscription(subscription_id)


@app.task(ignore_result=True)
def nightly_backup_task() -> int | None:
    """Backup, verification and retention (``MDM_BACKUP_AT``)."""
    try:
        run = run_nightly_backup()
    except JobAlreadyRunning:
        logger.warning("nightly backup skipped: the previous run is still going")
        return None
    return run.pk
