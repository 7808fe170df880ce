"""Filters of the golden-record list: free-text ``q``, ``credit_code``, ``updated_after``."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _


class GoldenFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="名称或编码 name or code")
    credit_code = django_filters.CharFilter(method="filter_credit_code")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    status = django_filters.CharFilter(field_name="status")

    def is_valid(self) -> bool:
        valid = super().is_valid()
        # An empty ``updated_after=`` is no date-time: refused, not read as "no filter".
        if self.data.get("updated_after", None) == "" and "updated_after" not in self.form.errors:
            self.form.add_error("updated_after", _("Enter a valid date/time."))
            return False
        return valid

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(code=value.upper()) | Q(name__icontains=value))

    def filter_credit_code(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if "credit_code" not in {f.name for f in queryset.model._meta.fields}:
            return queryset.none()
        return queryset.filter(credit_code=value.strip().upper())
