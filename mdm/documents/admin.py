"""Admin for business documents: types and routes (configuration), documents with their
deliveries and timeline; held deliveries are the stewards' work items (what mapping is missing)."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mdm.documents import monitoring, operators, push
from mdm.documents.filters import masked_document
from mdm.documents.models import (
    HELD,
    Document,
    DocumentDelivery,
    DocumentGrant,
    DocumentPush,
    DocumentRoute,
    DocumentStatus,
    DocumentType,
)
from mdm.errors import ServiceError
from mdm.operations.charts import line_chart
from mdm.privacy.policy import redact_text


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=300)


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    search_fields = ("code", "name")


@admin.register(DocumentRoute)
class DocumentRouteAdmin(admin.ModelAdmin):
    list_display = ("type", "sender", "receiver_codes")
    list_filter = ("type",)
    filter_horizontal = ("receivers",)

    @admin.display(description=_("receivers"))
    def receiver_codes(self, obj):
        return ", ".join(obj.receivers.order_by("code").values_list("code", flat=True))


@admin.register(DocumentGrant)
class DocumentGrantAdmin(admin.ModelAdmin):
    """What a receiving system sees of a type; without a row, every field with personal
    fields masked (``mdm.documents.filters``)."""

    list_display = ("receiver", "type", "fields", "personal")
    list_filter = ("type", "personal")


def _shown(value) -> str:
    """A document's JSON as a steward sees it: documents carry contacts and phones in free
    fields the dictionary does not know, so fields named like a personal element are masked by
    its kind and every other value shaped like personal data by the privacy policy's text rule
    (``filters.masked_document``); the receiver gets what its grant allows."""
    if value in (None, "", [], {}):
        return "—"
    shown = masked_document(value)
    return redact_text(json.dumps(shown, ensure_ascii=False, indent=1, sort_keys=True))


class DeliveryInline(admin.TabularInline):
    model = DocumentDelivery
    extra = 0
    can_delete = False
    fields = ("receiver", "state", "revision", "missing_shown", "receiver_doc_id", "delivered_at")
    readonly_fields = fields

    @admin.display(description=_("missing references"))
    def missing_shown(self, obj):
        return _shown(obj.missing)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TimelineInline(admin.TabularInline):
    model = DocumentStatus
    extra = 0
    can_delete = False
    fields = ("at", "state", "by", "detail_shown")
    readonly_fields = fields

    @admin.display(description=_("detail"))
    def detail_shown(self, obj):
        return redact_text(obj.detail)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("doc_id", "type", "sender", "state", "revision", "updated_at")
    list_filter = ("state", "type", "sender")
    search_fields = ("doc_id",)
    fields = ("type", "sender", "doc_id", "revision", "state", "payload_shown", "received_at")
    readonly_fields = fields

    @admin.display(description=_("as received"))
    def payload_shown(self, obj):
        return _shown(obj.payload)

    inlines = [DeliveryInline, TimelineInline]
    action_form = ReasonActionForm
    actions = ["release_held", "cancel_documents"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Release held documents (with a reason)"))
    def release_held(self, request, queryset):
        released = 0
        for document in queryset.filter(state=HELD):
            try:
                released += operators.release_document(
                    document=document,
                    reason=request.POST.get("reason", ""),
                    actor=request.user.get_username(),
                )
            except ServiceError as exc:
                self.message_user(request, f"{document}: {exc.localized}", messages.ERROR)
        self.message_user(request, _("Delivered %(n)d") % {"n": released}, messages.INFO)

    @admin.action(description=_("Cancel documents (with a reason)"))
    def cancel_documents(self, request, queryset):
        done = 0
        for document in queryset:
            try:
                operators.cancel_document(
                    document=document,
                    reason=request.POST.get("reason", ""),
                    actor=request.user.get_username(),
                )
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{document}: {exc.localized}", messages.ERROR)
        self.message_user(request, _("Cancelled %(n)d") % {"n": done}, messages.INFO)

    def get_urls(self):
        return [
            path(
                "sync/",
                self.admin_site.admin_view(self.sync_view),
                name="mdm_document_sync",
            ),
            *super().get_urls(),
        ]

    def sync_view(self, request):
        """Sync monitoring per route and channel, with charts (``mdm.documents.monitoring``)."""
        hours = 24
        with contextlib.suppress(ValueError):
            hours = max(1, min(int(request.GET.get("hours", 24)), 24 * 30))
        since = timezone.now() - timedelta(hours=hours)
        figures = monitoring.sync_figures(since=since)
        step = timedelta(hours=1) if hours <= 48 else timedelta(days=1)
        charts = [
            (
                channel,
                line_chart(points["delivered"], label=str(_("Delivered"))),
                line_chart(points["p95_ms"], label=str(_("p95 received → delivered")), unit=" ms"),
            )
            for channel, points in monitoring.series(since=since, step=step).items()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Document sync"),
            "sync": figures,
            "hours": hours,
            "charts": charts,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mdm/document/sync.html", context)


@admin.register(DocumentPush)
class DocumentPushAdmin(admin.ModelAdmin):
    """Webhook pushes that failed: a dead one stops its subscription's documents until it is
    resent (after the receiver is fixed) or cancelled, each with a reason on the timeline."""

    list_display = ("item", "subscription", "status", "attempts", "last_status_code", "updated_at")
    list_filter = ("status",)
    fields = list_display + ("last_error", "next_attempt_at", "delivered_at")
    readonly_fields = fields
    action_form = ReasonActionForm
    actions = ["resend", "cancel"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _each(self, request, queryset, operate) -> None:
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                operate(
                    push_id=pk,
                    reason=request.POST.get("reason", ""),
                    actor=request.user.get_username(),
                )
                done += 1
            except ServiceError as exc:
                self.message_user(request, exc.localized, messages.ERROR)
        self.message_user(request, _("Done: %(n)d") % {"n": done}, messages.INFO)

    @admin.action(description=_("Resend (with a reason)"))
    def resend(self, request, queryset):
        self._each(request, queryset, push.resend_push)

    @admin.action(description=_("Cancel (with a reason)"))
    def cancel(self, request, queryset):
        self._each(request, queryset, push.cancel_push)


@admin.register(DocumentDelivery)
class DocumentDeliveryAdmin(admin.ModelAdmin):
    """Held deliveries name the reference that has no code in the receiver: a steward creates
    the mapping (or asks the receiver to), and the document goes by itself."""

    list_display = ("document", "receiver", "state", "missing_summary", "delivered_at")
    list_filter = ("state", "receiver")
    fields = (
        "document",
        "receiver",
        "revision",
        "state",
        "translated_shown",
        "missing_shown",
        "receiver_doc_id",
        "delivered_at",
        "acknowledged_at",
    )
    readonly_fields = fields

    @admin.display(description=_("translated"))
    def translated_shown(self, obj):
        return _shown(obj.translated)

    @admin.display(description=_("missing references"))
    def missing_shown(self, obj):
        return _shown(obj.missing)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("missing"))
    def missing_summary(self, obj):
        return redact_text("; ".join(m.get("reason", "") for m in obj.missing or []))
