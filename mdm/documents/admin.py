"""Admin for business documents: types and routes (configuration), documents with their
deliveries and timeline; held deliveries are the stewards' work items (what mapping is missing)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from mdm.documents import services
from mdm.documents.models import (
    HELD,
    Document,
    DocumentDelivery,
    DocumentGrant,
    DocumentRoute,
    DocumentStatus,
    DocumentType,
)
from mdm.privacy.policy import redact_text


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
    fields the dictionary does not know, so every value shaped like personal data is masked
    (the privacy policy's text rule, as in job logs); the receiver gets the document whole."""
    if value in (None, "", [], {}):
        return "—"
    return redact_text(json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True))


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
    actions = ["release_held"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Retry held deliveries"))
    def release_held(self, request, queryset):
        released = 0
        for document in queryset.filter(state=HELD):
            released += services.release_held_documents(system=document.sender)
        self.message_user(request, _("Delivered %(n)d") % {"n": released}, messages.INFO)


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
