"""Receiving many documents at once (``POST /api/v1/documents/{system}/{type}/bulk``): the same
rules as ``services.receive_document``, one transaction and a handful of set-based queries for
the whole batch instead of some twenty per document.

Per document: validated (an invalid one is reported and left out, the others go on), stored
as received (the same document again changes nothing; a changed one is a new revision),
translated for every receiver of the route through the crosswalk (two queries for the sender's
codes, one per receiver for theirs), held with the missing reference named or filtered for the
receiver (``mdm.documents.filters``) and put in its inbox, in the order of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from mdm.db.bulk_copy import create_objects
from mdm.db.locks import lock_keys
from mdm.documents import bus, filters, push
from mdm.documents.models import (
    ACCEPTED,
    CANCELLED,
    HELD,
    Document,
    DocumentDelivery,
    DocumentGrant,
    DocumentStatus,
    InboxItem,
)
from mdm.documents.services import (
    DELIVERED,
    INBOX_LOCK,
    Reference,
    document_body,
    document_type,
    fingerprint,
    golden_codes_of,
    receiver_codes,
    references_of,
    route_of,
    translate,
)
from mdm.errors import RecordRejected, ServiceError
from mdm.models import SourceSystem

MAX_BATCH = 1000


@dataclass
class Outcome:
    """One item of a batch: the document (``created``/``changed``) or the error."""

    doc_id: str
    document: Document | None = None
    created: bool = False
    changed: bool = False
    held: bool = False
    error: ServiceError | None = None


def receive_documents(*, sender: SourceSystem, type_code: str, items: list[Any]) -> list[Outcome]:
    """Store and relay a batch of ``{"doc_id": …, "document": {…}}`` (module doc)."""
    doc_type = document_type(type_code)
    route = route_of(doc_type, sender)
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise RecordRejected(
            {"items": [{"code": "invalid", "message": f"1 to {MAX_BATCH} documents"}]}
        )
    outcomes: list[Outcome] = []
    valid: dict[str, tuple[Outcome, dict, list[Reference]]] = {}
    for item in items:
        doc_id = str(item.get("doc_id", "") if isinstance(item, dict) else "").strip()
        outcome = Outcome(doc_id)
        outcomes.append(outcome)
        payload = item.get("document") if isinstance(item, dict) else None
        try:
            if not doc_id or len(doc_id) > 100:
                raise RecordRejected(
                    {"doc_id": [{"code": "invalid", "message": "doc_id: 1 to 100 characters"}]}
                )
            if doc_id in valid:
                raise RecordRejected(
                    {"doc_id": [{"code": "duplicate", "message": "twice in this batch"}]}
                )
            if not isinstance(payload, dict):
                raise RecordRejected(
                    {"document": [{"code": "invalid_json", "message": "must be a JSON object"}]}
                )
            valid[doc_id] = (outcome, payload, references_of(doc_type, payload))
        except ServiceError as exc:
            outcome.error = exc
    if not valid:
        return outcomes
    receivers = list(route.receivers.filter(is_active=True).order_by("code"))
    grants = {
        g.receiver_id: g
        for g in DocumentGrant.objects.filter(type=doc_type, receiver__in=receivers)
    }
    with transaction.atomic():
        lock_keys([f"document:{sender.pk}:{doc_type.pk}:{d}" for d in sorted(valid)])
        existing = {
            d.doc_id: d
            for d in Document.objects.select_for_update().filter(
                sender=sender, type=doc_type, doc_id__in=list(valid)
            )
        }
        new_docs, changed_docs, work = [], [], []
        for doc_id, (outcome, payload, references) in valid.items():
            digest = fingerprint(payload)
            document = existing.get(doc_id)
            if document is not None and document.fingerprint == digest:
                outcome.document = document
                continue
            if document is not None and document.state == CANCELLED:
                outcome.error = ServiceError(
                    "单据已取消", f"Document {doc_id} is cancelled", code="document_cancelled"
                )
                continue
            if document is None:
                document = Document(
                    sender=sender, type=doc_type, doc_id=doc_id, revision=1, state=ACCEPTED
                )
                new_docs.append(document)
                outcome.created = True
            else:
                document.revision += 1
                changed_docs.append(document)
            document.payload, document.fingerprint = payload, digest
            document.updated_at = timezone.now()
            outcome.document, outcome.changed = document, True
            work.append((outcome, document, references))
        if not work:
            return outcomes
        now = timezone.now()
        golden = golden_codes_of(sender, [ref for _, _, refs in work for ref in refs])
        kinds: dict[str, str | None] = {}
        # (document, receiver) -> (translated or None, missing): everything before any write.
        results: dict[tuple[str, int], tuple[dict | None, list]] = {}
        held_per_doc: dict[str, int] = {}
        entities = {ref.entity for _, _, refs in work for ref in refs}
        for receiver in receivers:
            codes = receiver_codes(receiver, golden)
            allowed = {e for e in entities if receiver.is_granted(e)}
            for _outcome, document, references in work:
                granted = [r for r in references if r.entity in allowed]
                ungranted = [r.path for r in references if r.entity not in allowed]
                translation = translate(sender, receiver, granted, golden, codes)
                if translation.missing:
                    results[(document.doc_id, receiver.pk)] = (None, translation.missing)
                    held_per_doc[document.doc_id] = held_per_doc.get(document.doc_id, 0) + 1
                    continue
                shown = filters.for_receiver(
                    receiver,
                    doc_type,
                    document.payload,
                    translation.references,
                    ungranted,
                    grants.get(receiver.pk),
                    kinds,
                )
                results[(document.doc_id, receiver.pk)] = (shown, [])
        statuses = []
        for outcome, document, _ in work:
            held = held_per_doc.get(document.doc_id, 0)
            outcome.held = bool(held)
            if document.state in (ACCEPTED, HELD):
                document.state = HELD if held else ACCEPTED
        # New documents by COPY (their ids read back in one query), revisions by the ORM.
        create_objects(new_docs, Document)
        if new_docs:
            ids = dict(
                Document.objects.filter(
                    sender=sender, type=doc_type, doc_id__in=[d.doc_id for d in new_docs]
                ).values_list("doc_id", "pk")
            )
            for document in new_docs:
                document.pk = ids[document.doc_id]
                document._state.adding = False
        if changed_docs:
            Document.objects.bulk_update(
                changed_docs, ["state", "revision", "payload", "fingerprint", "updated_at"]
            )
        existing_deliveries = {
            (d.document_id, d.receiver_id): d
            for d in DocumentDelivery.objects.filter(
                document__in=changed_docs, receiver__in=receivers
            )
        }
        inbox: list[InboxItem] = []
        to_create, to_update = [], []
        for receiver in receivers:
            for _outcome, document, _refs in work:
                translated, missing = results[(document.doc_id, receiver.pk)]
                delivery = existing_deliveries.get((document.pk, receiver.pk))
                if delivery is None:
                    delivery = DocumentDelivery(
                        document_id=document.pk, receiver_id=receiver.pk, state=HELD
                    )
                    to_create.append(delivery)
                else:
                    to_update.append(delivery)
                delivery.revision, delivery.missing, delivery.translated = (
                    document.revision,
                    missing,
                    translated,
                )
                if translated is None:
                    delivery.state = HELD
                    continue
                if delivery.state == HELD:
                    delivery.state = DELIVERED
                delivery.delivered_at = now
                inbox.append(
                    InboxItem(
                        system_id=receiver.pk,
                        document_id=document.pk,
                        kind="document",
                        body=document_body(doc_type.code, sender.code, document, translated),
                    )
                )
        create_objects(to_create, DocumentDelivery)
        if to_update:
            DocumentDelivery.objects.bulk_update(
                to_update, ["revision", "missing", "translated", "state", "delivered_at"]
            )
        for _outcome, document, _ in work:
            held = held_per_doc.get(document.doc_id, 0)
            detail = f"revision {document.revision}"
            if held:
                detail += f", held for {held} receiver(s)"
            statuses.append(
                DocumentStatus(
                    document_id=document.pk,
                    state=HELD if held else ACCEPTED,
                    detail=detail,
                    by_id=sender.pk,
                )
            )
        create_objects(statuses, DocumentStatus)
        if inbox:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(INBOX_LOCK))
            create_objects(inbox, InboxItem)
            for receiver_id in {i.system_id for i in inbox}:
                push.schedule_pushes_for(receiver_id)
            bus.schedule_publish()
            bus.notify_publisher()
    return outcomes
