"""Admin for security: masking and audited unmasking on record pages, the audit log (read-only,
CSV export) and the change history as auditors read it, and the login lock-out.

* ``PersonalDataAdminMixin`` masks personal values on a golden or source record page; a user
  with ``mdm.view_personal_data`` may press "show personal data", give a reason, and see them in
  clear on the next rendering of that page only — each time an audit row.
* ``AuditLogAdmin`` has no add, change or delete for anyone (superusers included).
* The historical models are listed read-only for auditors (``view_historical…``): who changed
  which record, when and why, and which fields — never the values.
"""

from __future__ import annotations

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.db.models.functions import Length
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from dictionary.services import personal_elements
from mdm.access import lockout
from mdm.models import AuditLog
from mdm.privacy import audit, masking
from mdm.privacy import policy as privacy

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


class MaskedHistoryContextHelper(HistoricalRecordContextHelper):
    """Formats a history diff with the personal values of the record masked."""

    def __init__(self, model, historical_record, *, entity: str, person: bool, values=()):
        super().__init__(model, historical_record)
        self.entity, self.person, self.values = entity, person, list(values)

    def prepare_delta_change_value(self, change, value):
        value = privacy.shown_field(
            self.entity, change.field, value, person=self.person, record_values=self.values
        )
        return super().prepare_delta_change_value(change, value)


class MaskedHistoryMixin:
    """A SimpleHistoryAdmin whose "full history" page shows masked diffs.

    ``history_entity(record)`` names the entity of a historical row; golden and source records
    answer it, other tracked models hold no personal data (the ``scrub`` still hides
    ciphertexts).
    """

    def history_entity(self, record) -> tuple[str, bool, list]:
        return "", False, []

    def get_historical_record_context_helper(self, request, historical_record):
        entity, person, values = self.history_entity(historical_record)
        return MaskedHistoryContextHelper(
            self.model, historical_record, entity=entity, person=person, values=values
        )


class PersonalDataAdminMixin:
    """Masked personal values on record pages, and the audited "show personal data" action."""

    unmask_template = "admin/mdm/golden_action.html"

    # ---- which page shows values in clear: the one right after an audited unmask

    def _unmask_key(self, obj) -> str:
        return f"{self.model._meta.label_lower}:{obj.pk}"

    def take_unmask_grant(self, request, obj) -> bool:
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
        return taken[key]

    def unmask_url(self, request, obj) -> str | None:
        if obj is None or not privacy.may_unmask(request.user):
            return None
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_unmask", args=[obj.pk])

    def record_fields(self, obj) -> tuple[str, str, list[str]]:
        """(entity, record label, personal fields present) of ``obj``, for the audit row."""
        raise NotImplementedError

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "<path:object_id>/personal-data/",
                self.admin_site.admin_view(self.unmask_view),
                name=f"{meta.app_label}_{meta.model_name}_unmask",
            ),
            *super().get_urls(),
        ]

    def unmask_view(self, request, object_id):
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

    def history_entity(self, record):
        values = record.instance.attributes()
        return self.model.ENTITY, privacy.is_person(self.model.ENTITY, values), [values]

    def record_fields(self, obj):
        attributes = obj.attributes()
        return obj.ENTITY, obj.code, masking.personal_fields(obj.ENTITY, attributes)

    @admin.display(description=_("name"), ordering="name")
    def display_name(self, obj) -> str:
        # A person's name is masked, declared a person or recognised as one.
        return privacy.shown_name(obj.ENTITY, obj.name, obj.attributes())

    def get_search_results(self, request, queryset, search_term):
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

    def persons_named(self, queryset, term: str) -> list[int]:
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

    def steward_panels(self, request, obj) -> dict:
        panels = super().steward_panels(request, obj)
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

    def history_entity(self, record):
        person = privacy.is_person(record.entity, record.attributes or {})
        return record.entity, person, [record.raw or {}, record.attributes or {}]

    change_form_template = "admin/mdm/sourcerecord_change_form.html"

    def record_fields(self, obj):
        fields = set(masking.personal_fields(obj.entity, obj.attributes))
        if isinstance(obj.raw, dict):
            fields |= set(
                masking.personal_fields(
                    obj.entity, obj.raw, person=masking.is_person(obj.entity, obj.attributes)
                )
            )
        return obj.entity, f"{obj.system.code}:{obj.local_code}", sorted(fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.show_clear = bool(obj is not None and self.take_unmask_grant(request, obj))
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["unmask_url"] = self.unmask_url(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


# ---- what may be asked: the declared filters only


class DeclaredLookupsOnly:
    """Query-string look-ups limited to the changelist's declared filters and date hierarchy.

    Django's admin accepts a look-up on any local field (``?phone__startswith=+86135``): on a
    page that masks the phone, that is an oracle answering one digit per request. Anything
    else is refused (``DisallowedModelAdminLookup``: 400).
    """

    def lookup_allowed(self, lookup, value, request=None):
        list_filter = self.get_list_filter(request) if request is not None else self.list_filter
        paths = privacy.declared_filter_paths(list_filter, self.date_hierarchy)
        if not privacy.lookup_is_declared(lookup, paths):
            return False
        return super().lookup_allowed(lookup, value, request)


def enforce_declared_lookups(site) -> None:
    """Give every ModelAdmin of ``site`` the declared-look-ups rule (called once all apps have
    registered theirs, including Django's own user admin)."""
    for model_admin in site._registry.values():
        cls = type(model_admin)
        if not issubclass(cls, DeclaredLookupsOnly):
            model_admin.__class__ = type(cls.__name__, (DeclaredLookupsOnly, cls), {})


# ---- the audit log: read-only for everyone, exportable


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "actor_name",
        "action",
        "channel",
        "entity",
        "record",
        "field_list",
        "reason",
        "ip",
    )
    list_filter = ("action", "channel", "entity")
    search_fields = ("actor_name", "record", "reason", "ip")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]
    actions = ["export_csv"]
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description=_("fields"))
    def field_list(self, obj) -> str:
        return ", ".join(obj.fields or [])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return audit_csv_response(queryset.order_by("at", "id"))

    def get_urls(self):
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name="mdm_auditlog_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The whole log as filtered on the list page (same query string), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return audit_csv_response(changelist.get_queryset(request).order_by("at", "id"))


