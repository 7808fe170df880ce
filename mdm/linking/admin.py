"""The stewards' review queue (待审核队列): pending match candidates, compared side by side.

Pages only: the queue (filters by entity, status, score band, source system and age), a
comparison page per candidate with accept / reject / skip, and bulk accept / reject with a
reason. Every decision goes through ``mdm.stewardship.actions``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dictionary.masking import mask_name
from matching.models import MatchCandidate, MatchCandidateStatusChoices, MatchRuleChange
from mdm.linking.admin_compare import CandidateCompareMixin, score_badge
from mdm.linking.admin_filters import (
    AgeFilter,
    CandidateStatusFilter,
    ScoreBandFilter,
    SourceSystemFilter,
)
from mdm.linking.review import (
    QUEUE_ORDERING,
)
from mdm.models import GOLDEN_MODELS, SourceRecord, golden_model
from mdm.privacy import policy as privacy
from mdm.stewardship.actions import MAX_REASON, decide_candidates


def can_decide(user, entity: str | None = None) -> bool:
    """Deciding a candidate merges golden records: the golden record's change right is needed.

    Same rule as the stewards' API: the role migration grants stewards the golden records'
    change permissions; an explicit ``matching.change_matchcandidate`` works as well.
    """
    if user.has_perm("matching.change_matchcandidate"):
        return True
    models = [golden_model(entity)] if entity else list(GOLDEN_MODELS.values())
    return any(user.has_perm(f"mdm.change_{m._meta.model_name}") for m in models)


def can_view_queue(user) -> bool:
    return user.has_perm("matching.view_matchcandidate") or user.has_perm("mdm.view_sourcerecord")


class BulkDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": _("A reason is required")},
    )


def _side(record: SourceRecord):
    # A person's name is personal data; mask it without a dictionary look-up per row.
    name = record.attributes.get("name", "")
    if privacy.is_person(record.entity, record.attributes):
        name = mask_name(name)
    return format_html(
        '<span class="mdm-system">{}</span> <code>{}</code><br><span class="mdm-name">{}</span>',
        record.system.code,
        record.local_code,
        name,
    )


@admin.register(MatchCandidate)
class MatchCandidateAdmin(CandidateCompareMixin, admin.ModelAdmin):
    """The review queue: pending candidates, best score first, 50 a page."""

    list_filter = (
        CandidateStatusFilter,
        "entity",
        ScoreBandFilter,
        SourceSystemFilter,
        AgeFilter,
    )
    list_select_related = ("left__system", "right__system", "decided_by")
    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    search_fields = (
        "=left__local_code",
        "=right__local_code",
        "=left__golden_code",
        "=right__golden_code",
    )
    search_help_text = _("a local code or golden code (exact)")
    actions = ("accept_selected", "reject_selected")
    ordering = QUEUE_ORDERING
    compare_template = "admin/matching/matchcandidate/compare.html"
    bulk_template = "admin/matching/matchcandidate/decide_selected.html"

    # ---- permissions: the queue follows the golden records' rights (see can_decide)

    def has_module_permission(self, request) -> bool:
        return can_view_queue(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_view_queue(request.user) or self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return can_decide(request.user, obj.entity if obj is not None else None)

    def has_add_permission(self, request) -> bool:
        # Candidates come from matching (or a steward's unmerge), never typed in.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A rejection must stay, or the pair would be proposed again.
        return False

    # ---- the queue

    def get_list_display(self, request):
        preserved = self.get_preserved_filters(request)
        opts = self.model._meta

        def compare_url(obj) -> str:
            url = reverse("admin:matching_matchcandidate_compare", args=[obj.pk])
            return add_preserved_filters({"preserved_filters": preserved, "opts": opts}, url)

        @admin.display(description=_("probability"), ordering="score")
        def score(obj):
            return score_badge(obj, compare_url(obj))

        @admin.display(description=_("left record"))
        def left(obj):
            return _side(obj.left)

        @admin.display(description=_("right record"))
        def right(obj):
            return _side(obj.right)

        @admin.display(description=_("compare"))
        def compare(obj):
            label = _("Review") if obj.status == MatchCandidateStatusChoices.PENDING else _("View")
            return format_html(
                '<a class="button compare-link" href="{}">{}</a>', compare_url(obj), label
            )

        @admin.display(description=_("decision (who, when, why)"))
        def decision(obj):
            if obj.decided_at is None:
                return "—"
            return format_html(
                "{} · {}<br><small>{}</small>",
                obj.decided_by.get_username() if obj.decided_by else "—",
                timezone.localtime(obj.decided_at).strftime("%Y-%m-%d %H:%M"),
                obj.reason,
            )

        @admin.display(description=_("waiting since"), ordering="created_at")
        def waiting(obj):
            created = timezone.localtime(obj.created_at)
            return format_html(
                "{}<br><small>{}</small>", created.strftime("%Y-%m-%d"), created.strftime("%H:%M")
            )

        @admin.display(description=_("status"), ordering="status")
        def status(obj):
            return format_html(
                "{}<br><small>{}</small>", obj.get_status_display(), obj.get_entity_display()
            )

        columns = (score, left, right, compare, status, waiting)
        # Pending pairs have no decision yet: the column only shows for decided ones.
        if request.GET.get(CandidateStatusFilter.parameter_name, "pending") == "pending":
            return columns
        return (*columns, decision)

    def get_list_display_links(self, request, list_display):
        return None

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("Match review queue")} | (extra_context or {})
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A candidate is never edited as a form: its page is the comparison.
        url = reverse("admin:matching_matchcandidate_compare", args=[object_id])
        return HttpResponseRedirect(self._with_filters(request, url))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="matching_matchcandidate_compare",
            ),
            path(
                "<path:object_id>/compare/personal-data/",
                self.admin_site.admin_view(self.compare_unmask_view),
                name="matching_matchcandidate_compare_unmask",
            ),
            *super().get_urls(),
        ]

    # ---- bulk actions

    @admin.action(description=_("Accept selected (merge)"), permissions=["change"])
    def accept_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, accept=True)

    @admin.action(description=_("Reject selected"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, accept=False)

    def _bulk_decide(self, request, queryset, *, accept: bool):
        """First a confirmation page asking for the reason, then ``decide_candidates``."""
        pending = queryset.filter(status=MatchCandidateStatusChoices.PENDING)
        form = BulkDecisionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            ids = list(pending.order_by(*QUEUE_ORDERING).values_list("pk", flat=True))
            counts = decide_candidates(
                candidate_ids=ids,
                accept=accept,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            decided, skipped = counts["decided"], counts["skipped"]
            if accept:
                text = _("%(n)d candidates accepted") % {"n": decided}
            else:
                text = _("%(n)d candidates rejected") % {"n": decided}
            if skipped:
                text += _("; %(n)d skipped (already decided)") % {"n": skipped}
            messages.success(request, text)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Accept selected candidates") if accept else _("Reject selected candidates"),
            "accept": accept,
            "action": "accept_selected" if accept else "reject_selected",
            "form": form,
            "count": pending.count(),
            "sample": pending.select_related("left__system", "right__system").order_by(
                *QUEUE_ORDERING
            )[:20],
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, self.bulk_template, context)


@admin.register(MatchRuleChange)
class MatchRuleChangeAdmin(admin.ModelAdmin):
    """What the batch match learned, or refused to learn, and why: read-only."""

    list_display = ("created_at", "entity", "kind", "applied", "records", "decisions", "message")
    list_filter = ("entity", "kind", "applied")
    ordering = ("-created_at", "-pk")
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
