"""``GET /api/v1/dictionary/``: data elements, their bindings, value domains and codes."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dictionary.export import dictionary_document


class DictionaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "values", bool, description="include value-domain codes (default true)"
            )
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        return Response(dictionary_document(include_values=_flag(request, "values", True)))


def _flag(request, name: str, default: bool) -> bool:
    """A boolean query parameter as the schema declares it: ``true`` or ``false``, else 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise ValidationError({name: [_("Must be true or false.")]}, code="invalid")
    return raw == "true"
