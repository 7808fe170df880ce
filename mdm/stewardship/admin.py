"""Django admin for data stewards (数据管理员): golden records, source records, systems, events.

Admin classes shape pages; every write goes through the hub's services.
"""

from __future__ import annotations

import json
import types
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dictionary.models import ElementBinding, ElementBindingSurvivorshipChoices
from dictionary.phones import DEFAULT_COUNTRY, country_choices
from dictionary.services import dictionary_snapshot, standardize_and_validate
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
)
from mdm.stewardship.admin_site import HistoryRouteForAuditors, hub_app_list, hub_index
from mdm.stewardship.merge_preview import merge_preview
from mdm.stewardship.record_history import golden_history, source_history
from mdm.stewardship.unmerge import unmerge_source_record

admin.site.site_header = _("MDM hub")
admin.site.site_title = _("MDM hub")
admin.site.index_title = _("Data stewardship")
# "View site" leads to the steward's workbench, the admin index (the hub has no public site).
admin.site.site_url = reverse_lazy("admin:index")
admin.site.get_app_list = types.MethodType(hub_app_list, admin.site)
# The index is the steward's workbench: the work queues and their counts above the app list.
admin.site.index = types.MethodType(hub_index, admin.site)
admin.site.index_template = "admin/mdm/workbench_index.html"


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required; kept in the history"),
        error_messages={"required": _("A reason is required")},
    )


