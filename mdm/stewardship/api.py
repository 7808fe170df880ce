"""REST endpoints for stewards' tools: merge, unmerge, candidates and decisions, locks, retire.

Same permissions as in admin: stewards and admins (model change rights), never source systems.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
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
from mdm.stewardship.preconditions import golden_etag, golden_precondition
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


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "number"}],
        "description": "the value as a source would send it; checked against its element",
    }
)
class LockValueField(serializers.JSONField):
    """A value as sources send it: text, or a number for a numeric element."""


class LockSerializer(ReasonSerializer):
    attribute = serializers.CharField(max_length=50)
    value = LockValueField()


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


#: ``If-Match`` on the steward writes of a golden record (``mdm.stewardship.preconditions``).
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the golden record as read (GET golden/{entity}/{code}); a record "
    "changed since answers 412. Required (428 without it) when the hub sets "
    "MDM_API_REQUIRE_IF_MATCH.",
)


def _versioned(golden) -> Response:
    """The record after the write, with its new ETag for the next conditional write."""
    response = Response(_golden_body(golden))
    response["ETag"] = golden_etag(golden)
    return response


class _Action(APIView):
    permission_classes = [StewardAccess]
    serializer_class = ReasonSerializer

    def payload(self, request) -> dict:
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# A steward's write on one golden record: the entity checked, the body validated, the write
# run under the record's If-Match precondition, the record answered with its new ETag.
# Subclasses say what the write is (``write``) and declare its schema. (Comments, not
# docstrings: a view's docstring becomes its operation's description in the schema.)
class _GoldenWrite(_Action):
    def post(self, request, entity: str, code: str):
        check_entity(entity)
        data = self.payload(request)
        with golden_precondition(entity, code, request.headers.get("If-Match")):
            golden = self.write(entity, code, data, request.user)
        return _versioned(golden)

    def write(self, entity: str, code: str, data: dict, actor):
        raise NotImplementedError


def _golden_write_schema(request) -> Any:
    return extend_schema_view(
        post=extend_schema(
            parameters=[ENTITY_PATH, IF_MATCH], request=request, responses=GOLDEN_RESPONSE
        )
    )


@_golden_write_schema(MergeSerializer)
class MergeView(_GoldenWrite):
    # If-Match names the survivor's version; the other record is read under its own lock.
    serializer_class = MergeSerializer

    def write(self, entity, code, data, actor):
        return stewardship.merge_by_steward(
            entity=entity,
            survivor_code=code,
            other_code=data["other"],
            actor=actor,
            reason=data["reason"],
        )


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


@_golden_write_schema(LockSerializer)
class LockView(_GoldenWrite):
    serializer_class = LockSerializer

    def write(self, entity, code, data, actor):
        return stewardship.lock_attribute(
            entity=entity,
            code=code,
            attribute=data["attribute"],
            value=data["value"],
            actor=actor,
            reason=data["reason"],
        )


@_golden_write_schema(UnlockSerializer)
class UnlockView(_GoldenWrite):
    serializer_class = UnlockSerializer

    def write(self, entity, code, data, actor):
        return stewardship.unlock_attribute(
            entity=entity,
            code=code,
            attribute=data["attribute"],
            actor=actor,
            reason=data["reason"],
        )


@_golden_write_schema(ReasonSerializer)
class RetireView(_GoldenWrite):
    def write(self, entity, code, data, actor):
        return stewardship.retire_golden(
            entity=entity, code=code, actor=actor, reason=data["reason"]
        )


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
        # A parameter that is present is checked, even empty: "?entity=" is no entity.
        wanted = params.get("status", MatchCandidateStatusChoices.PENDING)
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
        if "entity" in params:
            check_entity(params["entity"])
            queryset = queryset.filter(entity=params["entity"])
        if "min_score" in params:
            queryset = queryset.filter(score__gte=_score(params, "min_score"))
        if "max_score" in params:
            queryset = queryset.filter(score__lt=_score(params, "max_score"))
        if params.get("system"):
            queryset = queryset.filter(
                Q(left__system__code=params["system"]) | Q(right__system__code=params["system"])
            )
        return queryset


def _score(params, name: str) -> float:
    try:
        value = float(params[name])
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise serializers.ValidationError({name: ["必须是数字 / Must be a number"]})
    return value


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
