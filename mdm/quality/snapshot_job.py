"""The data-quality snapshot as a job run on the workers: what the dashboard's button starts.

The nightly step (``mdm.operations.nightly_steps.run_quality_report``) and ``quality_report``
run the same snapshot in their own process under the same job kind, so a button pressed while
the nightly snapshot runs is told so instead of starting a second one (single flight per kind).
The kind has no chunks: the whole snapshot is its end step, which a crashed run resumes.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from mdm.jobs.runner import Counts, launch_job
from mdm.jobs.runs import append_log
from mdm.models import UNFINISHED_STATUSES, JobRun
from mdm.quality.report import render_table
from mdm.quality.snapshot import take_quality_snapshot

KIND = "quality_report"
#: The most of the snapshot's table a run keeps in its log (as the nightly step).
LOG_LIMIT = 100_000


def plan(run: JobRun) -> list[str]:
    """No chunks: the snapshot is one step (its end step)."""
    return []


def run_chunk(run: JobRun, key: str) -> Counts:
    """Never called: the kind plans no chunks."""
    return {}


def finalize(run: JobRun) -> Counts:
    """Take the snapshot for the steward who asked, keep its table in the run's log."""
    actor = get_user_model().objects.filter(pk=run.params.get("requested_by")).first()
    snapshot = take_quality_snapshot(actor=actor, reason="quality snapshot requested in the admin")
    append_log(run.pk, render_table(snapshot)[-LOG_LIMIT:])
    changes = snapshot.issue_changes or {}
    return {
        "issues_opened": sum(v.get("opened", 0) for v in changes.values()),
        "issues_closed": sum(v.get("closed", 0) for v in changes.values()),
    }


def request_quality_snapshot(*, user) -> JobRun:
    """Start a snapshot now, as a job run the workers do (the dashboard's button).

    Raises JobAlreadyRunning when a snapshot is being taken (by the nightly step, the command
    or an earlier press of the button).
    """
    return launch_job(KIND, params={"requested_by": user.pk})


def snapshot_in_progress() -> JobRun | None:
    """The unfinished snapshot run, if one is being taken now."""
    return JobRun.objects.filter(kind=KIND, status__in=UNFINISHED_STATUSES).order_by("-pk").first()
