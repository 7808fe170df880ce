"""REST for business documents (DESIGN.md "Business documents (v1)"): parse, call one service,
shape. The caller is a source system (its token); stewards read documents in the admin."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from mdm.access.code_grants import Readable, readable_systems
from mdm.access.permissions import system_of
from mdm.api.errors import NON_FIELD, error_item, normalize_errors
from mdm.documents import batch, services
from mdm.documents import status as status_back
from mdm.documents.models import Document, DocumentDelivery, InboxItem
from mdm.documents.schema import (
    AcknowledgementSerializer,
    BulkDocumentsRequestSerializer,
    BulkDocumentsResultSerializer,
    DeliverySerializer,
    DocumentReplySerializer,
    DocumentStateSerializer,
    InboxPageSerializer,
    StatusChangeSerializer,
)
from mdm.errors import NotFound, RecordRejected
from mdm.models import SourceSystem
from mdm.privacy.policy import redact_text


class IsSourceSystem(permissions.BasePermission):
    """Documents are exchanged by source systems, each with its own token."""

    message = "只有源系统可以收发单据 / Only source systems exchange documents"

    def has_permission(self, request, view) -> bool:
        return system_of(request.user) is not None


def _caller(request) -> SourceSystem:
    system = system_of(request.user)
    assert system is not None  # IsSourceSystem
    return system


def _sender(code: str) -> SourceSystem:
    system = SourceSystem.objects.filter(code=code).first()
    if system is None:
        raise NotFound(f"未知源系统 {code}", f"Unknown source system {code}", code="unknown_system")
    return system


def delivery_json(delivery: DocumentDelivery, readable: Readable = None) -> dict:
    return {
        "state": delivery.state,
        "revision": delivery.revision,
        "document": services.translated_as_seen(delivery, readable),
        "missing": delivery.missing,
        "receiver_doc_id": delivery.receiver_doc_id,
    }


def document_json(
    document: Document,
    deliveries: list[DocumentDelivery],
    *,
    full: bool,
    readable: Readable = None,
) -> dict:
    body = {
        "type": document.type.code,
        "sender": document.sender.code,
        "doc_id": document.doc_id,
        "state": document.state,
        "revision": document.revision,
        "receivers": {d.receiver.code: delivery_json(d, readable) for d in deliveries},
    }
    if full:
        body["document"] = document.payload
        body["timeline"] = [
            {
                "state": step.state,
                "detail": redact_text(step.detail),
                "by": step.by.code if step.by else None,
                "at": step.at.isoformat(),
            }
            for step in document.timeline.select_related("by")
        ]
    return body


def inbox_json(item: InboxItem) -> dict:
    return item.as_body()


class DocumentView(APIView):
    permission_classes = [IsSourceSystem]

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: DocumentReplySerializer, 201: DocumentReplySerializer},
        description="The sender's document in its own codes; relayed to each receiver in its "
        "codes, or held with the missing reference named.",
    )
    def put(self, request, system: str, type: str, doc_id: str):
        caller = _caller(request)
        _sender(system)
        if caller.code != system:
            raise services.Forbidden(
                "只能发送本系统的单据",
                f"{caller.code} may only send its own documents",
                code="not_your_document",
            )
        receipt = services.receive_document(
            sender=caller, type_code=type, doc_id=doc_id, payload=request.data
        )
        return Response(
            document_json(
                receipt.document,
                receipt.deliveries,
                full=False,
                readable=readable_systems(caller),
            ),
            status=status.HTTP_201_CREATED if receipt.created else status.HTTP_200_OK,
        )

    @extend_schema(responses={200: DocumentReplySerializer})
    def get(self, request, system: str, type: str, doc_id: str):
        caller = _caller(request)
        document = services.find_document(sender_code=system, type_code=type, doc_id=doc_id)
        if not services.can_read(caller, document):
            raise services.Forbidden(
                "无权读取该单据", f"{caller.code} neither sent nor receives {document}"
            )
        deliveries = services.deliveries_of(document)
        if caller.pk != document.sender_id:
            deliveries = [d for d in deliveries if d.receiver_id == caller.pk]
        return Response(
            document_json(
                document,
                deliveries,
                full=caller.pk == document.sender_id,
                readable=readable_systems(caller),
            )
        )


class DocumentBulkView(APIView):
    permission_classes = [IsSourceSystem]

    @extend_schema(
        request=BulkDocumentsRequestSerializer,
        responses={200: BulkDocumentsResultSerializer},
        description='Up to 1,000 documents [{"doc_id": …, "document": {…}}] in one go; a result '
        "per item (state and revision, or its errors); invalid items reported, the others "
        "stored and relayed as by PUT.",
    )
    def post(self, request, system: str, type: str):
        caller = _caller(request)
        _sender(system)
        if caller.code != system:
            raise services.Forbidden(
                "只能发送本系统的单据",
                f"{caller.code} may only send its own documents",
                code="not_your_document",
            )
        outcomes = batch.receive_documents(sender=caller, type_code=type, items=request.data)
        results: list[dict[str, Any]] = []
        for outcome in outcomes:
            if outcome.error is not None:
                exc = outcome.error
                errors = (
                    normalize_errors(exc.errors)
                    if isinstance(exc, RecordRejected)
                    else {NON_FIELD: [error_item(exc.code, exc.message_zh, exc.message_en)]}
                )
                results.append({"doc_id": outcome.doc_id, "errors": errors})
                continue
            assert outcome.document is not None
            results.append(
                {
                    "doc_id": outcome.doc_id,
                    "state": outcome.document.state,
                    "revision": outcome.document.revision,
                    "created": outcome.created,
                    "changed": outcome.changed,
                }
            )
        return Response({"results": results})


class DocumentAckView(APIView):
    permission_classes = [IsSourceSystem]

    @extend_schema(
        request=AcknowledgementSerializer,
        responses={200: DeliverySerializer},
        description="A receiver confirms the document, optionally with its own number (doc_id).",
    )
    def post(self, request, system: str, type: str, doc_id: str):
        document = services.find_document(sender_code=system, type_code=type, doc_id=doc_id)
        data = request.data if isinstance(request.data, dict) else {}
        delivery = status_back.acknowledge_document(
            caller=_caller(request),
            document=document,
            receiver_doc_id=str(data.get("doc_id") or data.get("receiver_doc_id") or ""),
        )
        return Response(delivery_json(delivery))


class DocumentStatusView(APIView):
    permission_classes = [IsSourceSystem]

    @extend_schema(
        request=StatusChangeSerializer,
        responses={200: DocumentStateSerializer},
        description='A state change {"state": …, "detail": …}, relayed to the other side.',
    )
    def post(self, request, system: str, type: str, doc_id: str):
        document = services.find_document(sender_code=system, type_code=type, doc_id=doc_id)
        data = request.data if isinstance(request.data, dict) else {}
        state = data.get("state")
        if not isinstance(state, str) or not state:
            raise RecordRejected({"state": [{"code": "required", "message": "state is required"}]})
        document, _ = status_back.post_document_status(
            caller=_caller(request),
            document=document,
            state=state,
            detail=str(data.get("detail") or ""),
            receiver_doc_id=str(data.get("doc_id") or ""),
        )
        return Response({"state": document.state, "revision": document.revision})


class InboxView(APIView):
    permission_classes = [IsSourceSystem]

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="the last seq read (0: from the start)"),
            OpenApiParameter("type", str, description="only this document type"),
            OpenApiParameter("limit", int, description="at most this many items (100)"),
        ],
        responses={200: InboxPageSerializer},
    )
    def get(self, request):
        try:
            after = int(request.query_params.get("after", 0))
            limit = int(request.query_params.get("limit", 100))
        except ValueError:
            raise RecordRejected(
                {"after": [{"code": "invalid", "message": "after and limit are integers"}]}
            ) from None
        if after < 0 or limit < 1:
            raise RecordRejected(
                {"after": [{"code": "invalid", "message": "after >= 0 and limit >= 1"}]}
            )
        items = services.inbox(
            _caller(request),
            after=after,
            type_code=request.query_params.get("type", ""),
            limit=limit,
        )
        return Response(
            {
                "results": [inbox_json(item) for item in items],
                "last_seq": items[-1].seq if items else after,
            }
        )