class GoldenLockForm(forms.Form):
    """A steward's value for one attribute; the dictionary checks it in ``lock_attribute``."""

    attribute = forms.ChoiceField(label=_("Attribute"))
    value = forms.CharField(label=_("Value to lock"), max_length=300)
    reason = _reason_field()

    def __init__(self, *args, attributes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = attributes


class GoldenUnlockForm(forms.Form):
    attribute = forms.ChoiceField(label=_("Locked attribute"))
    reason = _reason_field()

    def __init__(self, *args, attributes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = attributes


class GoldenMergeForm(forms.Form):
    """The reason for a merge; the other record was chosen by the search and previewed."""

    other = forms.CharField(max_length=20, widget=forms.HiddenInput)
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
    object_history_template = "admin/mdm/golden_history.html"
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
            with dictionary_snapshot():  # the panels mask many values: one revision look-up
                context.update(self.steward_panels(request, obj))
            golden = _("Golden record")
            context["title"] = f"{golden} · {self.model._meta.verbose_name}"
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
            LOCKED_RULE: _("Steward locked")
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
                {
                    "attribute": attr,
                    "label": labels.get(attr, attr),
                    **lock,
                    # stored as ISO 8601 in UTC: shown as a time of TIME_ZONE like every other
                    "at": parse_datetime(lock["at"]) if lock.get("at") else None,
                }
                for attr, lock in sorted(obj.locked.items())
            ],
            "open_candidates": candidates,
            "history_rows": self.recent_history(obj, labels),
            "can_act": can_act,
            "action_urls": {
                name: reverse(f"admin:{self._url_name(name)}", args=[obj.pk])
                for name in ("lock", "unlock", "merge", "retire")
            },
        }

    def recent_history(self, obj, labels: dict[str, str] | None = None) -> list:
        """The latest lines of the record's readable history (its changes and its members');
        ``labels``: the element names the page already read."""
        return golden_history(
            entity=self.model.ENTITY, golden=obj, limit=self.history_rows, labels=labels
        )

    def history_view(self, request, object_id, extra_context=None):
        """The full history, readable: attribute changes under their dictionary names, members
        joining and leaving, status and lineage, who, when (local time) and why."""
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_permission(request, obj):
            extra_context = {
                **(extra_context or {}),
                "readable_history": golden_history(entity=self.model.ENTITY, golden=obj),
            }
        return super().history_view(request, object_id, extra_context)

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
            raise Http404(_("Golden record not found"))
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
            "submit_label": submit or _("Confirm"),
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
            form.add_error(None, exc.localized)
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
                messages.success(
                    request,
                    _("Locked: %(attribute)s = %(value)s")
                    % {"attribute": data["attribute"], "value": value},
                )
                # A value failing the validator of a ``flag`` element is kept: say so.
                checked = standardize_and_validate(
                    entity, {data["attribute"]: data["value"]}, partial=True
                )
                shown = privacy.shown_field(
                    entity,
                    "warnings",
                    checked.warnings,
                    person=False,
                    record_values=[{data["attribute"]: data["value"]}],
                )
                for warning in shown:
                    messages.warning(request, f"{warning['field']}: {warning['message']}")
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("Lock an attribute value"),
            intro=_(
                "A locked value wins survivorship until it is unlocked; the dictionary "
                "standardizes and validates it."
            ),
            submit=_("Lock"),
        )

    def unlock_view(self, request, object_id):
        obj = self._acting_on(request, object_id)
        labels = element_labels(self.model.ENTITY, obj.locked)
        person = privacy.is_person(self.model.ENTITY, obj.attributes())
        shown = privacy.shown_field(self.model.ENTITY, "locked", obj.locked, person=person)
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
                messages.success(request, _("Unlocked: %(attribute)s") % data)
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("Unlock an attribute"),
            intro=_("The attribute follows survivorship again."),
            submit=_("Unlock"),
        )

    merge_template = "admin/mdm/golden_merge.html"
    merge_search_rows = 20

    def merge_view(self, request, object_id):
        """Merge another golden record into this one, in three steps on one page: search the
        other by name, code or any system's local code; preview both side by side; give a
        reason and merge."""
        obj = self._acting_on(request, object_id)
        entity = self.model.ENTITY
        term = request.GET.get("q", "").strip()
        chosen = (request.POST.get("other") or request.GET.get("other", "")).strip().upper()
        form = GoldenMergeForm(request.POST or None, initial={"other": chosen})
        preview, error = None, None
        if chosen:
            try:
                preview = merge_preview(entity=entity, survivor_code=obj.code, other_code=chosen)
            except ServiceError as exc:
                error = exc.message
        if request.method == "POST" and form.is_valid() and preview is not None:
            data = form.cleaned_data
            golden = self._call(
                form,
                merge_by_steward,
                entity=entity,
                survivor_code=obj.code,
                other_code=data["other"],
                actor=request.user,
                reason=data["reason"],
            )
            if golden is not None:
                messages.success(
                    request,
                    _("%(other)s was merged into %(code)s.")
                    % {"other": data["other"], "code": golden.code},
                )
                return HttpResponseRedirect(self._change_url(obj))
        results = []
        if term and preview is None:
            candidates = self.model.objects.active().exclude(pk=obj.pk)
            found, _dupes = self.get_search_results(request, candidates, term)
            for golden in found.distinct().order_by("code")[: self.merge_search_rows]:
                results.append(
                    {
                        "code": golden.code,
                        "name": privacy.shown_name(entity, golden.name, golden.attributes()),
                        "url": f"?{urlencode({'other': golden.code})}",
                    }
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("Merge another golden record into %(code)s") % {"code": obj.code},
            "intro": _(
                "This record keeps its code %(code)s; the other's members move here and its "
                "code resolves to this one. Unmerging a member undoes it."
            )
            % {"code": obj.code},
            "form": form,
            "term": term,
            "searched": bool(term),
            "results": results,
            "preview": preview,
            "choice_error": error,
            "submit_label": _("Merge"),
            "change_url": self._change_url(obj),
        }
        return TemplateResponse(request, self.merge_template, context)

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
                messages.success(request, _("Retired %(code)s") % {"code": golden.code})
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("Retire golden record %(code)s") % {"code": obj.code},
            intro=_(
                "Use it when the thing no longer exists: every member source record is retired and "
                "the systems are notified."
            ),
            danger=True,
            submit=_("Retire"),
        )

    def unmerge_view(self, request, object_id, record_id: int):
        obj = self._acting_on(request, object_id)
        record = (
            SourceRecord.objects.select_related("system")
            .filter(pk=record_id, golden_code=obj.code, is_active=True)
            .first()
        )
        if record is None:
            raise Http404(_("Not a member of this golden record"))
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
                        _('Unmerged {member} into <a href="{url}">{code}</a>'),
                        member=member,
                        url=self._change_url(golden),
                        code=golden.code,
                    ),
                )
                return HttpResponseRedirect(self._change_url(obj))
        return self._action_page(
            request,
            obj,
            form,
            title=_("Unmerge %(member)s") % {"member": member},
            intro=_(
                "The source record leaves %(code)s: it gets back the golden record it had before "
                "the merge, or a new one, and matching will not merge it back."
            )
            % {"code": obj.code},
            danger=True,
            submit=_("Unmerge"),
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
        data = super().clean()
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
                    row.get("note", ""),
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
