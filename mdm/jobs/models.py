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
    PLANNING = "planning", _("规划中 planning")
    RUNNING = "running", _("运行中 running")
    FINALIZING = "finalizing", _("收尾中 finalizing")
    SUCCEEDED = "succeeded", _("成功 succeeded")
    FAILED = "failed", _("失败 failed")


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

    kind = models.CharField(_("类型 kind"), max_length=40)
    entity = models.CharField(_("实体 entity"), max_length=20, blank=True, default="")
    status = models.CharField(
        _("状态 status"),
        max_length=12,
        choices=JobRunStatusChoices,
        default=JobRunStatusChoices.PLANNING,
    )
    params = models.JSONField(_("参数 parameters"), default=dict, blank=True)
    total_chunks = models.PositiveIntegerField(_("分块总数 total chunks"), default=0)
    done_chunks = models.PositiveIntegerField(_("已完成分块 done chunks"), default=0)
    failed_chunks = models.PositiveIntegerField(_("失败分块 failed chunks"), default=0)
    counts = models.JSONField(_("计数 counts"), default=dict, blank=True)
    timings = models.JSONField(_("耗时(秒) timings (s)"), default=dict, blank=True)
    log = models.TextField(_("日志 log"), blank=True, default="")
    error = models.TextField(_("错误 error"), blank=True, default="")
    resumed = models.PositiveSmallIntegerField(_("恢复次数 times resumed"), default=0)
    started_at = models.DateTimeField(_("开始时间 started"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("心跳时间 heartbeat"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间 finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务运行 job run")
        verbose_name_plural = _("后台任务运行 job runs")
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
    PENDING = "pending", _("待处理 pending")
    RUNNING = "running", _("处理中 running")
    DONE = "done", _("完成 done")
    FAILED = "failed", _("失败 failed")


class JobChunk(models.Model):
    """One unit of work of a run (a block range, a model...), identified by a key unique in the run."""

    job = models.ForeignKey(
        JobRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("运行 run")
    )
    key = models.CharField(_("分块 chunk"), max_length=200)
    status = models.CharField(
        _("状态 status"),
        max_length=10,
        choices=JobChunkStatusChoices,
        default=JobChunkStatusChoices.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数 attempts"), default=0)
    counts = models.JSONField(_("计数 counts"), default=dict, blank=True)
    seconds = models.FloatField(_("耗时(秒) seconds"), null=True, blank=True)
    error = models.TextField(_("错误 error"), blank=True, default="")
    started_at = models.DateTimeField(_("开始时间 started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间 finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务分块 job chunk")
        verbose_name_plural = _("任务分块 job chunks")
        ordering = ["job", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="jobchunk_unique_key_per_run")
        ]
        indexes = [models.Index(fields=["job", "status"], name="jobchunk_job_status_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.key} ({self.status})"
