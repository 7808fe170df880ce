"""Admin for auditors and the login: the audit log (read-only, CSV export), the change history
as auditors read it (who changed which record, when and why, which fields — never the values),
and the login lock-out."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from simple_history.utils import get_history_model_for_model

from dictionary.models import CodeValue, DataElement, ElementBinding, ValueDomain
from mdm.access import lockout
from mdm.models import AuditLog, Customer, Material, Product, SourceRecord, SourceSystem
from mdm.privacy import audit

if TYPE_CHECKING:
    # ModelAdmin is generic to the type checker only (subscripting it at run time fails).
    _AnyModelAdmin = admin.ModelAdmin[Any]
    _AuditLogModelAdmin = admin.ModelAdmin[AuditLog]
else:
    _AnyModelAdmin = _AuditLogModelAdmin = admin.ModelAdmin

# ---- the audit log: read-only for everyone, exportable


@admin.register(AuditLog)
class AuditLogAdmin(_AuditLogModelAdmin):
    list_display = (
        "at",
        "actor_name",
        "action",
        "channel",
        "entity",
        "record",
        "field_list",
        "reason",
        "ip",
    )
    list_filter = ("action", "channel", "entity")
    search_fields = ("actor_name", "record", "reason", "ip")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]
    actions = ["export_csv"]
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description=_("fields"))
    def field_list(self, obj: AuditLog) -> str:
        return ", ".join(obj.fields or [])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditLog]) -> HttpResponse:
        return audit_csv_response(queryset.order_by("at", "id"))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name="mdm_auditlog_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The whole log as filtered on the list page (same query string), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return audit_csv_response(changelist.get_queryset(request).order_by("at", "id"))


CSV_COLUMNS = (
    "at",
    "actor_name",
    "action",
    "channel",
    "entity",
    "record",
    "fields",
    "reason",
    "ip",
    "user_agent",
)


def audit_csv_response(queryset: QuerySet[AuditLog]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in queryset.iterator(chunk_size=2000):
        writer.writerow(
            [
                row.at.isoformat(),
                row.actor_name,
                row.action,
                row.channel,
                row.entity,
                row.record,
                " ".join(row.fields or []),
                row.reason,
                row.ip,
                row.user_agent,
            ]
        )
    return response


# ---- change history for auditors: who, when, why and which fields; never the values


class HistoryAuditAdmin(_AnyModelAdmin):
    """A historical model, read-only: the change's metadata and the names of changed fields."""

    label_fields: tuple[str, ...] = ("id",)
    list_display = (
        "history_date",
        "history_type",
        "record_label",
        "history_user",
        "history_change_reason",
    )
    list_filter = ("history_type",)
    list_select_related = ("history_user",)
    date_hierarchy = "history_date"
    list_per_page = 100
    show_full_result_count = False

    # The stub's field groups are a union of invariant lists, which a list of names is not.
    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        return [
            "history_date",
            "history_type",
            "history_user",
            "history_change_reason",
            "record_label",
            "changed_fields",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return ("history_change_reason", "history_user__username", *self.label_fields)

    @admin.display(description=_("record"))
    def record_label(self, obj: Any) -> str:
        return " ".join(str(getattr(obj, f, "")) for f in self.label_fields)

    @admin.display(description=_("changed fields"))
    def changed_fields(self, obj: Any) -> str:
        previous = obj.prev_record
        if previous is None:
            return str(_("(created)"))
        return ", ".join(change.field for change in obj.diff_against(previous).changes)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _register_history() -> None:
    labels = {
        Customer: ("code",),
        Product: ("code",),
        Material: ("code",),
        SourceRecord: ("entity", "local_code", "golden_code"),
        SourceSystem: ("code",),
        DataElement: ("code",),
        ElementBinding: ("entity",),
        ValueDomain: ("code",),
        CodeValue: ("code",),
    }
    for model, fields in labels.items():
        historical = get_history_model_for_model(model)
        if admin.site.is_registered(historical):
            continue
        admin.site.register(
            historical,
            type(f"{model.__name__}HistoryAdmin", (HistoryAuditAdmin,), {"label_fields": fields}),
        )


_register_history()


# ---- login lock-out


class LockoutAuthenticationForm(AdminAuthenticationForm):
    """The admin login, locked for a while after repeated failures of a username from an address."""

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        ip = audit.client_ip(self.request)
        if username and lockout.is_locked(username=username, ip=ip):
            raise ValidationError(lockout.locked_message(), code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                lockout.record_failure(username=username, ip=ip)
            raise
        lockout.record_success(username=username, ip=ip)
        return cleaned


admin.site.login_form = LockoutAuthenticationForm
