"""Admin for business documents: types and routes (configuration), documents with their
deliveries and timeline; held deliveries are the stewards' work items (what mapping is missing)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from mdm.documents import services
from mdm.documents.models import (
    HELD,
    Document,
    DocumentDelivery,
    DocumentRoute,
    DocumentStatus,
    DocumentType,
)


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


class DeliveryInline(admin.TabularInline):
    model = DocumentDelivery
    extra = 0
    can_delete = False
    fields = ("receiver", "state", "revision", "missing", "receiver_doc_id", "delivered_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TimelineInline(admin.TabularInline):
    model = DocumentStatus
    extra = 0
    can_delete = False
    fields = ("at", "state", "by", "detail")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("doc_id", "type", "sender", "state", "revision", "updated_at")
    list_filter = ("state", "type", "sender")
    search_fields = ("doc_id",)
    readonly_fields = ("type", "sender", "doc_id", "revision", "state", "payload", "received_at")
    exclude = ("fingerprint",)
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
    readonly_fields = (
        "document",
        "receiver",
        "revision",
        "state",
        "translated",
        "missing",
        "receiver_doc_id",
        "delivered_at",
        "acknowledged_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("missing"))
    def missing_summary(self, obj):
        return "; ".join(m.get("reason", "") for m in obj.missing or [])
