"""The review queue's list filters: status, score band, source system and age."""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from matching.models import MatchCandidateStatusChoices
from mdm.linking.review import (
    QUEUE_BANDS,
)
from mdm.models import SourceSystem

#: Score bands of the queue filter: parameter value -> (label, lower bound, upper bound).
BAND_LABELS = {
    "90": _("high"),
    "70": _("medium"),
    "50": _("low"),
    "0": _("very low"),
}
SCORE_BANDS = {key: (BAND_LABELS[key], *bounds) for key, bounds in QUEUE_BANDS.items()}


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
        band = self.value()
        if band not in SCORE_BANDS:
            raise IncorrectLookupParameters(band)
        _label, low, high = SCORE_BANDS[band]
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
        value = self.value()
        if value is None:
            return queryset
        try:
            system_id = int(value)
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
