"""Django admin for data stewards (数据管理员): golden records, source records, systems, events.

Admin classes shape pages; every write goes through the hub's services.
"""

from __future__ import annotations

import json
import types

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dictionary.models import ElementBinding, ElementBindingSurvivorshipChoices
from dictionary.phones import DEFAULT_COUNTRY, country_choices
from dictionary.services import standardize_and_validate
from matching.models import MatchCandidate
from mdm.errors import RecordRejected, ServiceError
from mdm.intake.upsert import upsert_source_record
from mdm.linking.merge_reasons import explanation_rows
from mdm.linking.review import element_labels
from mdm.models import (
    ApiToken,
    Customer,
    Event,
    GoldenStatusChoices,
    Material,
    Product,
    SourceRecord,
    SourceSystem,
)
from mdm.privacy import masking
from mdm.privacy import policy as privacy
from mdm.privacy.admin import GoldenPersonalDataMixin, SourcePersonalDataMixin
from mdm.records.survivorship import LOCKED_RULE
from mdm.stewardship.actions import (
    MAX_REASON,
    lock_attribute,
    merge_by_steward,
    pending_between,
    retire_golden,
    unlock_attribute,
    unmerge_source_record,
)
from mdm.stewardship.admin_site import HistoryRouteForAuditors, hub_app_list

admin.site.site_header = _("主数据管理中心 MDM hub")
admin.site.site_title = _("主数据管理中心 MDM hub")
admin.site.index_title = _("数据管理 Data stewardship")
# "View site" leads to the steward's landing page, the admin index (the hub has no public site).
admin.site.site_url = reverse_lazy("admin:index")
admin.site.get_app_list = types.MethodType(hub_app_list, admin.site)


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("理由 Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("必填，记录在历史中 / Required; kept in the history"),
        error_messages={"required": _("请填写理由 / A reason is required")},
    )


