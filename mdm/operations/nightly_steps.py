"""The nightly steps of the beat that run in one worker, each as a recorded job run.

The beat calls them through thin tasks (``mdm.tasks``). Each calls its service directly (never a
management command) and keeps in the run's log what the command would print.
"""

from __future__ import annotations

import os

from mdm.jobs.runner import run_inline_job
from mdm.jobs.runs import append_log
from mdm.linking.batch.match import run_batch_match
from mdm.linking.batch.report import summary_line
from mdm.models import JobRun
from mdm.quality.report import render_table
from mdm.quality.snapshot import take_quality_snapshot

#: The most of a step's output a run keeps in its log.
LOG_LIMIT = 100_000


def run_match(entity: str) -> JobRun:
    """The batch match of one entity in this worker (as ``manage.py match --entity E``).

    Raises JobAlreadyRunning when a live run of the same entity exists.
    """

    def work(run: JobRun) -> None:
        report = run_batch_match(entity=entity, processes=os.cpu_count() or 1)
        lines = [*report.learning, summary_line(report)]
        append_log(run.pk, ("\n".join(lines) + "\n")[-LOG_LIMIT:])

    return run_inline_job("match", entity, work)


def run_quality_report() -> JobRun:
    """The data-quality snapshot (as ``manage.py quality_report``), its table in the log."""

    def work(run: JobRun) -> None:
        snapshot = take_quality_snapshot(reason="quality_report")
        append_log(run.pk, render_table(snapshot)[-LOG_LIMIT:])

    return run_inline_job("quality_report", "", work)
