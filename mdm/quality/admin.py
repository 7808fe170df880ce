"""Admin for data quality: the stewards' issue list with bulk actions, snapshots, the dashboard.

Admin classes shape pages; acknowledging, closing and reassigning go through
``mdm.quality.issues``, and the dashboard and downloads read stored snapshots.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from mdm.errors import ServiceError
from mdm.jobs.runs import JobAlreadyRunning
from mdm.models import (
    JobRunStatusChoices,
    QualityIssue,
    QualityIssueStatusChoices,
    QualitySnapshot,
)
from mdm.privacy import policy as privacy
from mdm.privacy.admin import MaskedHistoryContextHelper, MaskedHistoryMixin
from mdm.quality import export
from mdm.quality.actions import acknowledge_issues, close_issues, reassign_issues
from mdm.quality.dashboard import dashboard_context
from mdm.quality.models import UNRESOLVED_STATUSES
from mdm.quality.snapshot import latest_snapshot
from mdm.quality.snapshot_job import request_quality_snapshot, snapshot_in_progress

#: Who may take a snapshot from the dashboard: whoever works the quality issues (a snapshot
#: opens and closes them), i.e. stewards and mdm_admin, not viewers or auditors.
TAKE_SNAPSHOT_PERMISSION = "mdm.change_qualityissue"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(sheets: list[export.Sheet], fmt: str, stem: str):
    """A CSV (first sheet, streamed) or XLSX (all sheets) attachment."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            export.csv_lines(sheets[0]), content_type="text/csv; charset=utf-8"
        )
    else:
        buffer = io.BytesIO()
        export.write_xlsx(buffer, sheets)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{fmt}"'
    return response


