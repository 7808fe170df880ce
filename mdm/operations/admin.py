"""The operations page (运行监控) in the admin: the figures over time, from the hub's own tables."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from mdm.models import OperationsMinute
from mdm.operations import charts
from mdm.operations.overview import WINDOWS, overview
from mdm.operations.timeline import BACKLOGS

BACKLOG_LABELS = {
    "review_queue": _("pending review candidates"),
    "open_issues": _("open quality issues"),
    "outbox_lag": _("events not yet delivered"),
    "dead_letters": _("dead-letter deliveries"),
    "running_jobs": _("unfinished job runs"),
}


@admin.register(OperationsMinute)
class OperationsMinuteAdmin(admin.ModelAdmin):
    """The model's list is the operations page; its rows are written by the hub, never by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        view = overview(request.GET.get("window", ""))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Operations"),
            "opts": self.model._meta,
            "view": view,
            "windows": list(WINDOWS),
            "requests_chart": charts.line_chart(view.requests, label=str(_("requests"))),
            "p95_chart": charts.line_chart(view.p95_ms, label="p95", unit=" ms"),
            "errors_chart": charts.line_chart(
                view.error_rate, label=str(_("error rate")), unit=" %"
            ),
            "sync_chart": charts.line_chart(
                view.sync_rate, label=str(_("sync success rate")), unit=" %"
            ),
            "sync_charts": [
                (
                    line,
                    charts.line_chart(
                        line.points, label=f"{line.system} {line.channel}", unit=" %"
                    ),
                )
                for line in view.syncs
            ],
            "job_charts": [
                (line, charts.line_chart(line.points, label=line.kind, unit=" s"))
                for line in view.jobs
            ],
            "backlogs": [
                {
                    "name": BACKLOG_LABELS[name],
                    "now": view.backlog_now.get(name, 0),
                    "chart": charts.line_chart(view.backlog[name], label=str(BACKLOG_LABELS[name])),
                }
                for name in BACKLOGS
            ],
        }
        return TemplateResponse(request, "admin/mdm/operations/overview.html", context)
