"""REST endpoints for stewards' tools: merge, unmerge, candidates and decisions, locks, retire.

Same permissions as in admin: stewards and admins (model change rights), never source systems.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.access.permissions import system_of
from mdm.api.pagination import CheckedCursorPagination
from mdm.api.schema import ENTITY_PATH, ENTITY_SCHEMA
from mdm.api.serializers import LineageSerializer, LockedValueSerializer
from mdm.linking.review import QUEUE_ORDERING
from mdm.privacy import policy as privacy
from mdm.records.entities import check_entity
from mdm.records.models.golden import GoldenStatusChoices
from mdm.stewardship import actions as stewardship
from mdm.stewardship.unmerge import unmerge_source_record


class StewardAccess(permissions.BasePermission):
    """Reading the queue needs view rights; every action needs change rights on golden records."""

    message = "仅数据管理员可执行 / Stewards only"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or system_of(user) is not None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm("matching.view_matchcandidate") or user.has_perm(
                "mdm.view_sourcerecord"
            )
        return user.has_perm("mdm.change_customer")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=stewardship.MAX_REASON)


class MergeSerializer(ReasonSerializer):
    other = serializers.CharField(max_length=20)


class LockSerializer(ReasonSerializer):
    attribute = serializers.CharField(max_length=50)
    value = serializers.JSONField()


class UnlockSerializer(ReasonSerializer):
    attribute = serializers.CharField(max_length=50)


class DecisionSerializer(ReasonSerializer):
    decision = serializers.ChoiceField(choices=["accept", "reject"])


def _golden_body(golden) -> dict:
    """A golden record as a steward's tool sees it: personal values masked."""
    entity = golden.ENTITY
    attributes = golden.attributes()
    person = privacy.is_person(entity, attributes)
    return {
        "golden_code": golden.code,
        "status": golden.status,
        "attributes": privacy.shown_attributes(entity, attributes, person=person),
        "lineage": golden.lineage,
        "locked": privacy.shown_field(entity, "locked", golden.locked, person=person),
    }


GOLDEN_RESPONSE = inline_serializer(
    "StewardGoldenResponse",
    {
        "golden_code": serializers.CharField(),
        "status": serializers.ChoiceField(choices=GoldenStatusChoices.choices),
        "attributes": serializers.DictField(child=serializers.CharField()),
        "lineage": serializers.DictField(child=LineageSerializer()),
        "locked": serializers.DictField(child=LockedValueSerializer()),
    },
)


class CandidateSideSerializer(serializers.Serializer):
    """One side of a candidate pair: the source record, personal values masked."""

    system = serializers.CharField()
    local_code = serializers.CharField()
    golden_code = serializers.CharField()
    attributes = serializers.DictField(child=serializers.CharField())


class _Action(APIView):
    permission_classes = [StewardAccess]
    serializer_class = ReasonSerializer

    def payload(self, request) -> dict:
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class MergeView(_Action):
    serializer_class = MergeSerializer

    @extend_schema(parameters=[ENTITY_PATH], request=MergeSerializer, responses=GOLDEN_RESPONSE)
    def post(self, request, entity: str, code: str):
        check_entity(entity)
        data = self.payload(request)
        golden = stewardship.merge_by_steward(
            entity=entity,
            survivor_code=code,
            other_code=data["other"],
            actor=request.user,
            reason=data["reason"],
        )
        return Response(_golden_body(golden))


class UnmergeView(_Action):
    @extend_schema(parameters=[ENTITY_PATH], request=ReasonSerializer, responses=GOLDEN_RESPONSE)
    def post(self, request, system: str, entity: str, local_code: str):
        check_entity(entity)
        data = self.payload(request)
        golden = unmerge_source_record(
            entity=entity,
            system_code=system,
            local_code=local_code,
            actor=request.user,
            reason=data["reason"],
        )
        return Response(_golden_body(golden))


class LockView(_Action):
    serializer_class = LockSerializer

    @extend_schema(parameters=[ENTITY_PATH], request=LockSerializer, responses=GOLDEN_RESPONSE)
    def post(self, request, entity: str, code: str):
        check_entity(entity)
        data = self.payload(request)
        golden = stewardship.lock_attribute(
            entity=entity,
            code=code,
            attribute=data["attribute"],
            value=data["value"],
            actor=request.user,
            reason=data["reason"],
        )
        return Response(_golden_body(golden))


class UnlockView(_Action):
    serializer_class = UnlockSerializer

    @extend_schema(parameters=[ENTITY_PATH], request=UnlockSerializer, responses=GOLDEN_RESPONSE)
    def post(self, request, entity: str, code: str):
        check_entity(entity)
        data = self.payload(request)
        golden = stewardship.unlock_attribute(
            entity=entity,
            code=code,
            attribute=data["attribute"],
            actor=request.user,
            reason=data["reason"],
        )
        return Response(_golden_body(golden))