CSV_COLUMNS = (
    "at",
    "actor_name",
    "action",
    "channel",
    "entity",
    "record",
    "fields",
    "reason",
    "ip",
    "user_agent",
)


def audit_csv_response(queryset) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in queryset.iterator(chunk_size=2000):
        writer.writerow(
            [
                row.at.isoformat(),
                row.actor_name,
                row.action,
                row.channel,
                row.entity,
                row.record,
                " ".join(row.fields or []),
                row.reason,
                row.ip,
                row.user_agent,
            ]
        )
    return response


# ---- change history for auditors: who, when, why and which fields; never the values


class HistoryAuditAdmin(admin.ModelAdmin):
    """A historical model, read-only: the change's metadata and the names of changed fields."""

    label_fields: tuple[str, ...] = ("id",)
    list_display = (
        "history_date",
        "history_type",
        "record_label",
        "history_user",
        "history_change_reason",
    )
    list_filter = ("history_type",)
    list_select_related = ("history_user",)
    date_hierarchy = "history_date"
    list_per_page = 100
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        return [
            "history_date",
            "history_type",
            "history_user",
            "history_change_reason",
            "record_label",
            "changed_fields",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_search_fields(self, request):
        return ("history_change_reason", "history_user__username", *self.label_fields)

    @admin.display(description=_("record"))
    def record_label(self, obj) -> str:
        return " ".join(str(getattr(obj, f, "")) for f in self.label_fields)

    @admin.display(description=_("changed fields"))
    def changed_fields(self, obj) -> str:
        previous = obj.prev_record
        if previous is None:
            return _("(created)")
        return ", ".join(change.field for change in obj.diff_against(previous).changes)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _register_history() -> None:
    from dictionary.models import CodeValue, DataElement, ElementBinding, ValueDomain
    from mdm.models import Customer, Material, Product, SourceRecord, SourceSystem

    labels = {
        Customer: ("code",),
        Product: ("code",),
        Material: ("code",),
        SourceRecord: ("entity", "local_code", "golden_code"),
        SourceSystem: ("code",),
        DataElement: ("code",),
        ElementBinding: ("entity",),
        ValueDomain: ("code",),
        CodeValue: ("code",),
    }
    for model, fields in labels.items():
        historical = model.history.model
        if admin.site.is_registered(historical):
            continue
        admin.site.register(
            historical,
            type(f"{model.__name__}HistoryAdmin", (HistoryAuditAdmin,), {"label_fields": fields}),
        )


_register_history()


# ---- login lock-out


class LockoutAuthenticationForm(AdminAuthenticationForm):
    """The admin login, locked for a while after repeated failures of a username from an address."""

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        ip = audit.client_ip(self.request)
        if username and lockout.is_locked(username=username, ip=ip):
            raise ValidationError(lockout.locked_message(), code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            if username:
                lockout.record_failure(username=username, ip=ip)
            raise
        lockout.record_success(username=username, ip=ip)
        return cleaned


admin.site.login_form = LockoutAuthenticationForm
