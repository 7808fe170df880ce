"""``GET /api/v1/dictionary/``: data elements, their bindings, value domains and codes."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dictionary.export import dictionary_document

# ---- the document's shape, for the schema only (the view answers dictionary_document as is)


class DictionaryBindingSerializer(serializers.Serializer):
    entity = serializers.CharField()
    # A declared field named like Field.required, which the stubs type as the base attribute.
    required = serializers.BooleanField()  # type: ignore[assignment]
    is_identifier = serializers.BooleanField()
    survivorship = serializers.CharField()
    position = serializers.IntegerField()


class DictionaryElementSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    definition_zh = serializers.CharField()
    definition_en = serializers.CharField()
    data_type = serializers.CharField()
    max_length = serializers.IntegerField(allow_null=True)
    precision = serializers.IntegerField(allow_null=True)
    scale = serializers.IntegerField(allow_null=True)
    value_domain = serializers.CharField(allow_null=True, help_text="the domain's code")
    validator = serializers.CharField(help_text="empty: no validator")
    validator_params = serializers.DictField(help_text="the validator's parameters")
    standardizers = serializers.ListField(child=serializers.CharField())
    sensitivity = serializers.CharField()
    on_invalid = serializers.CharField()
    owner_department = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    example = serializers.CharField()
    bindings = DictionaryBindingSerializer(many=True)


class DictionaryCodeValueSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    synonyms = serializers.ListField(child=serializers.CharField())


class DictionaryDomainSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    description_zh = serializers.CharField()
    description_en = serializers.CharField()
    value_count = serializers.IntegerField()
    values = DictionaryCodeValueSerializer(
        many=True, required=False, help_text="absent with ?values=false"
    )


class DictionaryEntitySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    definition_zh = serializers.CharField()
    definition_en = serializers.CharField()
    code_prefix = serializers.CharField()
    code_width = serializers.IntegerField()


class DictionaryDocumentSerializer(serializers.Serializer):
    """The core data-element dictionary (核心数据元字典) as ``export_dictionary --format json``."""

    entities = DictionaryEntitySerializer(many=True)
    elements = DictionaryElementSerializer(many=True)
    domains = DictionaryDomainSerializer(many=True)


class DictionaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "values", bool, description="include value-domain codes (default true)"
            )
        ],
        responses=DictionaryDocumentSerializer,
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
