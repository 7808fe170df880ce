"""Cursor pagination that refuses a malformed cursor with a 400 instead of failing in the query.

DRF decodes the cursor's position as text and hands it to the database as it is: a position
that is not of the ordering field's type (``p=' OR 1=1--``) fails as a 500 in PostgreSQL, and
an undecodable cursor is a 404. Both are the caller's mistake: a field error on ``cursor``.
"""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

INVALID_CURSOR = "无效的分页游标 / Invalid pagination cursor"


INVALID_PAGE_SIZE = "每页条数须为正整数 / The page size must be a positive whole number"


class CheckedCursorPagination(CursorPagination):
    def get_page_size(self, request):
        """The page size asked for must be a positive whole number (over the maximum: the
        maximum); anything else is a field error, not silently the default."""
        name = self.page_size_query_param
        if name and name in request.query_params:
            raw = request.query_params[name]
            if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
                raise ValidationError({name: [INVALID_PAGE_SIZE]})
        return super().get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from exc
        if cursor is not None and cursor.position is not None:
            # DRF decodes the position from the query string as text; its stub says int.
            self._check_position(cursor.position)  # type: ignore[arg-type]
        return cursor

    def _check_position(self, position: str) -> None:
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        name = ordering.lstrip("-")
        model = getattr(self, "_model", None)
        if model is None:
            return
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        try:
            value = field.to_python(position)
        except DjangoValidationError as exc:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from exc
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        if isinstance(value, int) and (
            (low is not None and value < low) or (high is not None and value > high)
        ):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]})
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]})
