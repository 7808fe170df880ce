"""Output shapes of the REST contract (v1). Serializers shape data; services do the work."""

from __future__ import annotations

from rest_framework import serializers

from dictionary.services import personal_elements
from mdm.intake.upsert import UpsertResult
from mdm.models import GoldenRecord, SourceRecord
from mdm.privacy.masking import mask_attributes


class ProblemSerializer(serializers.Serializer):
    field = serializers.CharField(required=False)
    code = serializers.CharField()
    message = serializers.CharField()


class UpsertResultSerializer(serializers.Serializer):
    golden_code = serializers.CharField()
    link = serializers.ChoiceField(choices=["auto", "review", "new", "steward"])
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


class BulkItemResultSerializer(serializers.Serializer):
    local_code = serializers.CharField(allow_null=True)
    status = serializers.IntegerField()
    golden_code = serializers.CharField(required=False)
    link = serializers.CharField(required=False)
    changed = serializers.BooleanField(required=False)
    warnings = ProblemSerializer(many=True, required=False)
    errors = serializers.DictField(required=False)


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True)
    stored = serializers.IntegerField()
    rejected = serializers.IntegerField()


class SourceRecordSerializer(serializers.ModelSerializer):
    system = serializers.CharField(source="system.code")
    link = serializers.CharField(source="link_kind")
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
    status = serializers.CharField()
    name = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def _masked(self, obj: GoldenRecord) -> dict:
        cache = self.context.setdefault("masked", {})
        if obj.pk not in cache:
            personal = self.context.setdefault("personal", {})
            if obj.ENTITY not in personal:
                personal[obj.ENTITY] = personal_elements(obj.ENTITY)
            cache[obj.pk] = mask_attributes(
                obj.ENTITY, obj.attributes(), personal=personal[obj.ENTITY]
            )
        return cache[obj.pk]

    def get_name(self, obj: GoldenRecord) -> str:
        return self._masked(obj).get("name", "")

    def get_attributes(self, obj: GoldenRecord) -> dict:
        return self._masked(obj)


class GoldenDetailSerializer(serializers.Serializer):
    golden_code = serializers.CharField()
    requested_code = serializers.CharField()
    merged_into = serializers.CharField(allow_null=True)
    entity = serializers.CharField()
    status = serializers.CharField()
    attributes = serializers.DictField()
    lineage = serializers.DictField()
    members = MemberSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    entity = serializers.CharField()
    golden_code = serializers.CharField()
    kind = serializers.CharField()
    payload = serializers.DictField()
    created_at = serializers.DateTimeField()


class EventPageSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next_after = serializers.IntegerField()
    has_more = serializers.BooleanField()
