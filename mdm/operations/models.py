"""The hub's own record of how it runs, minute by minute, for the operations page (运行监控).

Prometheus keeps the same figures for a site that runs it; this table is for the site that does
not, and it is read by the admin's operations page only.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OperationsMinuteSeriesChoices(models.TextChoices):
    HTTP = "http", _("API requests")
    SYNC = "sync", _("data sync")
    BACKLOG = "backlog", _("backlog")


class OperationsMinute(models.Model):
    """One minute of one series: API requests of a route and method, sync outcomes of a system
    and channel (``count`` succeeded, ``failed`` refused), or a backlog's size (``count``).

    Rows are added to with ``F()`` increments (several processes write the same minute) and
    kept ``MDM_OPERATIONS_RETENTION_DAYS``.
    """

    minute = models.DateTimeField(_("minute"))
    series = models.CharField(
        _("series"), max_length=16, choices=OperationsMinuteSeriesChoices.choices
    )
    name = models.CharField(_("name"), max_length=120)
    detail = models.CharField(
        pgettext_lazy("breakdown", "detail"), max_length=40, blank=True, default=""
    )
    count = models.BigIntegerField(_("count"), default=0)
    failed = models.BigIntegerField(_("failed"), default=0)
    seconds = models.FloatField(_("seconds"), default=0.0)
    #: Latency histogram: requests at or under each bound (``le_0_25``: 0.25 s), not cumulative.
    buckets = models.JSONField(_("latency buckets"), default=dict, blank=True)

    class Meta:
        verbose_name = _("operations")
        verbose_name_plural = _("operations")
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "series", "name", "detail"], name="opsminute_unique_key"
            )
        ]
        indexes = [models.Index(fields=["series", "minute"], name="opsminute_series_idx")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.series} {self.name} {self.detail}".strip()
