"""The stewards' review queue (待审核队列): pending match candidates, compared side by side.

Pages only: the queue (filters by entity, status, score band, source system and age), a
comparison page per candidate with accept / reject / skip, and bulk accept / reject with a
reason. Every decision goes through ``mdm.stewardship.actions``.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dictionary.masking import mask_name
from matching.models import MatchCandidate, MatchCandidateStatusChoices, MatchRuleChange
from mdm.errors import ServiceError
from mdm.linking.review import (
    KEY_ATTRIBUTES,
    QUEUE_BANDS,
    QUEUE_ORDERING,
    diff_attributes,
    element_labels,
    goods_rows,
    hard_rule_of,
    key_attributes,
    next_pending_candidate,
    orient_explanation,
    score_band,
    siblings_of,
)
from mdm.models import GOLDEN_MODELS, SourceRecord, SourceSystem, golden_model
from mdm.privacy import policy as privacy
from mdm.privacy.admin import SESSION_KEY, AccessReasonForm
from mdm.stewardship.actions import MAX_REASON, decide_candidate, decide_candidates

#: Score bands of the queue filter: parameter value -> (label, lower bound, upper bound).
BAND_LABELS = {
    "90": _("high"),
    "70": _("medium"),
    "50": _("low"),
    "0": _("very low"),
}
SCORE_BANDS = {key: (BAND_LABELS[key], *bounds) for key, bounds in QUEUE_BANDS.items()}

#: What a badge says beside the score when a hard rule went against the pair.
HARD_RULE_LABELS = {
    "veto": _("vetoed by a hard rule"),
    "capped": _("hard rule: review only"),
}

#: Names of the matching features that are not dictionary elements.
FEATURE_LABELS = {
    "company_name": _("company name"),
    "region": _("region in the name"),
    "person_name": _("person name"),
    "hard rule": _("hard rule"),
}

#: The engine's generic notes, in Chinese too.
NOTE_LABELS = {
    "missing on one side": _("missing on one side"),
    "flagged invalid: not used": _("flagged invalid: not used"),
}


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


def golden_admin_url(golden) -> str:
    return reverse(f"admin:mdm_{golden._meta.model_name}_change", args=[golden.pk])


# --------------------------------------------------------------------------- list filters


class CandidateStatusFilter(admin.SimpleListFilter):
    """Status, pending by default: the queue is what is still to decide."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*MatchCandidateStatusChoices.choices, ("all", _("all"))]

    def value(self):
        return super().value() or MatchCandidateStatusChoices.PENDING

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value not in MatchCandidateStatusChoices.values:
            raise IncorrectLookupParameters(value)
        return queryset.filter(status=value)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ScoreBandFilter(admin.SimpleListFilter):
    title = _("score band")
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _low, _high) in SCORE_BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in SCORE_BANDS:
            raise IncorrectLookupParameters(self.value())
        _label, low, high = SCORE_BANDS[self.value()]
        if low is not None:
            queryset = queryset.filter(score__gte=low)
        if high is not None:
            queryset = queryset.filter(score__lt=high)
        return queryset


