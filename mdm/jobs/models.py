"""Background job runs (nightly match, history clean-up, data-quality snapshot) and their chunks.

A ``JobRun`` is the row an operator looks at: status, chunk progress, counts, timings, log.
``JobChunk`` rows are the unit of work of a distributed job; they make a run resumable (a rerun
after a crash only does the chunks that are not done) and chunk completion idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobRunStatusChoices(models.TextChoices):
    PLANNING = "planning", _("planning")
    RUNNING = "running", _("running")
    FINALIZING = "finalizing", _("finalizing")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


#: A run in one of these states is "unfinished": at most one per (kind, entity).
UNFINISHED_STATUSES = (
    JobRunStatusChoices.PLANNING,
    JobRunStatusChoices.RUNNING,
    JobRunStatusChoices.FINALIZING,
)


class JobRun(models.Model):
    """One run of a background job for one entity (or none), with its progress and results.

    Single flight: a partial unique constraint allows one unfinished run per (kind, entity);
    ``mdm.jobs.runs.start_job`` relies on it instead of looking before it leaps.
    ``heartbeat_at`` is refreshed while the run makes progress; a run whose heartbeat is older
    than ``MDM_JOB_STALE_SECONDS`` is taken to have crashed and is taken over by the next start.
    ``counts`` and ``timings`` hold numbers only, added to atomically as chunks finish.
    """

    kind = models.CharField(_("kind"), max_length=40)
    entity = models.CharField(_("entity"), max_length=20, blank=True, default="")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=JobRunStatusChoices,
        default=JobRunStatusChoices.PLANNING,
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    total_chunks = models.PositiveIntegerField(_("total chunks"), default=0)
    done_chunks = models.PositiveIntegerField(_("done chunks"), default=0)
    failed_chunks = models.PositiveIntegerField(_("failed chunks"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    timings = models.JSONField(_("timings (s)"), default=dict, blank=True)
    log = models.TextField(_("log"), blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    resumed = models.PositiveSmallIntegerField(_("times resumed"), default=0)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("heartbeat"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "entity"],
                condition=models.Q(status__in=UNFINISHED_STATUSES),
                name="jobrun_one_unfinished_per_kind_entity",
            )
        ]
        indexes = [models.Index(fields=["kind", "entity", "status"], name="jobrun_kind_idx")]

    def __str__(self) -> str:
        target = f" {self.entity}" if self.entity else ""
        return f"#{self.pk} {self.kind}{target} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status not in UNFINISHED_STATUSES

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


class JobChunkStatusChoices(models.TextChoices):
    PENDING = "pending", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class JobChunk(models.Model):
    """One unit of work of a run (a block range, a model...), identified by a key unique in the run."""

    job = models.ForeignKey(
        JobRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("run")
    )
    key = models.CharField(_("chunk"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=JobChunkStatusChoices,
        default=JobChunkStatusChoices.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Refreshed by the worker doing the chunk: a running chunk whose heartbeat is stale lost its
    # worker (killed, OOM) and is handed back to the queue by ``recover_stalled_jobs``.
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("job chunk")
        verbose_name_plural = _("job chunks")
        ordering = ["job", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="jobchunk_unique_key_per_run")
        ]
        indexes = [models.Index(fields=["job", "status"], name="jobchunk_job_status_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.key} ({self.status})"
