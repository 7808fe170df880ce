"""Admin for the dictionary: elements, bindings, value domains and codes, with history and diffs."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dictionary.models import CodeValue, DataElement, ElementBinding, EntityType, ValueDomain


class ElementBindingInline(admin.TabularInline):
    model = ElementBinding
    extra = 0
    fields = ("entity", "required", "is_identifier", "survivorship", "tie_breakers", "position")


@admin.register(DataElement)
class DataElementAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "data_type",
        "validator",
        "sensitivity",
        "on_invalid",
        "status",
        "version",
    )
    list_filter = ("status", "sensitivity", "on_invalid", "data_type", "bindings__entity")
    search_fields = ("code", "name_zh", "name_en", "definition_zh")
    list_select_related = ("value_domain",)
    readonly_fields = ("version", "updated_at")
    inlines = [ElementBindingInline]
    history_list_display = ("version", "status", "on_invalid", "sensitivity")

    def get_readonly_fields(self, request, obj=None):
        # Sensitivity drives masking and encryption at rest: only its own permission changes it.
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("dictionary.change_dataelement_sensitivity"):
            fields += ("sensitivity",)
        return fields

    def save_model(self, request, obj, form, change):
        # Every saved change is a new version of the element; history keeps the previous ones.
        if change and form.has_changed():
            obj.version += 1
        super().save_model(request, obj, form, change)


class CodeValueInline(admin.TabularInline):
    model = CodeValue
    extra = 0
    fields = ("code", "name_zh", "name_en", "synonyms", "is_active", "sort_order")
    show_change_link = True

    def get_queryset(self, request):
        # The region domain has thousands of codes: edit those one by one in CodeValue.
        return super().get_queryset(request).exclude(domain__code="region")


@admin.register(ValueDomain)
class ValueDomainAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name_zh", "name_en", "updated_at")
    search_fields = ("code", "name_zh", "name_en")
    inlines = [CodeValueInline]


@admin.register(CodeValue)
class CodeValueAdmin(SimpleHistoryAdmin):
    list_display = ("domain", "code", "name_zh", "name_en", "is_active")
    list_filter = ("domain", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("domain",)
    list_per_page = 100


@admin.register(ElementBinding)
class ElementBindingAdmin(SimpleHistoryAdmin):
    list_display = (
        "entity",
        "element",
        "required",
        "is_identifier",
        "survivorship",
        "tie_breakers",
        "position",
    )
    list_filter = ("entity", "required", "survivorship")
    list_editable = ("required", "survivorship", "tie_breakers", "position")
    list_select_related = ("element",)
    search_fields = ("element__code", "element__name_zh")


@admin.register(EntityType)
class EntityTypeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name_zh", "name_en", "code_prefix", "code_width")
    readonly_fields = ("code",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.empty_value_display = _("—")
