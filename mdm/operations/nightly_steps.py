"""The nightly steps that other parts of the hub provide as commands, run as recorded jobs.

The beat calls them through thin tasks. When the command is not installed (yet), the step is
skipped with a warning instead of failing every night.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import Any

from django.core.management import call_command, get_commands

from mdm.jobs.runner import run_inline_job
from mdm.jobs.runs import append_log
from mdm.models import JobRun

logger = logging.getLogger(__name__)


def run_command_job(
    kind: str, command: str, *, entity: str = "", options: Mapping[str, Any] | None = None
) -> JobRun | None:
    """Run a management command as a single-flight job run, its output kept in the run's log.

    Returns None (and logs a warning) when the command does not exist; raises
    JobAlreadyRunning when a live run of the same kind and entity exists.
    """
    if command not in get_commands():
        logger.warning("nightly step %s skipped: no %r command installed", kind, command)
        return None

    def work(run: JobRun) -> None:
        out = io.StringIO()
        try:
            call_command(command, stdout=out, stderr=out, **dict(options or {}))
        finally:
            append_log(run.pk, out.getvalue()[-100_000:])

    return run_inline_job(kind, entity, work)


def run_match_command(entity: str) -> JobRun | None:
    """The batch match of one entity in this worker (``manage.py match --entity E``)."""
    return run_command_job("match", "match", entity=entity, options={"entity": entity})


def run_quality_report() -> JobRun | None:
    """The data-quality snapshot (``manage.py quality_report``)."""
    return run_command_job("quality_report", "quality_report")