class RetireView(_Action):
    @extend_schema(parameters=[ENTITY_PATH], request=ReasonSerializer, responses=GOLDEN_RESPONSE)
    def post(self, request, entity: str, code: str):
        check_entity(entity)
        data = self.payload(request)
        golden = stewardship.retire_golden(
            entity=entity, code=code, actor=request.user, reason=data["reason"]
        )
        return Response(_golden_body(golden))


@extend_schema_field(
    {
        "type": "array",
        "description": "per-field comparison: the compared values (personal ones masked), "
        "their agreement and its weight",
        "items": {
            "type": "object",
            "properties": {"field": {"type": "string"}},
            "additionalProperties": True,
        },
    }
)
class ExplanationField(serializers.JSONField):
    """The stored per-field explanation of a score."""


class CandidateSerializer(serializers.ModelSerializer):
    left = serializers.SerializerMethodField()
    right = serializers.SerializerMethodField()
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    explanation = ExplanationField(read_only=True)

    class Meta:
        model = MatchCandidate
        fields = [
            "id",
            "entity",
            "score",
            "status",
            "origin",
            "left",
            "right",
            "explanation",
            "decided_by",
            "decided_at",
            "reason",
            "created_at",
        ]

    def _side(self, record) -> dict:
        return {
            "system": record.system.code,
            "local_code": record.local_code,
            "golden_code": record.golden_code,
            "attributes": privacy.shown_attributes(record.entity, record.attributes),
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Scores explain themselves with the compared values: personal ones are masked.
        data["explanation"] = privacy.shown_field(
            instance.entity, "explanation", data["explanation"] or [], person=True
        )
        return data

    @extend_schema_field(CandidateSideSerializer)
    def get_left(self, obj) -> dict:
        return self._side(obj.left)

    @extend_schema_field(CandidateSideSerializer)
    def get_right(self, obj) -> dict:
        return self._side(obj.right)


class CandidateDecisionResultSerializer(CandidateSerializer):
    """A decided candidate with the ids of its siblings, decided with it."""

    siblings_decided = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta(CandidateSerializer.Meta):
        fields = [*CandidateSerializer.Meta.fields, "siblings_decided"]


class CandidatePagination(CheckedCursorPagination):
    # The queue's order (mdm.linking.review.QUEUE_ORDERING), by field name for the cursor.
    ordering = tuple("id" if field == "pk" else field for field in QUEUE_ORDERING)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CandidateListView(generics.ListAPIView):
    """The review queue, most likely duplicates first (the probability after the hard rules);
    filters: entity, status, min_score, max_score, system."""

    permission_classes = [StewardAccess]
    serializer_class = CandidateSerializer
    pagination_class = CandidatePagination
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("entity", ENTITY_SCHEMA),
            OpenApiParameter(
                "status",
                str,
                enum=[*MatchCandidateStatusChoices.values, "all"],
                description="default pending; all = every status",
            ),
            OpenApiParameter("min_score", float),
            OpenApiParameter("max_score", float),
            OpenApiParameter("system", str, description="either side comes from this system"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        queryset = MatchCandidate.objects.select_related(
            "left__system", "right__system", "decided_by"
        )
        wanted = params.get("status") or MatchCandidateStatusChoices.PENDING
        if wanted != "all":
            if wanted not in MatchCandidateStatusChoices.values:
                choices = ", ".join([*MatchCandidateStatusChoices.values, "all"])
                raise serializers.ValidationError(
                    {
                        "status": [
                            f"未知状态 {wanted}，可选 {choices} / Unknown status {wanted}, "
                            f"one of {choices}"
                        ]
                    }
                )
            queryset = queryset.filter(status=wanted)
        if params.get("entity"):
            check_entity(params["entity"])
            queryset = queryset.filter(entity=params["entity"])
        try:
            if params.get("min_score"):
                queryset = queryset.filter(score__gte=float(params["min_score"]))
            if params.get("max_score"):
                queryset = queryset.filter(score__lt=float(params["max_score"]))
        except ValueError as exc:
            raise serializers.ValidationError(
                {"min_score": ["必须是数字 / Must be a number"]}
            ) from exc
        if params.get("system"):
            from django.db.models import Q

            queryset = queryset.filter(
                Q(left__system__code=params["system"]) | Q(right__system__code=params["system"])
            )
        return queryset


class CandidateDecisionView(_Action):
    serializer_class = DecisionSerializer

    @extend_schema(request=DecisionSerializer, responses=CandidateDecisionResultSerializer)
    def post(self, request, candidate_id: int):
        data = self.payload(request)
        candidate = stewardship.decide_candidate(
            candidate_id=candidate_id,
            accept=data["decision"] == "accept",
            actor=request.user,
            reason=data["reason"],
        )
        siblings = candidate.siblings
        candidate = MatchCandidate.objects.select_related(
            "left__system", "right__system", "decided_by"
        ).get(pk=candidate.pk)
        # The siblings (other pending pairs between the same two golden records) were decided
        # with it: the caller's copy of the queue drops them too.
        candidate.siblings_decided = siblings
        return Response(
            CandidateDecisionResultSerializer(candidate).data, status=status.HTTP_200_OK
        )