class UnresolvedStatusFilter(admin.SimpleListFilter):
    """Status, defaulting to the issues someone still has to act on."""

    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("unresolved", _("Unresolved")),
            *QualityIssueStatusChoices.choices,
            ("all", _("All")),
        ]

    def queryset(self, request, queryset):
        value = self.value() or "unresolved"
        if value == "unresolved":
            return queryset.filter(status__in=UNRESOLVED_STATUSES)
        if value in QualityIssueStatusChoices.values:
            return queryset.filter(status=value)
        return queryset

    def choices(self, changelist):
        current = self.value() or "unresolved"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class CloseIssuesForm(forms.Form):
    reason = forms.CharField(
        label=_("close reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("e.g. foreign company, has no credit code"),
    )


class ReassignIssuesForm(forms.Form):
    owner_department = forms.CharField(label=_("owner department"), required=False)
    assignee = forms.ModelChoiceField(
        label=_("assignee"),
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True),
        required=False,
    )
    reason = forms.CharField(label=_("note"), max_length=100, required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("owner_department") and not data.get("assignee"):
            raise forms.ValidationError(_("Give an owner department or an assignee"))
        return data


class IssueHistoryContextHelper(MaskedHistoryContextHelper):
    """An issue's history: its value and suggested fix masked as its element requires."""

    def prepare_delta_change_value(self, change, value):
        if change.field in SHOWN_FIELDS and isinstance(value, str):
            value = privacy.masked_issue_value(self.entity, self.record.element, value)
        return super().prepare_delta_change_value(change, value)


#: Issue fields that may quote a personal value, and the admin method that shows them masked.
SHOWN_FIELDS = {"value": "value_shown", "suggested_fix": "fix_shown", "message": "message_shown"}


@admin.register(QualityIssue)
class QualityIssueAdmin(MaskedHistoryMixin, SimpleHistoryAdmin):
    """The stewards' work list: unresolved issues first, filtered by system, element, owner.

    Values of personal elements are masked in the list, on the page, in the history and in
    the exports (``privacy.masked_issue_value``); the issue stores them masked too.
    """

    # No entity column: the golden code's prefix and the filter say it, and 1280 px has no room.
    list_display = (
        "id",
        "kind",
        "element",
        "system",
        "record_link",
        "golden_link",
        "value_short",
        "suggested_fix",
        "owner_department",
        "assignee",
        "status",
        "opened_at",
    )
    list_filter = (
        UnresolvedStatusFilter,
        "entity",
        "kind",
        ("system", admin.RelatedOnlyFieldListFilter),
        ("element", admin.AllValuesFieldListFilter),
        ("owner_department", admin.AllValuesFieldListFilter),
        "resolution",
    )
    # Never the value: a search on it would confirm a masked personal value.
    search_fields = ("element", "golden_code", "source_record__local_code")
    list_select_related = ("system", "source_record", "assignee")
    fields = [SHOWN_FIELDS.get(f.name, f.name) for f in QualityIssue._meta.fields]
    readonly_fields = fields
    actions = ["acknowledge", "close_with_reason", "reassign", "export_csv", "export_xlsx"]
    change_list_template = "admin/mdm/quality/issue_change_list.html"
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        # Issues are opened by the data (quality_report and the write path), never typed in.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("record"))
    def record_link(self, obj):
        if obj.source_record_id is None:
            return "—"
        url = reverse("admin:mdm_sourcerecord_change", args=[obj.source_record_id])
        return format_html('<a href="{}">{}</a>', url, obj.source_record.local_code)

    @admin.display(description=_("golden code"), ordering="golden_code")
    def golden_link(self, obj):
        if not obj.golden_code:
            return "—"
        model = {"customers": "customer", "products": "product", "materials": "material"}
        url = reverse(f"admin:mdm_{model[obj.entity]}_changelist")
        return format_html(
            '<a href="{}?{}">{}</a>', url, urlencode({"q": obj.golden_code}), obj.golden_code
        )

    def get_historical_record_context_helper(self, request, historical_record):
        return IssueHistoryContextHelper(
            self.model, historical_record, entity=historical_record.entity, person=False
        )

    @admin.display(description=_("value as received"))
    def value_short(self, obj):
        value = self.value_shown(obj)
        return value if len(value) <= 60 else value[:57] + "…"

    @admin.display(description=_("value as received"))
    def value_shown(self, obj) -> str:
        return privacy.masked_issue_value(obj.entity, obj.element, obj.value)

    @admin.display(description=_("suggested fix"))
    def fix_shown(self, obj) -> str:
        return privacy.masked_issue_value(obj.entity, obj.element, obj.suggested_fix)

    @admin.display(description=_("message"))
    def message_shown(self, obj) -> str:
        return privacy.scrub(obj.message)

    @admin.action(description=_("Acknowledge"), permissions=["change"])
    def acknowledge(self, request, queryset):
        count = acknowledge_issues(
            issue_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(request, _("acknowledged: %d") % count, messages.SUCCESS)

    @admin.action(description=_("Close with a reason"), permissions=["change"])
    def close_with_reason(self, request, queryset):
        form = CloseIssuesForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                count = close_issues(
                    issue_ids=queryset.values_list("pk", flat=True),
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as exc:
                self.message_user(request, exc.localized, messages.ERROR)
                return None
            self.message_user(request, _("closed: %d") % count, messages.SUCCESS)
            return None
        return self._action_page(request, queryset, form, "close_with_reason")

    @admin.action(description=_("Reassign"), permissions=["change"])
    def reassign(self, request, queryset):
        form = ReassignIssuesForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                count = reassign_issues(
                    issue_ids=queryset.values_list("pk", flat=True),
                    actor=request.user,
                    owner_department=form.cleaned_data["owner_department"],
                    assignee=form.cleaned_data["assignee"],
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as exc:
                self.message_user(request, exc.localized, messages.ERROR)
                return None
            self.message_user(request, _("reassigned: %d") % count, messages.SUCCESS)
            return None
        return self._action_page(request, queryset, form, "reassign")

    @admin.action(description=_("Export selected (CSV)"))
    def export_csv(self, request, queryset):
        return _download([export.issue_sheet(queryset)], "csv", "quality-issues")

    @admin.action(description=_("Export selected (XLSX)"))
    def export_xlsx(self, request, queryset):
        return _download([export.issue_sheet(queryset)], "xlsx", "quality-issues")

    def _action_page(self, request, queryset, form, action: str):
        context = {
            **self.admin_site.each_context(request),
            "title": self.get_actions(request)[action][2],
            "opts": self.model._meta,
            "form": form,
            "issues": queryset[:200],
            "count": queryset.count(),
            "action": action,
            "selected": queryset.values_list("pk", flat=True),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/mdm/quality/issue_action.html", context)


@admin.register(QualitySnapshot)
class QualitySnapshotAdmin(SimpleHistoryAdmin):
    """Stored snapshots, the dashboard drawn from them, and the downloads."""

    list_display = ("taken_at", "duration_ms", "opened", "closed")
    readonly_fields = ("taken_at", "duration_ms", "metrics", "summary", "issue_changes")
    change_list_template = "admin/mdm/quality/snapshot_change_list.html"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        # Snapshots are taken by `manage.py quality_report` (and the nightly job).
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("opened"))
    def opened(self, obj):
        return sum(v.get("opened", 0) for v in (obj.issue_changes or {}).values())

    @admin.display(description=_("auto-closed"))
    def closed(self, obj):
        return sum(v.get("closed", 0) for v in (obj.issue_changes or {}).values())

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="mdm_quality_dashboard"),
            path(
                "dashboard/snapshot/",
                view(self.take_snapshot_view),
                name="mdm_quality_take_snapshot",
            ),
            path(
                "export/<str:what>.<str:fmt>",
                view(self.export_view),
                name="mdm_quality_export",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **dashboard_context(),
            "title": _("Data quality dashboard"),
            "opts": self.model._meta,
            "can_view_issues": request.user.has_perm("mdm.view_qualityissue"),
            "can_take_snapshot": request.user.has_perm(TAKE_SNAPSHOT_PERMISSION),
            "snapshot_run": snapshot_in_progress(),
        }
        return TemplateResponse(request, "admin/mdm/quality/dashboard.html", context)

    def take_snapshot_view(self, request):
        """The dashboard's "take a snapshot now": a job run on the workers, then back."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(TAKE_SNAPSHOT_PERMISSION):
            raise PermissionDenied
        try:
            run = request_quality_snapshot(user=request.user)
        except JobAlreadyRunning:
            self.message_user(
                request,
                _("A snapshot is being taken already; this page shows it when it is done."),
                messages.WARNING,
            )
        else:
            run.refresh_from_db()
            if run.status == JobRunStatusChoices.SUCCEEDED:
                text = _("Snapshot taken (job run #%(run)s).")
            elif run.status == JobRunStatusChoices.FAILED:
                text = _("The snapshot failed (job run #%(run)s); its log says why.")
            else:
                text = _(
                    "Snapshot started as job run #%(run)s; reload this page in a minute to see it."
                )
            level = messages.ERROR if run.status == JobRunStatusChoices.FAILED else messages.SUCCESS
            self.message_user(request, text % {"run": run.pk}, level)
        return HttpResponseRedirect(reverse("admin:mdm_quality_dashboard"))

    def export_view(self, request, what: str, fmt: str):
        if fmt not in export.FORMATS or what not in ("scorecard", "issues"):
            raise Http404
        if what == "issues":
            if not request.user.has_perm("mdm.view_qualityissue"):
                raise PermissionDenied
            return _download([export.issue_sheet(export.open_issues())], fmt, "quality-issues")
        if not self.has_view_permission(request):
            raise PermissionDenied
        snapshot = latest_snapshot()
        if snapshot is None:
            raise Http404("no snapshot yet: run `manage.py quality_report`")
        return _download(export.scorecard_sheets(snapshot), fmt, "quality-scorecard")
