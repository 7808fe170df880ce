"""``GET /api/v1/dictionary/``: data elements, their bindings, value domains and codes."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
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
        include_values = request.query_params.get("values", "true").lower() not in ("0", "false")
        return Response(dictionary_document(include_values=include_values))
