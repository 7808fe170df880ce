"""REST contract v1 views: parse input, call one service, shape output."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from mdm.access.code_grants import (
    check_readable,
    may_read,
    readable_systems,
    visible_lineage,
    visible_members,
    visible_payload,
)
from mdm.access.permissions import HubReadAccess, SourceRecordAccess, system_of
from mdm.api import serializers as s
from mdm.api.errors import NON_FIELD, error_item, normalize_errors
from mdm.api.filtersets import GoldenFilterSet
from mdm.api.pagination import CheckedCursorPagination
from mdm.api.schema import ENTITY_PATH, ENTITY_SCHEMA
from mdm.documents.services import release_held_documents
from mdm.errors import NotFound, RecordRejected, ServiceError
from mdm.intake.upsert import retire_source_record, upsert_source_record, upsert_source_records
from mdm.models import Event, SourceRecord, SourceSystem, golden_model
from mdm.privacy import audit
from mdm.privacy import policy as privacy
from mdm.records.crosswalk import members_of, resolve_golden, translate_code
from mdm.records.entities import check_entity
from mdm.stewardship.preconditions import golden_etag

ENTITY_PARAM = ENTITY_PATH


def _system(code: str, request=None) -> SourceSystem:
    # A system writing its own records: the one its token was loaded with (no second query).
    own = system_of(request.user) if request is not None else None
    if own is not None and own.code == code:
        return own
    system = SourceSystem.objects.filter(code=code, is_active=True).first()
    if system is None:
        raise NotFound(f"未知源系统 {code}", f"Unknown source system {code}", code="unknown_system")
    return system


def _reason(request) -> str:
    # History keeps at most 100 characters of a change reason.
    return str(request.headers.get("X-Change-Reason", ""))[:100]


UNMASK_PARAMS = [
    OpenApiParameter(
        "unmask",
        bool,
        description="show personal data in clear (needs view_personal_data and X-Access-Reason; "
        "audited) 查看未脱敏个人信息（需权限与理由，记入审计日志）",
    ),
    OpenApiParameter(
        audit.REASON_HEADER,
        str,
        OpenApiParameter.HEADER,
        description="why personal data is unmasked 查看理由",
    ),
]


def unmask_reason(request) -> str | None:
    """The reason of an explicit ``?unmask=true``, or None; the policy refuses callers without
    the right."""
    asked = str(request.query_params.get("unmask", "")).strip().lower() in ("1", "true", "yes")
    return privacy.requested_reason(
        request.user, asked=asked, reason=lambda: audit.access_reason(request)
    )


class SourceRecordView(APIView):
    """Upsert, read or retire one record of a source system."""

    permission_classes = [SourceRecordAccess]

    @extend_schema(
        parameters=[ENTITY_PARAM],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: s.UpsertResultSerializer, 201: s.UpsertResultSerializer},
        description="Upsert one record; attribute keys are dictionary element codes.",
    )
    def put(self, request, system: str, entity: str, local_code: str):
        source = _system(system, request)
        check_entity(entity)
        if not isinstance(request.data, dict):
            raise RecordRejected(
                {
                    "non_field_errors": [
                        {
                            "code": "invalid_json",
                            "message": "请求体必须是 JSON 对象 / Body must be a JSON object",
                        }
                    ]
                }
            )
        result = upsert_source_record(
            system=source,
            entity=entity,
            local_code=local_code,
            payload=request.data,
            actor=request.user,
            reason=_reason(request),
        )
        if result.created or result.changed:
            # A new code may be the mapping a held business document waits for.
            release_held_documents(system=source)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(s.UpsertResultSerializer.from_result(result), status=code)

    @extend_schema(
        parameters=[ENTITY_PARAM, *UNMASK_PARAMS],
        responses=s.SourceRecordSerializer,
        description="Personal values are masked, except for the source system that sent the "
        "record, and for callers with view_personal_data who ask with ?unmask=true and a reason "
        "(each such read is written to the audit log).",
    )
    def get(self, request, system: str, entity: str, local_code: str):
        check_entity(entity)
        record = (
            SourceRecord.objects.select_related("system")
            .filter(system__code=system, entity=entity, local_code=local_code)
            .first()
        )
        if record is None:
            raise NotFound("源记录不存在", "Source record not found")
        data = s.SourceRecordSerializer(record).data
        own = system_of(request.user)
        # A system reads back what it sent, in clear (still an audited read).
        own_record = own is not None and own.pk == record.system_id
        shown = privacy.disclose(
            user=request.user,
            entity=entity,
            record=f"{record.system.code}:{record.local_code}",
            values={
                "raw": record.raw,
                "attributes": record.attributes,
                "warnings": data["warnings"],
            },
            own_record=own_record,
            reason=None if own_record else unmask_reason(request),
            channel=audit.API,
            request=request,
        )
        data.update(shown.values)
        return Response(data)

    @extend_schema(parameters=[ENTITY_PARAM], responses={204: None})
    def delete(self, request, system: str, entity: str, local_code: str):
        retire_source_record(
            system=_system(system, request),
            entity=entity,
            local_code=local_code,
            actor=request.user,
            reason=_reason(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class BulkUpsertView(APIView):
    """Upsert up to 1,000 records; each item is its own transaction and gets its own result."""

    permission_classes = [SourceRecordAccess]

    @extend_schema(
        parameters=[ENTITY_PARAM],
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses=s.BulkResultSerializer,
    )
    def post(self, request, system: str, entity: str):
        source = _system(system, request)
        check_entity(entity)
        items = request.data
        if not isinstance(items, list):
            raise ValidationError(
                {"non_field_errors": ["请求体必须是数组 / Body must be a JSON array"]}
            )
        if len(items) > settings.MDM_BULK_MAX_ITEMS:
            raise ServiceError(
                f"一次最多 {settings.MDM_BULK_MAX_ITEMS} 条记录",
                f"At most {settings.MDM_BULK_MAX_ITEMS} records per request",
                code="too_many_items",
            )
        results: list[dict[str, Any]] = [{}] * len(items)
        batch: list[tuple[int, str, dict]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("local_code"), str | int):
                results[index] = {
                    "local_code": None,
                    "status": 400,
                    "errors": {
                        "local_code": [
                            error_item("required", "缺少 local_code / local_code is required")
                        ]
                    },
                }
                continue
            payload = {k: v for k, v in item.items() if k != "local_code"}
            batch.append((index, str(item["local_code"]), payload))
        outcomes = upsert_source_records(
            system=source,
            entity=entity,
            items=[(code, payload) for _, code, payload in batch],
            actor=request.user,
            reason=_reason(request),
        )
        for (index, local_code, _), outcome in zip(batch, outcomes, strict=True):
            results[index] = _bulk_item(local_code, outcome)
        stored = sum(1 for r in results if r["status"] < 400)
        if stored:
            release_held_documents(system=source)
        return Response(
            {"results": results, "stored": stored, "rejected": len(items) - stored},
            status=status.HTTP_200_OK,
        )


def _bulk_item(local_code: str, outcome) -> dict:
    if isinstance(outcome, RecordRejected):
        return {"local_code": local_code, "status": 400, "errors": normalize_errors(outcome.errors)}
    if isinstance(outcome, ServiceError):
        item = error_item(outcome.code, outcome.message_zh, outcome.message_en)
        return {
            "local_code": local_code,
            "status": outcome.status,
            "errors": {NON_FIELD: [item]},
        }
    return {
        "local_code": local_code,
        "status": 201 if outcome.created else 200,
        **s.UpsertResultSerializer.from_result(outcome),
    }


class CrosswalkView(APIView):
    """Translate a system's local code to the golden code and the other systems' codes."""

    permission_classes = [HubReadAccess]

    @extend_schema(
        parameters=[
            ENTITY_PARAM,
            OpenApiParameter("to", str, description="narrow members to one system"),
        ],
        responses=s.CrosswalkSerializer,
    )
    def get(self, request, entity: str, system: str, local_code: str):
        to_system = request.query_params.get("to") or None
        # Another system's codes, as the key or as the answer, only where granted (403).
        readable = readable_systems(system_of(request.user))
        # An unknown target is the caller's mistake, not an empty member list (a system the
        # caller may read exists: no query for the usual look-up).
        if (
            to_system is not None
            and not (readable is not None and to_system in readable)
            and not SourceSystem.objects.filter(code=to_system).exists()
        ):
            raise ValidationError(
                {"to": [f"未知源系统 {to_system} / Unknown source system {to_system}"]}
            )
        if not may_read(readable, system):
            if not SourceSystem.objects.filter(code=system).exists():
                raise NotFound(
                    f"未知源系统 {system}", f"Unknown source system {system}", code="unknown_system"
                )
            check_readable(readable, system)
        if to_system is not None:
            check_readable(readable, to_system)
        entry = translate_code(
            entity=entity, system_code=system, local_code=local_code, to_system=to_system
        )
        return Response(
            {"golden_code": entry.golden_code, "members": visible_members(entry.members, readable)}
        )


class GoldenPagination(CheckedCursorPagination):
    ordering = "pk"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class GoldenListView(generics.ListAPIView):
    """List and search golden records of an entity, paginated by a cursor."""

    permission_classes = [HubReadAccess]
    serializer_class = s.GoldenSummarySerializer
    filterset_class = GoldenFilterSet
    pagination_class = GoldenPagination

    def get_queryset(self):
        entity = self.kwargs.get("entity", "customers")
        if getattr(self, "swagger_fake_view", False):
            return golden_model("customers").objects.none()
        check_entity(entity)
        return golden_model(entity).objects.all()

    @extend_schema(parameters=[ENTITY_PARAM])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class GoldenDetailView(APIView):
    """A golden record with lineage and members; a merged code answers with its survivor."""

    permission_classes = [HubReadAccess]

    @extend_schema(
        parameters=[ENTITY_PARAM, *UNMASK_PARAMS],
        responses=s.GoldenDetailSerializer,
        description="Personal values are masked unless a caller with view_personal_data asks "
        "with ?unmask=true and a reason (written to the audit log).",
    )
    def get(self, request, entity: str, code: str):
        record, survivor = resolve_golden(entity, code)
        readable = readable_systems(system_of(request.user))
        attributes = survivor.attributes()
        attributes = privacy.disclose(
            user=request.user,
            entity=entity,
            record=survivor.code,
            values={"attributes": attributes},
            reason=unmask_reason(request),
            channel=audit.API,
            request=request,
        )["attributes"]
        # Through the serializer: its date-times in the hub's time zone, like every reply.
        detail = s.GoldenDetailSerializer(
            {
                "golden_code": survivor.code,
                "requested_code": record.code,
                "merged_into": survivor.code if survivor.pk != record.pk else None,
                "entity": entity,
                "status": survivor.status,
                "attributes": attributes,
                "lineage": visible_lineage(survivor.lineage, readable),
                "members": visible_members(members_of(survivor.code), readable),
                "created_at": survivor.created_at,
                "updated_at": survivor.updated_at,
            }
        )
        response = Response(detail.data)
        # The version a steward's conditional write names in If-Match (the survivor's).
        response["ETag"] = golden_etag(survivor)
        return response


class EventFeedView(APIView):
    """The change feed, oldest first, paged by sequence: resume with ``after`` = last ``seq``."""

    permission_classes = [HubReadAccess]
    max_limit = 1000

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="last sequence already read (default 0)"),
            OpenApiParameter("entity", ENTITY_SCHEMA),
            OpenApiParameter("limit", int, description="page size, at most 1000 (default 100)"),
        ],
        responses=s.EventPageSerializer,
    )
    def get(self, request):
        try:
            after = int(request.query_params.get("after", 0))
            limit = min(max(int(request.query_params.get("limit", 100)), 1), self.max_limit)
        except ValueError as exc:
            raise ValidationError({"after": ["必须是整数 / Must be an integer"]}) from exc
        events = Event.objects.filter(seq__gt=after).order_by("seq")
        entity = request.query_params.get("entity")
        if entity:
            check_entity(entity)
            events = events.filter(entity=entity)
        system = system_of(request.user)
        readable = readable_systems(system)
        if system is not None:
            # A system follows only the entities it is granted.
            if entity and not system.is_granted(entity):
                raise PermissionDenied(HubReadAccess.message)
            events = events.filter(entity__in=system.granted_entities or [])
        page = list(events[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
        for event in page:
            # Stored masked; masking again is a no-op that guards rows written before that.
            event.payload = visible_payload(
                privacy.shown_event_payload(event.entity, event.payload), readable
            )
        return Response(
            {
                "events": s.EventSerializer(page, many=True).data,
                "next_after": page[-1].seq if page else after,
                "has_more": has_more,
            }
        )