class GoldenLockForm(forms.Form):
    """A steward's value for one attribute; the dictionary checks it in ``lock_attribute``."""

    attribute = forms.ChoiceField(label=_("属性 Attribute"))
    value = forms.CharField(label=_("锁定值 Value to lock"), max_length=300)
    reason = _reason_field()

    def __init__(self, *args, attributes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = attributes


class GoldenUnlockForm(forms.Form):
    attribute = forms.ChoiceField(label=_("已锁定的属性 Locked attribute"))
    reason = _reason_field()

    def __init__(self, *args, attributes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = attributes


class GoldenMergeForm(forms.Form):
    other = forms.CharField(
        label=_("要并入的全局编码 Golden code to merge into this one"),
        max_length=20,
        help_text=_("该编码将停用并指向本记录 / that code is retired and resolves to this record"),
    )
    reason = _reason_field()

    def clean_other(self) -> str:
        return self.cleaned_data["other"].strip().upper()


class GoldenReasonForm(forms.Form):
    reason = _reason_field()


class GoldenRecordAdmin(SimpleHistoryAdmin):
    """A golden record on one screen: members, lineage, open candidates, locks and history.

    Values are never typed in here: a steward locks a value, merges, unmerges or retires
    through the small forms of the object actions, each calling a stewardship service.
    """

    list_display = ("code", "name", "status", "updated_at")
    list_filter = ("status",)
    search_fields = ("code", "name")
    fields = ("code", "status", "merged_into", "created_at", "updated_at")
    readonly_fields = fields
    list_per_page = 50
    show_full_result_count = False
    change_form_template = "admin/mdm/golden_change_form.html"
    action_template = "admin/mdm/golden_action.html"
    history_rows = 10
    candidate_rows = 50

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

    # ---- the one screen

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.steward_panels(request, obj))
            context["title"] = f"{_('黄金记录 Golden record')} · {self.model._meta.verbose_name}"
        # Every field is read-only: no save buttons, the object actions do the writing.
        context.update(
            show_save=False, show_save_and_continue=False, show_save_and_add_another=False
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def steward_panels(self, request, obj) -> dict:
        """Members, lineage, locks, open candidates and recent history of ``obj``."""
        entity = self.model.ENTITY
        members = list(
            SourceRecord.objects.filter(golden_code=obj.code)
            .select_related("system")
            .order_by("-is_active", "system__code", "local_code")
        )
        values = obj.attributes()
        labels = element_labels(entity, {*values, *obj.lineage, *obj.locked})
        attributes = [*labels, *sorted((set(values) | set(obj.lineage)) - set(labels))]
        rule_labels = dict(ElementBindingSurvivorshipChoices.choices) | {
            LOCKED_RULE: _("人工锁定 Steward locked")
        }
        lineage = []
        for attr in attributes:
            info = obj.lineage.get(attr, {})
            lineage.append(
                {
                    "attribute": attr,
                    "label": labels.get(attr, attr),
                    "value": values.get(attr, ""),
                    "rule": info.get("rule", ""),
                    "rule_label": rule_labels.get(info.get("rule"), info.get("rule", "")),
                    "system": info.get("system", ""),
                    "local_code": info.get("local_code", ""),
                    "by": info.get("by", ""),
                    "is_flagged": info.get("is_flagged", False),
                    "is_locked": attr in obj.locked,
                }
            )
        active = {m.pk for m in members if m.is_active}
        candidates = list(
            MatchCandidate.objects.filter(pending_between(entity, active))
            .select_related("left__system", "right__system")
            .order_by("-score", "pk")[: self.candidate_rows]
            if active
            else []
        )
        for candidate in candidates:
            # One side is a member of this record, the other a possible duplicate elsewhere.
            left_is_member = candidate.left_id in active
            candidate.member = candidate.left if left_is_member else candidate.right
            candidate.other = candidate.right if left_is_member else candidate.left
            candidate.compare_url = reverse(
                "admin:matching_matchcandidate_compare", args=[candidate.pk]
            )
        can_act = obj.status == GoldenStatusChoices.ACTIVE and self.has_change_permission(
            request, obj
        )
        for member in members:
            # The only member cannot leave: there would be nothing to unmerge from.
            member.unmerge_url = (
                reverse(f"admin:{self._url_name('unmerge')}", args=[obj.pk, member.pk])
                if can_act and member.pk in active and len(active) > 1
                else None
            )
        return {
            "members": members,
            "lineage": lineage,
            "locks": [
                {"attribute": attr, "label": labels.get(attr, attr), **lock}
                for attr, lock in sorted(obj.locked.items())
            ],
            "open_candidates": candidates,
            "history_rows": self.recent_history(obj, [m.pk for m in members]),
            "can_act": can_act,
            "action_urls": {
                name: reverse(f"admin:{self._url_name(name)}", args=[obj.pk])
                for name in ("lock", "unlock", "merge", "retire")
            },
        }

    def recent_history(self, obj, member_ids: list[int]) -> list[dict]:
        """The latest changes of the golden record and of its members, newest first.

        A merge or unmerge may leave the golden values as they were: the members' rows (their
        golden code, who moved them and why) tell that story.
        """
        limit = self.history_rows
        rows = [
            {
                "when": h.history_date,
                "who": h.history_user,
                "what": f"{h.get_history_type_display()} · {h.get_status_display()}",
                "why": h.history_change_reason,
            }
            for h in obj.history.select_related("history_user").order_by(
                "-history_date", "-history_id"
            )[:limit]
        ]
        if member_ids:
            rows += [
                {
                    "when": h.history_date,
                    "who": h.history_user,
                    "what": f"{h.system.code}:{h.local_code} → {h.golden_code}"
                    + ("" if h.is_active else f" ({_('已停用 retired')})"),
                    "why": h.history_change_reason,
                }
                for h in SourceRecord.history.filter(id__in=member_ids)
                .select_related("history_user", "system")
                .order_by("-history_date", "-history_id")[:limit]
            ]
        return sorted(rows, key=lambda row: row["when"], reverse=True)[:limit]

    # ---- object actions: small forms asking for a reason, each calling one service

    def _url_name(self, action: str) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{action}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        views = {
            "lock": self.lock_view,
            "unlock": self.unlock_view,
            "merge": self.merge_view,
            "retire": self.retire_view,
        }
        return [
            *(
                path(f"<path:object_id>/{name}/", wrap(view), name=self._url_name(name))
                for name, view in views.items()
            ),
            path(
                "<path:object_id>/unmerge/<int:record_id>/",
                wrap(self.unmerge_view),
                name=self._url_name("unmerge"),
            ),
            *super().get_urls(),
        ]

    def _acting_on(self, request, object_id):
        """The golden record an action is about; only stewards with change rights may act."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("黄金记录不存在 / Golden record not found"))
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _change_url(self, obj) -> str:
        return reverse(f"admin:{self._url_name('change')}", args=[obj.pk])

    def _action_page(self, request, obj, form, *, title, intro="", danger=False, submit=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": title,
            "intro": intro,
            "form": form,
            "danger": danger,
            "submit_label": submit or _("确认 Confirm"),
            "change_url": self._change_url(obj),
        }
        return TemplateResponse(request, self.action_template, context)

    def _call(self, form, service, **kwargs):
        """Call one stewardship service; its errors go onto the form (the dictionary's per field).

        Returns the service's result, or None when it refused.
        """
        try:
            return service(**kwargs)
        except RecordRejected as exc:
            target = "value" if "value" in form.fields else None
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(target, f"{field}: {error['message']} ({error['code']})")
        except ServiceError as exc:
            form.add_error(None, exc.message)
        return None

    def lock_view(self, request, object_id):
        obj = self._acting_on(request, object_id)
        entity = self.model.ENTITY
        bound = ElementBinding.objects.filter(entity=entity).values_list("element__code", flat=True)
        choices = [
            (code, f"{label} ({code})") for code, label in element_labels(entity, bound).items()
        ]
        form = GoldenLockForm(
            request.POST or None,
            attributes=choices,
            initial={"attribute": request.GET.get("attribute", "")},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            golden = self._call(
                form,
                lock_attribute,
                entity=entity,
                code=obj.code,
                attribute=data["attribute"],
                value=data["value"],
                actor=request.user,
                reason=data["reason"],
            )
            if golden is not None:
                values = golden.attributes()
                value = privacy.shown_value(
                    entity,
                    data["attribute"],
                    values.get(data["attribute"], ""),
                    person=privacy.is_person(entity, values),
                )
                messages.success(request, f"已锁定 / Locked: {data['attribute']} = {value}")
                # A value failing the validator of a ``flag`` element is kept: say so.
                checked = standardize_and_validate(
                    entity, {data["attribute"]: data["value"]}, partial=True
                )
                shown = masking.mask_warnings(
                    entity, checked.warnings, {data["attribute"]: data["value"]}
                )
                for warning in shown:
                    messages.warning(request, f"{warning['field']}: {warning['message']}")
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("锁定属性值 Lock an attribute value"),
            intro=_(
                "锁定的值在存活规则中始终优先，直到解锁；值会经过数据字典的标准化和校验。 "
                "A locked value wins survivorship until it is unlocked; the dictionary "
                "standardizes and validates it."
            ),
            submit=_("锁定 Lock"),
        )

    def unlock_view(self, request, object_id):
        obj = self._acting_on(request, object_id)
        labels = element_labels(self.model.ENTITY, obj.locked)
        person = privacy.is_person(self.model.ENTITY, obj.attributes())
        shown = masking.mask_locked(self.model.ENTITY, obj.locked, person=person)
        choices = [
            (attr, f"{labels.get(attr, attr)} = {privacy.scrub(shown[attr].get('value'))}")
            for attr in sorted(obj.locked)
        ]
        form = GoldenUnlockForm(
            request.POST or None,
            attributes=choices,
            initial={"attribute": request.GET.get("attribute", "")},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            golden = self._call(
                form,
                unlock_attribute,
                entity=self.model.ENTITY,
                code=obj.code,
                attribute=data["attribute"],
                actor=request.user,
                reason=data["reason"],
            )
            if golden is not None:
                messages.success(request, f"已解锁 / Unlocked: {data['attribute']}")
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("解除锁定 Unlock an attribute"),
            intro=_("解锁后该属性重新按存活规则取值。 The attribute follows survivorship again."),
            submit=_("解锁 Unlock"),
        )

    def merge_view(self, request, object_id):
        obj = self._acting_on(request, object_id)
        form = GoldenMergeForm(
            request.POST or None, initial={"other": request.GET.get("other", "")}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            golden = self._call(
                form,
                merge_by_steward,
                entity=self.model.ENTITY,
                survivor_code=obj.code,
                other_code=data["other"],
                actor=request.user,
                reason=data["reason"],
            )
            if golden is not None:
                messages.success(
                    request,
                    f"已将 {data['other']} 合并到 {golden.code} / Merged into {golden.code}",
                )
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("合并到本记录 Merge another golden record into %(code)s") % {"code": obj.code},
            intro=_(
                "本记录保留编码 %(code)s；对方的成员移到本记录，对方编码成为别名。可通过拆分成员撤销。 "
                "This record keeps its code %(code)s; the other's members move here and its code "
                "becomes an alias. Unmerging a member undoes it."
            )
            % {"code": obj.code},
            submit=_("合并 Merge"),
        )

    def retire_view(self, request, object_id):
        obj = self._acting_on(request, object_id)
        form = GoldenReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            golden = self._call(
                form,
                retire_golden,
                entity=self.model.ENTITY,
                code=obj.code,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            if golden is not None:
                messages.success(request, f"已停用 {golden.code} / Retired {golden.code}")
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("停用黄金记录 Retire golden record %(code)s") % {"code": obj.code},
            intro=_(
                "该实体已不存在时使用：所有成员源记录将停用，并通知各系统。 "
                "Use it when the thing no longer exists: every member source record is retired "
                "and the systems are notified."
            ),
            danger=True,
            submit=_("停用 Retire"),
        )

    def unmerge_view(self, request, object_id, record_id: int):
        obj = self._acting_on(request, object_id)
        record = (
            SourceRecord.objects.select_related("system")
            .filter(pk=record_id, golden_code=obj.code, is_active=True)
            .first()
        )
        if record is None:
            raise Http404(_("该源记录不是本记录的成员 / Not a member of this golden record"))
        member = f"{record.system.code}:{record.local_code}"
        form = GoldenReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            golden = self._call(
                form,
                unmerge_source_record,
                entity=self.model.ENTITY,
                system_code=record.system.code,
                local_code=record.local_code,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            if golden is not None:
                messages.success(
                    request,
                    format_html(
                        '已将 {} 拆分到 <a href="{}">{}</a> / Unmerged into {}',
                        member,
                        self._change_url(golden),
                        golden.code,
                        golden.code,
                    ),
                )
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("拆分成员 Unmerge %(member)s") % {"member": member},
            intro=_(
                "该源记录离开 %(code)s：恢复合并前的黄金记录，或新建一条；以后不会再自动合并回来。 "
                "The source record leaves %(code)s: it gets back the golden record it had before "
                "the merge, or a new one, and matching will not merge it back."
            )
            % {"code": obj.code},
            danger=True,
            submit=_("拆分 Unmerge"),
        )


@admin.register(Customer)
class CustomerAdmin(HistoryRouteForAuditors, GoldenPersonalDataMixin, GoldenRecordAdmin):
    list_display = (
        "code",
        "display_name",  # a person's name masked
        "customer_type",
        "credit_code",
        "region_code",
        "status",
        "updated_at",
    )
    list_filter = ("status", "customer_type")
    search_fields = ("code", "name", "credit_code")


@admin.register(Product)
class ProductAdmin(HistoryRouteForAuditors, GoldenPersonalDataMixin, GoldenRecordAdmin):
    list_display = ("code", "name", "model", "brand", "gtin", "uom", "status", "updated_at")
    list_filter = ("status", "uom")
    search_fields = ("code", "name", "gtin", "model")


@admin.register(Material)
class MaterialAdmin(HistoryRouteForAuditors, GoldenPersonalDataMixin, GoldenRecordAdmin):
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

    #: Set by the admin right after an audited "show personal data" (mdm.privacy.admin).
    show_clear = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Personal values masked; one left masked on save keeps the stored value.
            self.fields["payload"].initial = (
                masking.unmask_attributes(self.instance.raw)
                if self.show_clear
                else masking.mask_source_raw(self.instance)
            )
            self.instance._show_clear = self.show_clear
            for name in ("system", "entity", "local_code"):
                if name in self.fields:  # a view-only user's form has none of them
                    self.fields[name].disabled = True

    def clean(self):
        """Show the dictionary's field-level errors on the form before anything is written."""
        data = super().clean()
        if not isinstance(data.get("payload"), dict):
            raise ValidationError(_("属性必须是 JSON 对象 / Attributes must be a JSON object"))
        entity = self.instance.entity if self.instance.pk else data.get("entity")
        if self.instance.pk:
            data["payload"] = masking.restore_masked(self.instance, data["payload"])
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

    @admin.display(description=_("匹配说明 match explanation"))
    def link_explanation_table(self, obj):
        """Why the matcher linked the record as it did, field by field (personal values
        masked): this record on the left, the candidate it was compared with on the right."""
        if not obj.link_explanation:
            return _(
                "（无：没有候选，或已由合并/数据管理员关联）(none: no candidate, or linked by a merge or a steward)"
            )
        person = masking.is_person(obj.entity, masking.unmask_attributes(obj.attributes))
        stored = explanation_rows(obj.entity, obj.link_explanation)
        rows = masking.mask_explanation(obj.entity, stored, person=person)
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("字段 field"),
            _("本记录 this record"),
            _("候选 candidate"),
            _("相似度 similarity"),
            _("权重 weight"),
            _("说明 note"),
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
                    row.get("note", ""),
                )
                for row in rows
            ),
        )
        return format_html("<table>{}{}</table>", header, body)

    @admin.display(description=_("标准化属性 standardized attributes"))
    def attributes_json(self, obj):
        shown = (
            masking.unmask_attributes(obj.attributes)
            if getattr(obj, "_show_clear", False)
            else masking.mask_attributes(obj.entity, obj.attributes)
        )
        return format_html("<pre>{}</pre>", json.dumps(shown, ensure_ascii=False, indent=2))

    @admin.display(description=_("警告 warnings"))
    def warnings_json(self, obj):
        warnings = masking.mask_warnings(obj.entity, obj.warnings, obj.raw, obj.attributes)
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
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return
        stored = SourceRecord.objects.get(system=system, entity=entity, local_code=local_code)
        obj.pk, obj.golden_code = stored.pk, stored.golden_code
        messages.info(request, f"{_('全局编码 golden code')}: {result.golden_code} ({result.link})")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SourceSystemForm(forms.ModelForm):
    """The country as a list of names (US 美国 United States), not a bare two-letter code."""

    country = forms.ChoiceField(
        label=_("国家 country"),
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
