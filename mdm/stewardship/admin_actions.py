"""The object actions of a golden record's admin page: small forms asking for a reason, each
calling one stewardship service (lock, unlock, merge, retire, unmerge)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dictionary.models import ElementBinding
from dictionary.services import standardize_and_validate
from mdm.errors import RecordRejected, ServiceError
from mdm.linking.review import element_labels
from mdm.models import (
    SourceRecord,
)
from mdm.privacy import policy as privacy
from mdm.stewardship.actions import (
    MAX_REASON,
    lock_attribute,
    merge_by_steward,
    retire_golden,
    unlock_attribute,
)
from mdm.stewardship.merge_preview import merge_preview
from mdm.stewardship.unmerge import unmerge_source_record


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
        # A ChoiceField (declared above); the form's fields are typed as plain fields.
        self.fields["attribute"].choices = attributes  # type: ignore[attr-defined]


class GoldenUnlockForm(forms.Form):
    attribute = forms.ChoiceField(label=_("Locked attribute"))
    reason = _reason_field()

    def __init__(self, *args, attributes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # A ChoiceField (declared above); the form's fields are typed as plain fields.
        self.fields["attribute"].choices = attributes  # type: ignore[attr-defined]


class GoldenMergeForm(forms.Form):
    """The reason for a merge; the other record was chosen by the search and previewed."""

    other = forms.CharField(max_length=20, widget=forms.HiddenInput)
    reason = _reason_field()

    def clean_other(self) -> str:
        return self.cleaned_data["other"].strip().upper()


class GoldenReasonForm(forms.Form):
    reason = _reason_field()


if TYPE_CHECKING:
    # A mixin for the golden records' admin, a SimpleHistoryAdmin: the type checker reads it so.
    from simple_history.admin import SimpleHistoryAdmin as _GoldenAdminBase
else:
    _GoldenAdminBase = object


class GoldenActionsMixin(_GoldenAdminBase):
    """The action views of ``GoldenRecordAdmin`` and their URLs."""

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
                        str(_('Unmerged {member} into <a href="{url}">{code}</a>')),
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
