"""What operators do to a stuck document: release a held one now, or cancel it, each with a
reason recorded on the document's timeline (admin actions call these; dead-lettered webhook
pushes are resent or cancelled in ``mdm.documents.push``)."""

from __future__ import annotations

from django.db import transaction

from mdm.documents.models import CANCELLED, HELD, Document, DocumentDelivery, DocumentStatus
from mdm.documents.services import release_held_documents, to_inbox
from mdm.errors import Conflict, ServiceError
from mdm.privacy.policy import redact_text


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写原因", "A reason is required", code="reason_required")
    return reason[:300]


def release_document(*, document: Document, reason: str, actor: str = "") -> int:
    """An operator retries a held document now; recorded on its timeline with the reason.
    Refused (409, the missing references named) when nothing can go yet."""
    reason = _reason(reason)
    released = release_held_documents(document=document)
    still = list(
        DocumentDelivery.objects.filter(document=document, state=HELD).select_related("receiver")
    )
    if not released and still:
        missing = "; ".join(m.get("reason", "") for d in still for m in d.missing or [])
        raise Conflict(f"仍缺少映射：{missing}", f"Still held: {missing}", code="still_held")
    DocumentStatus.objects.create(
        document=document,
        state=Document.objects.get(pk=document.pk).state,
        detail=f"released {released} by {actor or 'operator'}: {reason}"[:500],
    )
    return released


def cancel_document(*, document: Document, reason: str, actor: str = "") -> Document:
    """An operator cancels a document (held or dead-lettered): both sides hear of it, held
    deliveries never go, and the timeline keeps who and why."""
    reason = _reason(reason)
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .select_related("type", "sender")
            .get(pk=document.pk)
        )
        if document.state == CANCELLED:
            raise Conflict("单据已取消", f"{document} is cancelled", code="document_cancelled")
        document.state = CANCELLED
        document.save(update_fields=["state", "updated_at"])
        detail = f"cancelled by {actor or 'operator'}: {reason}"[:500]
        DocumentStatus.objects.create(document=document, state=CANCELLED, detail=detail)
        body = {
            "type": document.type.code,
            "sender": document.sender.code,
            "doc_id": document.doc_id,
            "state": CANCELLED,
            # The partners hear why, not which of the hub's users did it (a username may be
            # an e-mail address); the timeline keeps who.
            "detail": redact_text(f"cancelled by the hub's operator: {reason}")[:500],
            "by": "hub",
        }
        deliveries = list(document.deliveries.select_related("receiver"))
        for delivery in deliveries:
            if delivery.state == HELD:
                delivery.state = CANCELLED
                delivery.save(update_fields=["state"])
            else:
                to_inbox(
                    delivery.receiver,
                    document,
                    "status",
                    body | {"receiver_doc_id": delivery.receiver_doc_id},
                )
        to_inbox(document.sender, document, "status", body | {"receiver_doc_id": ""})
    return document
