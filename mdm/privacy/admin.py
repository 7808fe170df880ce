"""Admin for personal data on record pages: masking, audited unmasking and masked history.

* ``PersonalDataAdminMixin`` masks personal values on a golden or source record page; a user
  with ``mdm.view_personal_data`` may press "show personal data", give a reason, and see them in
  clear on the next rendering of that page only — each time an audit row (``policy.reveal``).
* ``MaskedHistoryMixin`` shows a record's history diffs masked.
* ``enforce_declared_lookups`` limits every changelist to its declared filters.

The audit log, the auditors' history pages and the login lock-out are in ``admin_audit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.db.models.functions import Length
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from dictionary.services import personal_elements
from mdm.privacy import audit, masking
from mdm.privacy import policy as privacy

if TYPE_CHECKING:
    # The mixins below are for SimpleHistoryAdmin classes (untyped, so Any) or any ModelAdmin,
    # and ModelAdmin is generic to the type checker only (subscripting it at run time fails).
    from simple_history.admin import SimpleHistoryAdmin as _HistoryAdminBase

    _LookupsMixinBase = admin.ModelAdmin[Any]
else:
    _HistoryAdminBase = _LookupsMixinBase = object

SESSION_KEY = "mdm_unmask_once"
#: Longest name (with spaces and titles) that matching may still recognise as a person's.
PERSON_NAME_MAX = 30


class AccessReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=audit.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required; written to the audit log"),
        error_messages={"required": _("A reason is required")},
    )


# ---- history pages: masked diffs


# simple_history is untyped: its helper is Any.
class MaskedHistoryContextHelper(HistoricalRecordContextHelper):  # type: ignore[misc]
    """Formats a history diff with the personal values of the record masked."""

    def __init__(
        self,
        model: type[Model],
        historical_record: Any,
        *,
        entity: str,
        person: bool,
        values: Iterable[Any] = (),
    ) -> None:
        super().__init__(model, historical_record)
        self.entity, self.person, self.values = entity, person, list(values)

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        value = privacy.shown_field(
            self.entity, change.field, value, person=self.person, record_values=self.values
        )
        return super().prepare_delta_change_value(change, value)


class MaskedHistoryMixin(_HistoryAdminBase):  # type: ignore[misc]  # SimpleHistoryAdmin: Any
    """A SimpleHistoryAdmin whose "full history" page shows masked diffs.

    ``history_entity(record)`` names the entity of a historical row; golden and source records
    answer it, other tracked models hold no personal data (the ``scrub`` still hides
    ciphertexts).
    """

    def history_entity(self, record: Any) -> tuple[str, bool, list[Any]]:
        return "", False, []

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> MaskedHistoryContextHelper:
        entity, person, values = self.history_entity(historical_record)
        return MaskedHistoryContextHelper(
            self.model, historical_record, entity=entity, person=person, values=values
        )


class PersonalDataAdminMixin(_HistoryAdminBase):  # type: ignore[misc]  # SimpleHistoryAdmin: Any
    """Masked personal values on record pages, and the audited "show personal data" action."""

    unmask_template = "admin/mdm/golden_action.html"

    # ---- which page shows values in clear: the one right after an audited unmask

    def _unmask_key(self, obj: Any) -> str:
        return f"{self.model._meta.label_lower}:{obj.pk}"

    def take_unmask_grant(self, request: HttpRequest, obj: Any) -> bool:
        """True for the one request after an unmask of ``obj`` by this user (then used up)."""
        key = self._unmask_key(obj)
        taken = request.__dict__.setdefault("_mdm_unmask_taken", {})
        if key not in taken:  # the admin asks several times per request (fieldsets, form)
            grants = request.session.get(SESSION_KEY, {})
            granted = grants.pop(key, None)
            if granted is not None:
                request.session[SESSION_KEY] = grants
            seen = privacy.visibility(request.user, granted=granted is not None)
            taken[key] = seen is privacy.Visibility.CLEAR
        return bool(taken[key])

    def unmask_url(self, request: HttpRequest, obj: Any) -> str | None:
        if obj is None or not privacy.may_unmask(request.user):
            return None
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_unmask", args=[obj.pk])

    def record_fields(self, obj: Any) -> tuple[str, str, list[str]]:
        """(entity, record label, personal fields present) of ``obj``, for the audit row."""
        raise NotImplementedError

    def get_urls(self) -> list[URLPattern]:
        meta = self.model._meta
        return [
            path(
                "<path:object_id>/personal-data/",
                self.admin_site.admin_view(self.unmask_view),
                name=f"{meta.app_label}_{meta.model_name}_unmask",
            ),
            *super().get_urls(),
        ]

    def unmask_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("Record not found"))
        if not (privacy.may_unmask(request.user) and self.has_view_permission(request, obj)):
            raise PermissionDenied
        form = AccessReasonForm(request.POST or None)
        change_url = reverse(
            f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change",
            args=[obj.pk],
        )
        if request.method == "POST" and form.is_valid():
            entity, label, fields = self.record_fields(obj)
            privacy.reveal(
                user=request.user,
                entity=entity,
                record=label,
                fields=fields,
                reason=form.cleaned_data["reason"],
                request=request,
                channel=audit.ADMIN,
            )
            grants = request.session.get(SESSION_KEY, {})
            grants[self._unmask_key(obj)] = True
            request.session[SESSION_KEY] = grants
            messages.warning(
                request,
                _("Personal data shown this once; audited"),
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("Show personal data"),
            "intro": _(
                "Personal data is shown in clear on the next view of this page only; who, why and "
                "when go to the audit log."
            ),
            "form": form,
            "danger": False,
            "submit_label": _("Show"),
            "change_url": change_url,
        }
        return TemplateResponse(request, self.unmask_template, context)


class GoldenPersonalDataMixin(MaskedHistoryMixin, PersonalDataAdminMixin):
    """Golden record pages and lists: names of persons and personal values masked."""

    def history_entity(self, record: Any) -> tuple[str, bool, list[Any]]:
        values = record.instance.attributes()
        return self.model.ENTITY, privacy.is_person(self.model.ENTITY, values), [values]

    def record_fields(self, obj: Any) -> tuple[str, str, list[str]]:
        attributes = obj.attributes()
        return obj.ENTITY, obj.code, masking.personal_fields(obj.ENTITY, attributes)

    @admin.display(description=_("name"), ordering="name")
    def display_name(self, obj: Any) -> str:
        # A person's name is masked, declared a person or recognised as one.
        return privacy.shown_name(obj.ENTITY, obj.name, obj.attributes())

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """Search by code, name or local code; a personal value only through the blind index.

        * A term that is a phone, an e-mail or a resident ID finds, exactly, the golden records
          holding it, and only for a user who may see the result (``privacy.personal_search``).
        * A name search never confirms a person to a user who may not unmask: persons (declared
          or recognised) matched by their name alone are left out of the answer.
        """
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return found, may_have_duplicates
        entity = self.model.ENTITY
        codes = privacy.personal_search(entity, term, user=request.user)
        if codes:
            found = found | queryset.filter(code__in=codes)
        if not privacy.may_unmask(request.user):
            hidden = self.persons_named(queryset, term)
            if hidden:
                found = found.exclude(pk__in=hidden)
        return found, may_have_duplicates

    def persons_named(self, queryset: QuerySet[Any], term: str) -> list[int]:
        """Primary keys of the persons whose name contains ``term`` (and not their code)."""
        if self.model.ENTITY != "customers":
            return []
        named = queryset.filter(name__icontains=term).exclude(code__iexact=term)
        # Only a declared person, or an undeclared customer without a credit code and with a
        # short name, can be a person: the rest never reach the (Python) recognition.
        named = named.annotate(name_length=Length("name")).filter(
            Q(customer_type="person")
            | (~Q(customer_type="org") & Q(credit_code="", name_length__lte=PERSON_NAME_MAX))
        )
        hidden = []
        for row in named.values("pk", "name", "customer_type", "credit_code", "id_number"):
            if privacy.is_person(self.model.ENTITY, row):
                hidden.append(row["pk"])
        return hidden

    def steward_panels(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        panels: dict[str, Any] = super().steward_panels(request, obj)
        panels["unmask_url"] = self.unmask_url(request, obj)
        if self.take_unmask_grant(request, obj):
            panels["unmasked"] = True
            for row in panels.get("lineage", []):
                row["value"] = masking.unmask_attributes({"v": row["value"]})["v"]
            for lock in panels.get("locks", []):
                lock["value"] = masking.unmask_attributes({"v": lock.get("value")})["v"]
            return panels
        entity = obj.ENTITY
        personal = personal_elements(entity)  # once: the page stays a fixed number of queries
        values = obj.attributes()
        person = masking.is_person(entity, values)
        shown = {row["attribute"]: row["value"] for row in panels.get("lineage", [])}
        masked = masking.mask_attributes(entity, shown, person=person, personal=personal)
        for row in panels.get("lineage", []):
            row["value"] = masked.get(row["attribute"], row["value"])
        locked = masking.mask_attributes(
            entity,
            {lock["attribute"]: lock.get("value") for lock in panels.get("locks", [])},
            person=person,
            personal=personal,
        )
        for lock in panels.get("locks", []):
            lock["value"] = locked.get(lock["attribute"], lock.get("value"))
        for member in panels.get("members", []):
            member.attributes = masking.mask_attributes(
                entity, member.attributes, personal=personal
            )
        for candidate in panels.get("open_candidates", []):
            for record in (candidate.member, candidate.other):
                record.attributes = masking.mask_attributes(
                    entity, record.attributes, personal=personal
                )
        return panels


class SourcePersonalDataMixin(MaskedHistoryMixin, PersonalDataAdminMixin):
    """The source record page: the payload and attributes masked; a masked value left as it is
    keeps the stored value when the steward saves."""

    def history_entity(self, record: Any) -> tuple[str, bool, list[Any]]:
        person = privacy.is_person(record.entity, record.attributes or {})
        return record.entity, person, [record.raw or {}, record.attributes or {}]

    change_form_template = "admin/mdm/sourcerecord_change_form.html"

    def record_fields(self, obj: Any) -> tuple[str, str, list[str]]:
        fields = set(masking.personal_fields(obj.entity, obj.attributes))
        if isinstance(obj.raw, dict):
            fields |= set(
                masking.personal_fields(
                    obj.entity, obj.raw, person=masking.is_person(obj.entity, obj.attributes)
                )
            )
        return obj.entity, f"{obj.system.code}:{obj.local_code}", sorted(fields)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        form: type[ModelForm[Any]] = super().get_form(request, obj, change=change, **kwargs)
        # A flag on the form class for the change form's template (no attribute of ModelForm).
        form.show_clear = bool(obj is not None and self.take_unmask_grant(request, obj))  # type: ignore[attr-defined]
        return form

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        context["unmask_url"] = self.unmask_url(request, obj)
        response: HttpResponse = super().render_change_form(
            request, context, add, change, form_url, obj
        )
        return response


# ---- what may be asked: the declared filters only


class DeclaredLookupsOnly(_LookupsMixinBase):
    """Query-string look-ups limited to the changelist's declared filters and date hierarchy.

    Django's admin accepts a look-up on any local field (``?phone__startswith=+86135``): on a
    page that masks the phone, that is an oracle answering one digit per request. Anything
    else is refused (``DisallowedModelAdminLookup``: 400).
    """

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        list_filter = self.get_list_filter(request) if request is not None else self.list_filter
        paths = privacy.declared_filter_paths(list_filter, self.date_hierarchy)
        if not privacy.lookup_is_declared(lookup, paths):
            return False
        return super().lookup_allowed(lookup, value, request)  # type: ignore[arg-type]


def enforce_declared_lookups(site: admin.AdminSite) -> None:
    """Give every ModelAdmin of ``site`` the declared-look-ups rule (called once all apps have
    registered theirs, including Django's own user admin)."""
    for model_admin in site._registry.values():
        cls = type(model_admin)
        if not issubclass(cls, DeclaredLookupsOnly):
            model_admin.__class__ = type(cls.__name__, (DeclaredLookupsOnly, cls), {})
