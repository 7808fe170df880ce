"""Output shapes of the REST contract (v1). Serializers shape data; services do the work."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dictionary.models import EntityChoices
from dictionary.services import personal_elements
from mdm.feed.models.events import EventKindChoices
from mdm.intake.steps import UpsertResult
from mdm.models import GoldenRecord, SourceRecord
from mdm.privacy import policy as privacy
from mdm.records.models.golden import GoldenStatusChoices
from mdm.records.models.sources import SourceRecordLinkChoices

ERROR_ITEM_REF = "#/components/schemas/ErrorItem"


class ProblemSerializer(serializers.Serializer):
    """A warning: the element it concerns and the problem, in both languages."""

    field = serializers.CharField(required=False)
    code = serializers.CharField()
    message = serializers.CharField()
    message_zh = serializers.CharField(required=False)
    message_en = serializers.CharField(required=False)


#: One enum (``LinkEnum``) wherever a link kind is answered.
LINK_CHOICES = SourceRecordLinkChoices.choices


class UpsertResultSerializer(serializers.Serializer):
    golden_code = serializers.CharField()
    link = serializers.ChoiceField(choices=LINK_CHOICES)
    changed = serializers.BooleanField()
    created = serializers.BooleanField()
    score = serializers.FloatField(allow_null=True)
    warnings = ProblemSerializer(many=True)

    @staticmethod
    def from_result(result: UpsertResult) -> dict:
        return {
            "golden_code": result.golden_code,
            "link": result.link,
            "changed": result.changed,
            "created": result.created,
            "score": result.score,
            "warnings": result.warnings,
        }


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"$ref": ERROR_ITEM_REF}},
        "description": "element code (or non_field_errors) -> its errors",
    }
)
class FieldErrorsField(serializers.DictField):
    """Errors keyed by element code (or ``non_field_errors``)."""


class BulkItemResultSerializer(serializers.Serializer):
    local_code = serializers.CharField(allow_null=True)
    status = serializers.IntegerField()
    golden_code = serializers.CharField(required=False)
    link = serializers.ChoiceField(choices=LINK_CHOICES, required=False)
    changed = serializers.BooleanField(required=False)
    created = serializers.BooleanField(required=False)
    score = serializers.FloatField(allow_null=True, required=False)
    warnings = ProblemSerializer(many=True, required=False)
    # DRF's metaclass moves declared fields out of the class: the errors property stays.
    errors = FieldErrorsField(required=False)  # type: ignore[assignment]


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True)
    stored = serializers.IntegerField()
    rejected = serializers.IntegerField()


class SourceRecordSerializer(serializers.ModelSerializer):
    system = serializers.CharField(source="system.code")
    raw = serializers.DictField(help_text="the payload as received 原始数据")
    attributes = serializers.DictField(
        child=serializers.CharField(), help_text="standardized values 标准化属性"
    )
    flagged = serializers.ListField(
        child=serializers.CharField(), help_text="elements kept as received but flagged invalid"
    )
    warnings = ProblemSerializer(many=True)
    link = serializers.ChoiceField(source="link_kind", choices=LINK_CHOICES)
    score = serializers.FloatField(source="link_score", allow_null=True)

    class Meta:
        model = SourceRecord
        fields = [
            "system",
            "entity",
            "local_code",
            "raw",
            "attributes",
            "flagged",
            "warnings",
            "golden_code",
            "link",
            "score",
            "is_active",
            "created_at",
            "updated_at",
        ]


class MemberSerializer(serializers.Serializer):
    system = serializers.CharField()
    local_code = serializers.CharField()


class CrosswalkSerializer(serializers.Serializer):
    golden_code = serializers.CharField()
    members = MemberSerializer(many=True)


class GoldenSummarySerializer(serializers.Serializer):
    """A golden record in a list: personal values always masked (unmask one in the detail)."""

    golden_code = serializers.CharField(source="code")
    status = serializers.ChoiceField(choices=GoldenStatusChoices.choices)
    name = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def _masked(self, obj: GoldenRecord) -> dict:
        # The context is the dict the view passed in; DRF's stub declares a read-only Mapping.
        cache = self.context.setdefault("masked", {})  # type: ignore[attr-defined]
        if obj.pk not in cache:
            personal = self.context.setdefault("personal", {})  # type: ignore[attr-defined]
            if obj.ENTITY not in personal:
                personal[obj.ENTITY] = personal_elements(obj.ENTITY)
            cache[obj.pk] = privacy.shown_attributes(
                obj.ENTITY, obj.attributes(), personal=personal[obj.ENTITY]
            )
        return cache[obj.pk]

    def get_name(self, obj: GoldenRecord) -> str:
        return self._masked(obj).get("name", "")

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_attributes(self, obj: GoldenRecord) -> dict:
        return self._masked(obj)


class LineageSerializer(serializers.Serializer):
    """Where a golden value comes from: the rule, and the source record or the steward."""

    rule = serializers.CharField()
    system = serializers.CharField(required=False)
    local_code = serializers.CharField(required=False)
    source_record = serializers.IntegerField(required=False)
    by = serializers.CharField(required=False, help_text="the steward who locked the value")


class LockedValueSerializer(serializers.Serializer):
    """A value a steward locked, by whom, why and when."""

    value = serializers.CharField()
    by = serializers.CharField()
    reason = serializers.CharField(required=False)
    at = serializers.DateTimeField(required=False)


class GoldenDetailSerializer(serializers.Serializer):
    golden_code = serializers.CharField()
    requested_code = serializers.CharField()
    merged_into = serializers.CharField(allow_null=True)
    entity = serializers.ChoiceField(choices=EntityChoices.choices)
    status = serializers.ChoiceField(choices=GoldenStatusChoices.choices)
    attributes = serializers.DictField(child=serializers.CharField())
    lineage = serializers.DictField(child=LineageSerializer())
    members = MemberSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EventPayloadSerializer(serializers.Serializer):
    """What an event says of its golden record; which other parts appear depends on the kind.

    Members of systems the reader may not read are left out (crosswalk grants). Only the
    schema: the feed answers the payload as stored."""

    golden_code = serializers.CharField(
        required=False, help_text="the golden record the event is about (always written)"
    )
    status = serializers.ChoiceField(
        choices=GoldenStatusChoices.choices, required=False, help_text="always written"
    )
    attributes = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="golden values after the change, masked (always written)",
    )
    members = MemberSerializer(
        many=True, required=False, help_text="created/updated/crosswalk: the members now"
    )
    merged_into = serializers.CharField(
        required=False, help_text="merged: the code that survived (old codes resolve to it)"
    )
    unmerged_from = serializers.CharField(
        required=False, help_text="unmerged: the golden record the member left"
    )
    member = MemberSerializer(required=False, help_text="unmerged: the member taken out")
    moved = MemberSerializer(
        many=True, required=False, help_text="unmerged: every member that moved with it"
    )
    reactivated = MemberSerializer(
        many=True, required=False, help_text="members sent again after their system deleted them"
    )


@extend_schema_field(EventPayloadSerializer)
class EventPayloadField(serializers.DictField):
    """The payload as stored (masked, filtered by grants), described by EventPayloadSerializer."""


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    entity = serializers.ChoiceField(choices=EntityChoices.choices)
    golden_code = serializers.CharField()
    kind = serializers.ChoiceField(choices=EventKindChoices.choices)
    payload = EventPayloadField()
    created_at = serializers.DateTimeField()


class EventPageSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next_after = serializers.IntegerField()
    has_more = serializers.BooleanField()
