"""Data quality: snapshots of the metrics, and the issues stewards work off.

A ``QualitySnapshot`` is what ``quality_report`` measured at one moment, for every entity and
source system (see ``mdm.quality.metrics`` for the exact definitions). A
``QualityIssue`` is one concrete thing to fix in the data: a value that failed a ``flag`` rule,
a value that contradicts a valid identifier, a missing required value, or attributes on which
the source systems of one golden record disagree. Issues are opened and closed by the data
itself (``mdm.quality.issues``); stewards acknowledge, reassign or close them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dictionary.history import TranslatedHistory
from dictionary.models import EntityChoices


class QualitySnapshot(models.Model):
    """The data-quality metrics of the whole hub at one moment, as ``quality_report`` stored them.

    ``metrics`` is exactly the machine-readable report:
    ``{entity: {system code or "ALL": {"completeness": {element: share}, "validity": {...},
    "uniqueness": {...}, "consistency": {...}, "timeliness": {...}}}}``.
    ``summary`` holds the figures of the scorecard per entity and system (cell-weighted
    completeness of required and of all elements, validity, consistency, open issues) that the
    dashboard draws its trends from; ``issue_changes`` what the issue reconciliation of this run
    opened and closed.
    """

    taken_at = models.DateTimeField(_("taken at"), db_index=True)
    metrics = models.JSONField(_("metrics"), default=dict)
    summary = models.JSONField(_("scorecard"), default=dict)
    issue_changes = models.JSONField(_("issue changes"), default=dict, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    history = TranslatedHistory()
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str
    #: Not stored: the milliseconds of each phase, set on the snapshot a run returns.
    phase_ms: dict[str, int]

    class Meta:
        verbose_name = _("quality snapshot")
        verbose_name_plural = _("quality snapshots")
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M}"


class QualityIssueKindChoices(models.TextChoices):
    INVALID = "invalid", _("Invalid value")
    CONTRADICTION = "contradiction", _("Contradicts identifier")
    MISSING_REQUIRED = "missing_required", _("Missing required value")
    INCONSISTENT = "inconsistent", _("Inconsistent across systems")
    BRANCH_HQ_CODE = (
        "branch_hq_code",
        _("Branch holds its head office's code"),
    )


class QualityIssueStatusChoices(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


class QualityIssueResolutionChoices(models.TextChoices):
    FIXED = "fixed", _("Data fixed")
    DISMISSED = "dismissed", _("Closed by steward")


#: Statuses of an issue someone still has to act on.
UNRESOLVED_STATUSES = (QualityIssueStatusChoices.OPEN, QualityIssueStatusChoices.ACKNOWLEDGED)


class QualityIssueQuerySet(models.QuerySet):
    def unresolved(self):
        return self.filter(status__in=UNRESOLVED_STATUSES)


class QualityIssue(models.Model):
    """One concrete data-quality problem, assigned to the owner department of its element.

    ``key`` identifies the problem: kind, record (or golden record), element and a digest of the
    value. The same problem is never open twice (partial unique constraint); a problem a
    steward closed is not reopened while the data stays the same, while a new bad value is a new
    issue. ``value`` is the value as the source system sent it (for an inconsistency: each
    system's value); ``suggested_fix`` is filled only with a fact a valid identifier proves
    (``dictionary.derivations``), never a guess.
    """

    key = models.CharField(_("key"), max_length=255)
    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    kind = models.CharField(_("kind"), max_length=20, choices=QualityIssueKindChoices)
    element = models.CharField(_("element"), max_length=50)
    rule = models.CharField(_("rule"), max_length=100, blank=True)
    problem = models.CharField(_("problem code"), max_length=50, blank=True)
    message = models.TextField(_("message"), blank=True)
    source_record = models.ForeignKey(
        "mdm.SourceRecord",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quality_issues",
        verbose_name=_("source record"),
        db_index=False,  # qualityissue_record_idx (source_record, status) serves the look-ups
    )
    system = models.ForeignKey(
        "mdm.SourceSystem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quality_issues",
        verbose_name=_("system"),
    )
    golden_code = models.CharField(_("golden code"), max_length=20, blank=True)
    value = models.TextField(_("value as received"), blank=True)
    suggested_fix = models.CharField(_("suggested fix"), max_length=300, blank=True)
    owner_department = models.CharField(_("owner department"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=QualityIssueStatusChoices,
        default=QualityIssueStatusChoices.OPEN,
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=QualityIssueResolutionChoices, blank=True
    )
    close_reason = models.CharField(_("close reason"), max_length=300, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    updated_at = models.DateTimeField(_("updated"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
        db_index=False,  # audit fields, never searched by
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
        db_index=False,  # audit fields, never searched by
    )
    history = TranslatedHistory()

    objects = QualityIssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("quality issue")
        verbose_name_plural = _("quality issues")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="qualityissue_one_unresolved_per_key",
            )
        ]
        # Indexes in Meta rather than db_index on fields: the historical table copies db_index,
        # and the reconciliation writes thousands of history rows at a time.
        indexes = [
            models.Index(fields=["key"], name="qualityissue_key_idx"),
            models.Index(fields=["owner_department"], name="qualityissue_department_idx"),
            models.Index(fields=["entity", "status", "kind"], name="qualityissue_queue_idx"),
            models.Index(fields=["source_record", "status"], name="qualityissue_record_idx"),
            models.Index(fields=["golden_code", "status"], name="qualityissue_golden_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.entity}.{self.element}"

    @property
    def is_resolved(self) -> bool:
        return self.status == QualityIssueStatusChoices.CLOSED
