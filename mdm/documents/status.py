"""The way back: a receiver acknowledges a document (with its own number) and reports its
progress; the sender may too (e.g. cancel). Each change is relayed to the other side in its
terms, in order, and kept on the document's timeline."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mdm.documents.models import (
    ACCEPTED,
    ACKNOWLEDGED,
    CANCELLED,
    HELD,
    Document,
    DocumentDelivery,
    DocumentStatus,
)
from mdm.documents.services import Forbidden, to_inbox
from mdm.errors import Conflict, RecordRejected
from mdm.models import SourceSystem
from mdm.privacy.policy import redact_text


def acknowledge_document(
    *, caller: SourceSystem, document: Document, receiver_doc_id: str = ""
) -> DocumentDelivery:
    """A receiver confirms the document (with its own number); the sender hears of it."""
    if caller.pk == document.sender_id:
        _refuse_not_receiver(caller, document)
    _, delivery = post_document_status(
        caller=caller, document=document, state=ACKNOWLEDGED, receiver_doc_id=receiver_doc_id
    )
    assert delivery is not None  # post_document_status refuses a caller that is neither side
    return delivery


def _refuse_not_receiver(caller: SourceSystem, document: Document) -> None:
    raise Forbidden(
        f"{caller.code} 不是该单据的接收方",
        f"{caller.code} does not receive {document}",
        code="not_a_receiver",
    )


def post_document_status(
    *,
    caller: SourceSystem,
    document: Document,
    state: str,
    detail: str = "",
    receiver_doc_id: str = "",
) -> tuple[Document, DocumentDelivery | None]:
    """A state change from the sender or a receiver, relayed to the other side in its terms.

    States move forward in the type's order (``cancelled`` from any state before the last);
    a move backwards or to an unknown state is refused.
    """
    if not document.type.allows(state):
        raise RecordRejected(
            {
                "state": [
                    {
                        "code": "invalid_state",
                        "message": f"{document.type.code} has no state {state}",
                    }
                ]
            }
        )
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .select_related("type", "sender")
            .get(pk=document.pk)
        )
        delivery = (
            DocumentDelivery.objects.select_for_update()
            .filter(document=document, receiver=caller)
            .first()
        )
        if caller.pk != document.sender_id and delivery is None:
            _refuse_not_receiver(caller, document)
        if delivery is not None and delivery.state == HELD:
            raise Conflict(
                "单据尚未送达该系统",
                f"{document} is held for {caller.code}: it has not been delivered",
                code="document_held",
            )
        order = [ACCEPTED, ACKNOWLEDGED, *document.type.states]
        if (
            state != CANCELLED
            and document.state in order
            and state in order
            and order.index(state) < order.index(document.state)
        ):
            raise Conflict(
                "状态不能回退",
                f"{document} is {document.state}; it cannot go back to {state}",
                code="state_backwards",
            )
        if document.state == CANCELLED:
            raise Conflict("单据已取消", f"{document} is cancelled", code="document_cancelled")
        if delivery is not None:
            if receiver_doc_id:
                delivery.receiver_doc_id = str(receiver_doc_id)[:100]
            if state == ACKNOWLEDGED:
                delivery.state = ACKNOWLEDGED
                delivery.acknowledged_at = timezone.now()
            delivery.save()
        if state != ACKNOWLEDGED or _all_acknowledged(document):
            document.state = state
            document.save(update_fields=["state", "updated_at"])
        DocumentStatus.objects.create(
            document=document, state=state, detail=str(detail)[:500], by=caller
        )
        body = {
            "type": document.type.code,
            "sender": document.sender.code,
            "doc_id": document.doc_id,
            "state": state,
            # Free text from one partner to another: shaped-like-personal values masked.
            "detail": redact_text(str(detail)[:500]),
            "by": caller.code,
        }
        if caller.pk == document.sender_id:
            for other in document.deliveries.exclude(state=HELD).select_related("receiver"):
                to_inbox(
                    other.receiver,
                    document,
                    "status",
                    body | {"receiver_doc_id": other.receiver_doc_id},
                )
        else:
            assert delivery is not None
            to_inbox(
                document.sender,
                document,
                "status",
                body | {"receiver_doc_id": delivery.receiver_doc_id},
            )
    return document, delivery


def _all_acknowledged(document: Document) -> bool:
    return not document.deliveries.exclude(state=ACKNOWLEDGED).exists()
