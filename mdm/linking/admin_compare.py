"""The review queue's comparison page: one candidate's two records side by side, with accept,
reject or skip, and both sides shown in clear once after an audited unmask."""

import copy
from dataclasses import replace
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.errors import ServiceError
from mdm.linking.notes import hard_rule_fields, note_label
from mdm.linking.review import (
    KEY_ATTRIBUTES,
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
from mdm.models import SourceRecord, golden_model
from mdm.privacy import policy as privacy
from mdm.privacy.admin import SESSION_KEY, AccessReasonForm
from mdm.stewardship.actions import MAX_REASON, decide_candidate

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
    "email_domain": _("organization mail domain"),
    "hard rule": _("hard rule"),
}


def golden_admin_url(golden) -> str:
    return reverse(f"admin:mdm_{golden._meta.model_name}_change", args=[golden.pk])


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
        super().clean()
        data = self.cleaned_data
        if data.get("decision") in ("accept", "reject") and not data.get("reason", "").strip():
            self.add_error("reason", _("A reason is required"))
        return data


def score_badge(candidate: MatchCandidate, url: str | None = None):
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
        note_label(rule[1]),
        HARD_RULE_LABELS[rule[0]],
    )


if TYPE_CHECKING:
    # A mixin for MatchCandidateAdmin: the type checker reads it as that ModelAdmin (generic to
    # the type checker only: subscripting it at run time fails).
    from django.contrib import admin

    _CandidateAdminBase = admin.ModelAdmin[MatchCandidate]
else:
    _CandidateAdminBase = object


class CandidateCompareMixin(_CandidateAdminBase):
    """The comparison page of ``MatchCandidateAdmin`` and its unmask step."""

    compare_template: str  # MatchCandidateAdmin's

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
        filtered.GET = params  # type: ignore[assignment]  # a mutable copy stands in for GET
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
                    str(_('Accepted: merged into <a href="{url}">{code}</a>')),
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
        named = {**element_labels(candidate.entity, hard_rule_fields(candidate.entity)), **labels}
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
            row["note_label"] = note_label(row.get("note"), named)
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
            "score_badge": score_badge(candidate),
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