class SourceSystemFilter(admin.SimpleListFilter):
    """Either side of the pair comes from this system."""

    title = _("source system (either side)")
    parameter_name = "system"

    def lookups(self, request, model_admin):
        return [
            (str(pk), f"{code} {name}")
            for pk, code, name in SourceSystem.objects.order_by("code").values_list(
                "pk", "code", "name"
            )
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            system_id = int(self.value())
        except ValueError as exc:
            raise IncorrectLookupParameters(self.value()) from exc
        return queryset.filter(Q(left__system_id=system_id) | Q(right__system_id=system_id))


class AgeFilter(admin.SimpleListFilter):
    title = _("waiting since")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("today", _("today")),
            ("week", _("last 7 days")),
            ("older", _("older than 7 days")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        week_ago = now - timedelta(days=7)
        if self.value() is None:
            return queryset
        if self.value() == "today":
            midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
            return queryset.filter(created_at__gte=midnight)
        if self.value() == "week":
            return queryset.filter(created_at__gte=week_ago)
        if self.value() == "older":
            return queryset.filter(created_at__lt=week_ago)
        raise IncorrectLookupParameters(self.value())


# --------------------------------------------------------------------------- forms


class CandidateDecisionForm(forms.Form):
    """Accept or reject need a reason (it is stored with the decision); skip needs none."""

    decision = forms.ChoiceField(
        choices=[
            ("accept", _("Accept (merge)")),
            ("reject", _("Reject")),
            ("skip", _("Skip")),
        ]
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required to accept or reject; kept in the history"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") in ("accept", "reject") and not data.get("reason", "").strip():
            self.add_error("reason", _("A reason is required"))
        return data


class BulkDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": _("A reason is required")},
    )


# --------------------------------------------------------------------------- the admin


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


def _score_badge(candidate: MatchCandidate, url: str | None = None):
    """The score with its band's colour; a hard rule against the pair is said in words."""
    band = score_band(candidate.score, candidate.explanation)
    rule = hard_rule_of(candidate.explanation)
    score = f"{candidate.score:.3f}"
    if url is None:
        badge = format_html('<span class="mdm-score mdm-score-{}">{}</span>', band, score)
    else:
        badge = format_html('<a class="mdm-score mdm-score-{}" href="{}">{}</a>', band, url, score)
    if rule is None:
        return badge
    return format_html(
        '{}<br><small class="mdm-hard-rule" title="{}">{}</small>',
        badge,
        rule[1],
        HARD_RULE_LABELS[rule[0]],
    )


@admin.register(MatchCandidate)
class MatchCandidateAdmin(admin.ModelAdmin):
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
            return _score_badge(obj, compare_url(obj))

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

    # ---- the comparison page

    def _with_filters(self, request, url: str) -> str:
        return add_preserved_filters(
            {"preserved_filters": self.get_preserved_filters(request), "opts": self.model._meta},
            url,
        )

    def _queue(self, request: HttpRequest) -> QuerySet[MatchCandidate]:
        """The queue as the steward filtered it on the list page (kept in the page's URL)."""
        params = QueryDict(request.GET.get("_changelist_filters", ""), mutable=True)
        params.pop(PAGE_VAR, None)  # the page may not exist any more once pairs are decided
        filtered = copy.copy(request)
        filtered.method = "GET"
        filtered.GET = params
        try:
            return self.get_changelist_instance(filtered).queryset
        except (IncorrectLookupParameters, DisallowedModelAdminLookup):
            return MatchCandidate.objects.all()

    def _next_url(self, request, candidate: MatchCandidate) -> str | None:
        following = next_pending_candidate(self._queue(request), after=candidate)
        if following is None:
            return None
        return self._with_filters(
            request, reverse("admin:matching_matchcandidate_compare", args=[following.pk])
        )

    def _candidate(self, request, object_id) -> MatchCandidate:
        pk = unquote(object_id)
        candidate = (
            MatchCandidate.objects.select_related("left__system", "right__system", "decided_by")
            .filter(pk=pk)
            .first()
            if pk.isdigit()
            else None
        )
        if candidate is None:
            raise Http404(_("Match candidate not found"))
        if not self.has_view_permission(request, candidate):
            raise PermissionDenied
        return candidate

    def compare_view(self, request, object_id):
        candidate = self._candidate(request, object_id)
        form = CandidateDecisionForm(request.POST or None)
        if request.method == "POST":
            if not self.has_change_permission(request, candidate):
                raise PermissionDenied
            if form.is_valid():
                response = self._decide(request, candidate, form)
                if response is not None:
                    return response
        return TemplateResponse(
            request,
            self.compare_template,
            self._compare_context(
                request, candidate, form, unmasked=self._take_unmask_grant(request, candidate)
            ),
        )

    # ---- both sides in clear: an audited unmask, shown on the next view of the page only

    @staticmethod
    def _unmask_key(candidate: MatchCandidate) -> str:
        return f"matching.matchcandidate:{candidate.pk}"

    def _take_unmask_grant(self, request, candidate: MatchCandidate) -> bool:
        grants = request.session.get(SESSION_KEY, {})
        granted = grants.pop(self._unmask_key(candidate), None)
        if granted is not None:
            request.session[SESSION_KEY] = grants
        return granted is not None and privacy.may_unmask(request.user)

    def compare_unmask_view(self, request, object_id):
        """Both records of a pair in clear, for a user with ``view_personal_data`` who gives a
        reason: an audit row per record (``privacy.reveal_records``), then the comparison page
        shows them once."""
        candidate = self._candidate(request, object_id)
        if not privacy.may_unmask(request.user):
            raise PermissionDenied
        compare_url = self._with_filters(
            request, reverse("admin:matching_matchcandidate_compare", args=[candidate.pk])
        )
        if request.method != "POST":
            return HttpResponseRedirect(compare_url)
        unmask_form = AccessReasonForm(request.POST)
        if not unmask_form.is_valid():
            context = self._compare_context(
                request, candidate, CandidateDecisionForm(), unmask_form=unmask_form
            )
            return TemplateResponse(request, self.compare_template, context)
        records = {}
        for record in (candidate.left, candidate.right):
            plain = privacy.plain_attributes(record.attributes)
            person = privacy.is_person(candidate.entity, plain)
            records[f"{record.system.code}:{record.local_code}"] = privacy.personal_fields(
                candidate.entity, plain, person=person
            )
        privacy.reveal_records(
            user=request.user,
            entity=candidate.entity,
            records=records,
            reason=unmask_form.cleaned_data["reason"],
            request=request,
        )
        grants = request.session.get(SESSION_KEY, {})
        grants[self._unmask_key(candidate)] = True
        request.session[SESSION_KEY] = grants
        messages.warning(
            request,
            _("Personal data shown this once; audited"),
        )
        return HttpResponseRedirect(compare_url)

    def _decide(self, request, candidate, form) -> HttpResponseRedirect | None:
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
        if decision == "skip":
            url = self._next_url(request, candidate)
            if url is None:
                messages.info(request, _("No other pending candidate"))
                return HttpResponseRedirect(self._changelist_url(request, keep_page=False))
            return HttpResponseRedirect(url)
        try:
            decided = decide_candidate(
                candidate_id=candidate.pk,
                accept=decision == "accept",
                actor=request.user,
                reason=reason,
            )
        except ServiceError as exc:
            form.add_error(None, exc.localized)
            return None
        if decided.siblings:
            count = len(decided.siblings)
            messages.info(
                request,
                _(
                    "%(count)d other candidate(s) between the same two golden records were decided "
                    "with it"
                )
                % {"count": count},
            )
        if decided.status == MatchCandidateStatusChoices.ACCEPTED:
            code = SourceRecord.objects.values_list("golden_code", flat=True).get(
                pk=candidate.left_id
            )
            golden = golden_model(candidate.entity).objects.filter(code=code).first()
            messages.success(
                request,
                format_html(
                    _('Accepted: merged into <a href="{url}">{code}</a>'),
                    url=golden_admin_url(golden) if golden else "#",
                    code=code,
                ),
            )
        else:
            messages.success(
                request,
                _("Rejected: this pair will not be proposed again"),
            )
        url = reverse("admin:matching_matchcandidate_compare", args=[candidate.pk])
        return HttpResponseRedirect(self._with_filters(request, url))

    def _changelist_url(self, request, *, keep_page: bool = True) -> str:
        url = reverse("admin:matching_matchcandidate_changelist")
        params = QueryDict(request.GET.get("_changelist_filters", ""), mutable=True)
        if not keep_page:
            params.pop(PAGE_VAR, None)
        return f"{url}?{params.urlencode()}" if params else url

    def _compare_context(
        self, request, candidate, form, *, unmasked: bool = False, unmask_form=None
    ) -> dict:
        left, right = candidate.left, candidate.right
        goldens = {
            g.code: g
            for g in golden_model(candidate.entity)
            .objects.select_related("merged_into")
            .filter(code__in={left.golden_code, right.golden_code})
        }
        # Compare in clear, show masked: the queue never displays personal data (issue 9);
        # unmasking is an explicit, audited action on the records' own pages.
        left_plain = privacy.plain_attributes(left.attributes)
        right_plain = privacy.plain_attributes(right.attributes)
        person = privacy.is_person(candidate.entity, left_plain) or privacy.is_person(
            candidate.entity, right_plain
        )
        # Clear only right after an audited unmask of both sides (``compare_unmask_view``).
        seen = privacy.Visibility.CLEAR if unmasked else privacy.Visibility.MASKED
        left_shown = privacy.shown_attributes(
            candidate.entity, left_plain, person=person, seen=seen
        )
        right_shown = privacy.shown_attributes(
            candidate.entity, right_plain, person=person, seen=seen
        )
        has_personal = bool(
            privacy.personal_fields(candidate.entity, left_plain, person=person)
            or privacy.personal_fields(candidate.entity, right_plain, person=person)
        )
        # Explanations are stored masked: orient them on the masked values as well.
        explanation = privacy.shown_field(
            candidate.entity,
            "explanation",
            orient_explanation(
                candidate.explanation,
                {**left_plain, **{f"~{k}": v for k, v in left_shown.items()}},
                {**right_plain, **{f"~{k}": v for k, v in right_shown.items()}},
            ),
            person=person,
        )
        labels = element_labels(
            candidate.entity,
            {
                *left_plain,
                *right_plain,
                *(e.get("field") for e in explanation),
                *KEY_ATTRIBUTES.get(candidate.entity, ()),
            },
        )
        keys = key_attributes(candidate.entity, {*left_plain, *right_plain})
        rows = [
            replace(
                row,
                left=left_shown.get(row.attribute, row.left),
                right=right_shown.get(row.attribute, row.right),
            )
            for row in diff_attributes(
                left_plain, right_plain, order=list(labels), key_attributes=keys
            )
        ]
        for row in explanation:
            row["label"] = FEATURE_LABELS.get(row.get("field")) or labels.get(
                row.get("field"), row.get("field")
            )
            row["note_label"] = NOTE_LABELS.get(row.get("note"), row.get("note"))
            sim = row.get("similarity")
            row["percent"] = None if sim is None else round(sim * 100)

        def side(record: SourceRecord) -> dict:
            golden = goldens.get(record.golden_code)
            shown = left_shown if record is left else right_shown
            return {
                "record": record,
                "name": shown.get("name"),  # the header card: masked as the table below
                "record_url": reverse("admin:mdm_sourcerecord_change", args=[record.pk]),
                "golden": golden,
                "golden_url": golden_admin_url(golden) if golden else None,
            }

        left_side, right_side = side(left), side(right)
        pending = candidate.status == MatchCandidateStatusChoices.PENDING
        merged_golden = (
            goldens.get(left.golden_code) if left.golden_code == right.golden_code else None
        )
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Compare candidate #%(pk)s") % {"pk": candidate.pk},
            "subtitle": None,
            "candidate": candidate,
            "score_badge": _score_badge(candidate),
            "key_differences": [
                labels.get(r.attribute, r.attribute) for r in rows if r.is_key and r.is_different
            ],
            "has_key_attributes": bool(keys),
            # What the goods parser reads from the names, specs and models (never personal).
            "goods_rows": goods_rows(candidate.entity, left_plain, right_plain),
            "unmasked": unmasked,
            "unmask_url": (
                self._with_filters(
                    request,
                    reverse("admin:matching_matchcandidate_compare_unmask", args=[candidate.pk]),
                )
                if has_personal and not unmasked and privacy.may_unmask(request.user)
                else None
            ),
            "unmask_form": unmask_form or AccessReasonForm(),
            "left": left_side,
            "right": right_side,
            "sides": [left_side, right_side],
            "rows": [{"row": r, "label": labels.get(r.attribute, r.attribute)} for r in rows],
            "differences": sum(1 for r in rows if r.is_different),
            "explanation": explanation,
            "form": form,
            "can_decide": pending
            and left.is_active
            and right.is_active
            and self.has_change_permission(request, candidate),
            "is_pending": pending,
            "sibling_count": (
                MatchCandidate.objects.filter(siblings_of(candidate))
                .exclude(pk=candidate.pk)
                .count()
                if pending
                else 0
            ),
            "merged_golden": merged_golden,
            "merged_golden_url": golden_admin_url(merged_golden) if merged_golden else None,
            "next_url": self._next_url(request, candidate),
            "changelist_url": self._changelist_url(request),
            "preserved_filters": self.get_preserved_filters(request),
        }

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
