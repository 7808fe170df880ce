"""Django admin for data stewards (数据管理员): the golden records, on one screen each.

Admin classes shape pages; every write goes through the hub's services. The object actions
(lock, unlock, merge, retire, unmerge) are in ``admin_actions``; source records, systems,
events and tokens in ``admin_sources``.
"""

from __future__ import annotations

import types

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Q
from django.urls import reverse, reverse_lazy
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dictionary.models import ElementBindingSurvivorshipChoices
from dictionary.services import dictionary_snapshot
from matching.models import MatchCandidate
from mdm.linking.review import element_labels
from mdm.models import (
    Customer,
    GoldenStatusChoices,
    Material,
    Product,
    SourceRecord,
)
from mdm.privacy.admin import GoldenPersonalDataMixin
from mdm.records.survivorship import LOCKED_RULE
from mdm.stewardship.actions import (
    pending_between,
)
from mdm.stewardship.admin_actions import GoldenActionsMixin
from mdm.stewardship.admin_site import HistoryRouteForAuditors, hub_app_list, hub_index
from mdm.stewardship.record_history import golden_history

admin.site.site_header = _("MDM hub")
admin.site.site_title = _("MDM hub")
admin.site.index_title = _("Data stewardship")
# "View site" leads to the steward's workbench, the admin index (the hub has no public site).
# Django takes a lazy URL here (the stub says str); the default site's app list and index are
# replaced on the instance (the hub's own), which the stub's methods do not allow.
admin.site.site_url = reverse_lazy("admin:index")  # type: ignore[assignment]
admin.site.get_app_list = types.MethodType(hub_app_list, admin.site)  # type: ignore[method-assign]
# The index is the steward's workbench: the work queues and their counts above the app list.
admin.site.index = types.MethodType(hub_index, admin.site)  # type: ignore[method-assign]
admin.site.index_template = "admin/mdm/workbench_index.html"


class GoldenRecordAdmin(GoldenActionsMixin, SimpleHistoryAdmin):
    """A golden record on one screen: members, lineage, open candidates, locks and history.

    Values are never typed in here: a steward locks a value, merges, unmerges or retires
    through the small forms of the object actions, each calling a stewardship service.
    """

    list_display: tuple[str, ...] = ("code", "name", "status", "updated_at")
    list_filter: tuple[str, ...] = ("status",)
    search_fields: tuple[str, ...] = ("code", "name")
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
            # Display attributes for the panel's template, not fields of the model.
            candidate.member = candidate.left if left_is_member else candidate.right  # type: ignore[attr-defined]
            candidate.other = candidate.right if left_is_member else candidate.left  # type: ignore[attr-defined]
            candidate.compare_url = reverse(  # type: ignore[attr-defined]
                "admin:matching_matchcandidate_compare", args=[candidate.pk]
            )
        can_act = obj.status == GoldenStatusChoices.ACTIVE and self.has_change_permission(
            request, obj
        )
        for member in members:
            # The only member cannot leave: there would be nothing to unmerge from.
            member.unmerge_url = (  # type: ignore[attr-defined]  # for the panel's template
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
