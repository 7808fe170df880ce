"""Celery tasks of the hub: each takes ids or plain values and calls one service.

The scheduled tasks are the beat's entries (``mdm.jobs.schedule``). The job tasks
(``run_job_task``, ``run_job_chunk_task``, ``finalize_job_task``) live with the runner that
enqueues them (``mdm.jobs.runner``), the webhook tasks with the deliverers (``mdm.feed.webhooks``);
they are imported here so that Celery's autodiscovery of ``mdm.tasks`` registers every task,
under the names they always had (``mdm.tasks.*``).
"""

from __future__ import annotations

import logging

from mdm.celery import app
from mdm.documents.bus import publish_bus_task
from mdm.documents.push import dispatch_document_pushes_task, push_documents_task
from mdm.documents.services import release_held_documents
from mdm.feed.webhooks import deliver_webhooks_task, dispatch_webhooks_task
from mdm.jobs import history_cleanup
from mdm.jobs.runner import (
    DB_RETRY,
    finalize_job_task,
    recover_stalled_jobs,
    run_job_chunk_task,
    run_job_task,
)
from mdm.jobs.runs import JobAlreadyRunning
from mdm.operations import nightly_steps as nightly
from mdm.operations import timeline
from mdm.operations.nightly import run_nightly_backup

logger = logging.getLogger(__name__)

__all__ = [
    "clean_history_task",
    "deliver_webhooks_task",
    "dispatch_document_pushes_task",
    "dispatch_webhooks_task",
    "finalize_job_task",
    "nightly_backup_task",
    "nightly_match_task",
    "publish_bus_task",
    "push_documents_task",
    "quality_snapshot_task",
    "recover_stalled_jobs_task",
    "release_held_documents_task",
    "run_job_chunk_task",
    "run_job_task",
    "sample_backlog_task",
]


@app.task(ignore_result=True)
def nightly_match_task(entity: str) -> int | None:
    """The nightly batch match of one entity in this worker, as a job run."""
    try:
        run = nightly.run_match(entity)
    except JobAlreadyRunning:
        logger.warning("nightly match of %s skipped: the previous run is still going", entity)
        return None
    return run.pk


@app.task(ignore_result=True)
def quality_snapshot_task() -> int | None:
    try:
        run = nightly.run_quality_report()
    except JobAlreadyRunning:
        logger.warning("quality snapshot skipped: the previous run is still going")
        return None
    return run.pk


@app.task(ignore_result=True)
def clean_history_task(days: int | None = None) -> int | None:
    try:
        run = history_cleanup.launch_history_cleanup(days)
    except JobAlreadyRunning:
        logger.warning("history clean-up skipped: the previous run is still going")
        return None
    return run.pk if run else None


@app.task(ignore_result=True)
def nightly_backup_task() -> int | None:
    """Backup, verification and retention (``MDM_BACKUP_AT``)."""
    try:
        run = run_nightly_backup()
    except JobAlreadyRunning:
        logger.warning("nightly backup skipped: the previous run is still going")
        return None
    return run.pk


@app.task(ignore_result=True, **DB_RETRY)
def recover_stalled_jobs_task() -> int:
    """The job watchdog (``MDM_JOB_WATCHDOG_SECONDS``): the work of dead workers goes back to
    the live ones; returns how many chunks and runs it handed back."""
    work = recover_stalled_jobs()
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
