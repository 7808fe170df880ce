"""Django admin for data stewards: source records (entered and edited through the write
path), source systems, the event log and API tokens."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dictionary.phones import DEFAULT_COUNTRY, country_choices
from dictionary.services import standardize_and_validate
from mdm.errors import ServiceError
from mdm.intake.upsert import upsert_source_record
from mdm.linking.merge_reasons import explanation_rows
from mdm.linking.notes import hard_rule_fields, note_label
from mdm.linking.review import element_labels
from mdm.models import (
    ApiToken,
    Event,
    SourceRecord,
    SourceSystem,
)
from mdm.privacy import policy as privacy
from mdm.privacy.admin import SourcePersonalDataMixin
from mdm.stewardship.admin_site import HistoryRouteForAuditors
from mdm.stewardship.record_history import source_history


class SourceRecordForm(forms.ModelForm):
    """Steward entry of a source record: the payload as JSON, written through the upsert service."""

    payload = forms.JSONField(
        label=_("(JSON) attributes"),
        help_text=_(
            'keys are element codes, e.g. {"name": "Beijing Huaxin Technology Co., Ltd.", "credit_code": "…"}'
        ),
    )

    class Meta:
        model = SourceRecord
        fields = ("system", "entity", "local_code")

    #: Set by the admin right after an audited "show personal data" (mdm.privacy.admin).
    show_clear = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Personal values masked; one left masked on save keeps the stored value.
            seen = privacy.Visibility.CLEAR if self.show_clear else privacy.Visibility.MASKED
            self.fields["payload"].initial = privacy.shown_source_raw(self.instance, seen)
            self.instance._show_clear = self.show_clear
            for name in ("system", "entity", "local_code"):
                if name in self.fields:  # a view-only user's form has none of them
                    self.fields[name].disabled = True

    def clean(self):
        """Show the dictionary's field-level errors on the form before anything is written."""
        super().clean()
        data = self.cleaned_data
        if not isinstance(data.get("payload"), dict):
            raise ValidationError(_("Attributes must be a JSON object"))
        entity = self.instance.entity if self.instance.pk else data.get("entity")
        if self.instance.pk:
            data["payload"] = privacy.restore_masked(self.instance, data["payload"])
        if entity:
            system = self.instance.system if self.instance.pk else data.get("system")
            country = system.country if system else DEFAULT_COUNTRY
            result = standardize_and_validate(entity, data["payload"], country=country)
            if result.errors:
                raise ValidationError(
                    [
                        f"{field}: {e['message']}"
                        for field, errs in result.errors.items()
                        for e in errs
                    ]
                )
        return data


@admin.register(SourceRecord)
class SourceRecordAdmin(HistoryRouteForAuditors, SourcePersonalDataMixin, SimpleHistoryAdmin):
    form = SourceRecordForm
    object_history_template = "admin/mdm/golden_history.html"
    history_search_field = "local_code"
    list_display = (
        "system",
        "entity",
        "local_code",
        "golden_code",
        "link_kind",
        "link_score",
        "is_active",
        "updated_at",
    )
    list_filter = ("entity", "system", "link_kind", "is_active")
    search_fields = ("local_code", "golden_code")
    list_select_related = ("system",)
    readonly_fields = (
        "golden_code",
        "link_kind",
        "link_score",
        "link_explanation_table",
        "attributes_json",
        "warnings_json",
        "is_active",
        "updated_at",
    )
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description=_("match explanation"))
    def link_explanation_table(self, obj):
        """Why the matcher linked the record as it did, field by field (personal values
        masked): this record on the left, the candidate it was compared with on the right."""
        if not obj.link_explanation:
            return _("(none: no candidate, or linked by a merge or a steward)")
        person = privacy.is_person(obj.entity, obj.attributes)
        stored = explanation_rows(obj.entity, obj.link_explanation)
        rows = privacy.shown_field(obj.entity, "explanation", stored, person=person)
        labels = element_labels(
            obj.entity, [*hard_rule_fields(obj.entity), *(r.get("field") for r in rows)]
        )
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("field"),
            _("this record"),
            _("candidate"),
            _("similarity"),
            _("weight"),
            _("note"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row.get("field", ""),
                    row.get("left") or "",
                    row.get("right") or "",
                    "" if row.get("similarity") is None else row["similarity"],
                    row.get("weight", ""),
                    note_label(row.get("note", ""), labels),
                )
                for row in rows
            ),
        )
        return format_html("<table>{}{}</table>", header, body)

    @admin.display(description=_("standardized attributes"))
    def attributes_json(self, obj):
        clear = getattr(obj, "_show_clear", False)
        seen = privacy.Visibility.CLEAR if clear else privacy.Visibility.MASKED
        shown = privacy.shown_attributes(obj.entity, obj.attributes, seen=seen)
        return format_html("<pre>{}</pre>", json.dumps(shown, ensure_ascii=False, indent=2))

    @admin.display(description=_("warnings"))
    def warnings_json(self, obj):
        warnings = privacy.shown_field(
            obj.entity,
            "warnings",
            obj.warnings or [],
            person=False,
            record_values=[obj.raw, obj.attributes],
        )
        return format_html("<pre>{}</pre>", json.dumps(warnings, ensure_ascii=False, indent=2))

    def save_model(self, request, obj, form, change):
        """The admin writes through the same service as the API and the import."""
        data = form.cleaned_data
        system = obj.system if change else data["system"]
        entity = obj.entity if change else data["entity"]
        local_code = obj.local_code if change else data["local_code"]
        try:
            result = upsert_source_record(
                system=system,
                entity=entity,
                local_code=local_code,
                payload=data["payload"],
                actor=request.user,
                reason="steward edit in admin",
                channel="admin",
            )
        except ServiceError as exc:
            messages.error(request, exc.localized)
            return
        stored = SourceRecord.objects.get(system=system, entity=entity, local_code=local_code)
        obj.pk, obj.golden_code = stored.pk, stored.golden_code
        messages.info(
            request,
            _("golden code: %(code)s (%(link)s)")
            % {"code": result.golden_code, "link": result.link},
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def history_view(self, request, object_id, extra_context=None):
        """The record's history, readable: attributes by dictionary name (masked), its golden
        record and link, retired or reactivated; who, when (local time) and why."""
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_permission(request, obj):
            extra_context = {
                **(extra_context or {}),
                "readable_history": source_history(record=obj),
            }
        return super().history_view(request, object_id, extra_context)


class SourceSystemForm(forms.ModelForm):
    """The country as a list of names (US 美国 United States), not a bare two-letter code."""

    country = forms.ChoiceField(
        label=_("country"),
        choices=country_choices,
        initial=DEFAULT_COUNTRY,
        help_text=SourceSystem._meta.get_field("country").help_text,
    )

    class Meta:
        model = SourceSystem
        fields = ("code", "name", "trust", "priority", "country", "is_active", "granted_entities")


@admin.register(SourceSystem)
class SourceSystemAdmin(SimpleHistoryAdmin):
    form = SourceSystemForm
    list_display = ("code", "name", "country", "priority", "is_active", "created_at")
    list_filter = ("country",)
    readonly_fields = ("service_user",)
    search_fields = ("code", "name")

    def has_add_permission(self, request) -> bool:
        # Systems are registered with `manage.py create_source_system`, which issues the token.
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("seq", "entity", "golden_code", "kind", "created_at")
    list_filter = ("entity", "kind")
    search_fields = ("golden_code",)
    readonly_fields = ("seq", "entity", "golden_code", "kind", "payload", "created_at")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "is_active")
    readonly_fields = ("prefix", "user", "key_hash", "created_at")
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False
