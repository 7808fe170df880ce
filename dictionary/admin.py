"""Admin for the dictionary: elements, bindings, value domains and codes, with history and diffs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from dictionary.forms import DataElementForm, synonyms_field, tie_breakers_field
from dictionary.lifecycle import deprecate_elements, element_usage
from dictionary.models import CodeValue, DataElement, ElementBinding, EntityType, ValueDomain


class ListFieldsMixin:
    """JSON lists of the model edited as plain text lists (``list_fields``: field -> factory),
    on the change form, in inlines and in the changelist's editable columns alike."""

    list_fields: dict = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        make = self.list_fields.get(db_field.name)
        if make is not None:
            return make(label=db_field.verbose_name, required=not db_field.blank)
        # A mixin for ModelAdmin and inlines alike: the method is the admin class's.
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


def in_use_sentence(usage: dict[str, list[str]]) -> str:
    """Why elements cannot be deleted, and what to do instead."""
    listed = "; ".join(f"{code} ({', '.join(entities)})" for code, entities in usage.items())
    return _(
        "A data element in use cannot be deleted: %(elements)s. Deprecate it instead: set its "
        "status to Deprecated, or use the action “Deprecate selected elements”."
    ) % {"elements": listed}


class ElementBindingInline(ListFieldsMixin, admin.TabularInline):
    model = ElementBinding
    extra = 0
    fields = ("entity", "required", "is_identifier", "survivorship", "tie_breakers", "position")
    list_fields = {"tie_breakers": tie_breakers_field}


@admin.register(DataElement)
class DataElementAdmin(SimpleHistoryAdmin):
    form = DataElementForm
    actions = ("deprecate",)
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

    # ---- an element in use is deprecated, never deleted

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and element_usage([obj.code]):
            return False  # no delete button; the delete page explains why (delete_view)
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        usage = element_usage([obj.code]) if obj is not None else {}
        if usage and super().has_delete_permission(request, obj):
            messages.error(request, in_use_sentence(usage))
            return HttpResponseRedirect(
                reverse("admin:dictionary_dataelement_change", args=[obj.pk])
            )
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]
            actions[name] = (self.delete_unused_selected, name, description)
        return actions

    @staticmethod
    def delete_unused_selected(modeladmin, request, queryset):
        """Django's bulk delete, refused with a sentence when any selected element is in use."""
        usage = element_usage(queryset.values_list("code", flat=True))
        if usage:
            modeladmin.message_user(request, in_use_sentence(usage), messages.ERROR)
            return None
        return delete_selected(modeladmin, request, queryset)

    @admin.action(description=_("Deprecate selected elements"), permissions=["change"])
    def deprecate(self, request, queryset) -> None:
        n = deprecate_elements(
            codes=queryset.values_list("code", flat=True),
            actor=request.user,
            reason="deprecated in admin",
        )
        self.message_user(
            request,
            ngettext("%(n)d element deprecated.", "%(n)d elements deprecated.", n) % {"n": n},
            messages.SUCCESS,
        )


class CodeValueInline(ListFieldsMixin, admin.TabularInline):
    model = CodeValue
    list_fields = {"synonyms": synonyms_field}
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
class CodeValueAdmin(ListFieldsMixin, SimpleHistoryAdmin):
    list_fields = {"synonyms": synonyms_field}
    list_display = ("domain", "code", "name_zh", "name_en", "is_active")
    list_filter = ("domain", "is_active")
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("domain",)
    list_per_page = 100


@admin.register(ElementBinding)
class ElementBindingAdmin(ListFieldsMixin, SimpleHistoryAdmin):
    list_fields = {"tie_breakers": tie_breakers_field}
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


# Django renders a lazy string here; the stub declares str.
admin.site.empty_value_display = _("—")  # type: ignore[assignment]
