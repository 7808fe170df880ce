"""Django admin for data stewards (数据管理员): golden records, source records, systems, events.

Admin classes shape pages; every write goes through the hub's services.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dictionary.models import EntityChoices
from dictionary.services import standardize_and_validate
from mdm.models import (
    ApiToken,
    Customer,
    Event,
    Material,
    Product,
    SourceRecord,
    SourceSystem,
)
from mdm.services.errors import ServiceError
from mdm.services.upsert import upsert_source_record

admin.site.site_header = _("主数据管理中心 MDM hub")
admin.site.site_title = _("主数据管理中心 MDM hub")
admin.site.index_title = _("数据管理 Data stewardship")


class GoldenRecordAdmin(SimpleHistoryAdmin):
    """Golden records with their members (the crosswalk) and lineage on one page."""

    list_display = ("code", "name", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("code", "name")
    readonly_fields = (
        "code",
        "status",
        "merged_into",
        "members_table",
        "lineage_table",
        "created_at",
        "updated_at",
    )
    exclude = ("lineage", "locked", "extra")
    list_per_page = 50
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """Also find a golden record by any system's local code of one of its members."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            codes = SourceRecord.objects.filter(entity=self.model.ENTITY, local_code=term).values(
                "golden_code"
            )
            queryset = queryset | self.model.objects.filter(
                Q(code__in=codes) | Q(code=term.upper())
            )
        return queryset, may_have_duplicates

    def has_add_permission(self, request) -> bool:
        # Golden records are born from source records, never typed in.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("成员源记录 member source records"))
    def members_table(self, obj):
        members = (
            SourceRecord.objects.filter(golden_code=obj.code)
            .select_related("system")
            .order_by("system__code", "local_code")
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    m.system.code,
                    m.local_code,
                    m.get_link_kind_display(),
                    "" if m.link_score is None else f"{m.link_score:.3f}",
                    _("有效 active") if m.is_active else _("已停用 retired"),
                    m.attributes.get("name", ""),
                )
                for m in members
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("系统 system"),
            _("本地编码 local code"),
            _("关联 link"),
            _("得分 score"),
            _("状态 status"),
            _("名称 name"),
            rows,
        )

    @admin.display(description=_("数据血缘 lineage"))
    def lineage_table(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    attr,
                    obj.attributes().get(attr, ""),
                    info.get("rule", ""),
                    f"{info.get('system', '')}:{info.get('local_code', '')}"
                    if info.get("system")
                    else info.get("by", ""),
                )
                for attr, info in sorted(obj.lineage.items())
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("属性 attribute"),
            _("值 value"),
            _("规则 rule"),
            _("来源 source"),
            rows,
        )


@admin.register(Customer)
class CustomerAdmin(GoldenRecordAdmin):
    list_display = (
        "code",
        "name",
        "customer_type",
        "credit_code",
        "region_code",
        "status",
        "updated_at",
    )
    list_filter = ("status", "customer_type")
    search_fields = ("code", "name", "credit_code")


@admin.register(Product)
class ProductAdmin(GoldenRecordAdmin):
    list_display = ("code", "name", "model", "brand", "gtin", "uom", "status", "updated_at")
    list_filter = ("status", "uom")
    search_fields = ("code", "name", "gtin", "model")


@admin.register(Material)
class MaterialAdmin(GoldenRecordAdmin):
    list_display = ("code", "name", "spec", "material_group", "base_uom", "status", "updated_at")
    list_filter = ("status", "material_type", "material_group")
    search_fields = ("code", "name", "spec")


class SourceRecordForm(forms.ModelForm):
    """Steward entry of a source record: the payload as JSON, written through the upsert service."""

    payload = forms.JSONField(
        label=_("属性 (JSON) attributes"),
        help_text=_(
            '键为数据元代码，如 {"name": "北京华信科技有限公司", "credit_code": "…"} / keys are element codes'
        ),
    )

    class Meta:
        model = SourceRecord
        fields = ("system", "entity", "local_code")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["payload"].initial = self.instance.raw
            for name in ("system", "entity", "local_code"):
                self.fields[name].disabled = True

    def clean(self):
        """Show the dictionary's field-level errors on the form before anything is written."""
        data = super().clean()
        if not isinstance(data.get("payload"), dict):
            raise ValidationError(_("属性必须是 JSON 对象 / Attributes must be a JSON object"))
        entity = self.instance.entity if self.instance.pk else data.get("entity")
        if entity:
            result = standardize_and_validate(entity, data["payload"])
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
class SourceRecordAdmin(SimpleHistoryAdmin):
    form = SourceRecordForm
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
        "attributes_json",
        "warnings_json",
        "is_active",
        "updated_at",
    )
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description=_("标准化属性 standardized attributes"))
    def attributes_json(self, obj):
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.attributes, ensure_ascii=False, indent=2)
        )

    @admin.display(description=_("警告 warnings"))
    def warnings_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.warnings, ensure_ascii=False, indent=2))

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
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return
        stored = SourceRecord.objects.get(system=system, entity=entity, local_code=local_code)
        obj.pk, obj.golden_code = stored.pk, stored.golden_code
        messages.info(request, f"{_('全局编码 golden code')}: {result.golden_code} ({result.link})")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SourceSystem)
class SourceSystemAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "priority", "is_active", "created_at")
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


__all__ = ["EntityChoices"]
