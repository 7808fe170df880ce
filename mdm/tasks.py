"""Celery tasks of the hub: each takes ids or plain values and calls one service.

Job tasks (``run_job_task``, ``run_job_chunk_task``, ``finalize_job_task``) drive every job kind
registered with ``mdm.services.job_runner``; the scheduled tasks are the beat's entries
(``mdm.schedule``); the webhook tasks deliver the outbox.
"""

from __future__ import annotations

import logging

from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from mdm.celery import app
from mdm.documents import bus
from mdm.documents.services import release_held_documents
from mdm.operations import timeline
from mdm.operations.nightly import run_nightly_backup
from mdm.services import history_cleanup, job_runner, nightly, webhooks
from mdm.services.jobs import JobAlreadyRunning, fail_job

logger = logging.getLogger(__name__)

#: A dropped or restarting database: worth a few more tries before a step counts as failed.
#: The steps are idempotent (conditional updates), so running one again changes nothing twice.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
DB_RETRY = {
    "autoretry_for": TRANSIENT_DB_ERRORS,
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
}

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


@app.task(base=JobStepTask, ignore_result=True, **DB_RETRY)
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


@app.task(base=JobStepTask, ignore_result=True, **DB_RETRY)
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


@app.task(ignore_result=True, **DB_RETRY)
def dispatch_webhooks_task() -> int:
    """Wake a deliverer for every subscription with an event to send now (after each golden
    change, and periodically from the beat, which is also how backed-off retries resume)."""
    ready = webhooks.subscriptions_with_work()
    for subscription_id in ready:
        deliver_webhooks_task.delay(subscription_id)
    return len(ready)


@app.task(ignore_result=True, **DB_RETRY)
def deliver_webhooks_task(subscription_id: int) -> int:
    return webhooks.deliver_subscription(subscription_id)


@app.task(ignore_result=True, **DB_RETRY)
def recover_stalled_jobs_task() -> int:
    """The job watchdog (``MDM_JOB_WATCHDOG_SECONDS``): the work of dead workers goes back to
    the live ones; returns how many chunks and runs it handed back."""
    work = job_runner.recover_stalled_jobs()
    return len(work.chunks) + len(work.runs)


@app.task(ignore_result=True, **DB_RETRY)
def sample_backlog_task() -> dict[str, int]:
    """The operations page's backlog sizes, once a minute (``MDM_OPERATIONS_SAMPLE_SECONDS``)."""
    return timeline.sample_backlog()


@app.task(ignore_result=True)
def release_held_documents_task() -> int:
    """Business documents held for a missing mapping go once it exists (the API also releases
    after each upsert; this covers imports and stewards' edits)."""
    return release_held_documents()


@app.task(ignore_result=True)
def publish_bus_task() -> int:
    """Inbox items and master-data events to the message bus (``MDM_AMQP_URL``)."""
    done = bus.publish_pending()
    return done.inbox + done.events


@app.task(ignore_result=True)
def nightly_backup_task() -> int | None:
    """Backup, verification and retention (``MDM_BACKUP_AT``)."""
    try:
        run = run_nightly_backup()
    except JobAlreadyRunning:
        logger.warning("nightly backup skipped: the previous run is still going")
        return None
    return run.pk
