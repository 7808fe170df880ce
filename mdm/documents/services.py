"""Relaying business documents: receive, translate, hold and release, acknowledge, status back.

1. ``receive_document``: the sender's document in its own codes. Validated against its type
   (the route must allow the sender; every reference must be a code), stored as received, and
   for each receiving system every reference is translated into that system's own local code
   through the crosswalk. A receiver for which a reference has no code yet gets nothing: its
   delivery is *held* with the reference named. The same document again changes nothing; a
   changed one is a new revision, relayed again, in order.
2. ``release_held_documents``: a held delivery whose references now all translate (the
   customer was created in the ERP and upserted to the hub) goes to its receiver's inbox. The
   API calls it after each upsert of the receiving system; the beat every few seconds.
3. The way back (``mdm.documents.status``): a receiver confirms (with its own number) and
   reports progress; the hub relays each change to the other side, in its terms, and keeps
   the document's timeline.

The inbox (``InboxItem``) is what a system reads, oldest first. Its ``seq`` grows in commit
order: every insert first takes a transaction-level advisory lock (as the event outbox does,
see ``mdm.feed.outbox``), so a reader resuming ``after=seq`` never skips an item.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from mdm.access.code_grants import may_read
from mdm.db.locks import lock_keys
from mdm.documents import bus, filters, push
from mdm.documents.models import (
    ACCEPTED,
    CANCELLED,
    HELD,
    Document,
    DocumentDelivery,
    DocumentRoute,
    DocumentStatus,
    DocumentType,
    InboxItem,
)
from mdm.errors import Conflict, NotFound, RecordRejected, ServiceError
from mdm.models import SourceRecord, SourceSystem

#: Delivery states besides ``held``: in the receiver's inbox, confirmed by the receiver.
DELIVERED = "delivered"
#: The inbox's advisory lock key (two ints; 0x4D444D = "MDM", 2 = inbox; 1 is the outbox).
INBOX_LOCK = (0x4D444D, 2)


class Forbidden(ServiceError):
    status = 403
    code = "not_allowed"


@dataclass(frozen=True)
class Reference:
    """One master-data reference of a document: where it is, what it names, the code used."""

    path: str  # e.g. "lines[1].product"
    entity: str
    code: str


@dataclass
class Translation:
    """A document in one receiver's codes: each reference path → {code, golden_code}."""

    references: dict[str, dict[str, str]] = field(default_factory=dict)
    missing: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Receipt:
    """What ``receive_document`` did: ``created`` (a new document), ``changed`` (a new revision
    was stored, or the document is new), and the document with its deliveries."""

    document: Document
    created: bool
    changed: bool
    deliveries: list[DocumentDelivery]


# --- reading a document's references ---------------------------------------------------------


def references_of(doc_type: DocumentType, payload: dict[str, Any]) -> list[Reference]:
    """Every reference the type declares, found in the payload; RecordRejected naming the path
    of a reference that is not a code (absent optional references are skipped)."""
    found: list[Reference] = []
    errors: dict[str, list[dict[str, str]]] = {}
    for spec, entity in doc_type.references.items():
        for path, value in _walk(payload, spec.split(".")):
            if value is None or value == "":
                continue
            if not isinstance(value, str | int) or isinstance(value, bool):
                errors.setdefault(path, []).append(
                    {
                        "code": "invalid_reference",
                        "message": f"引用必须是编码 / {path} must be a {entity} code",
                    }
                )
                continue
            found.append(Reference(path=path, entity=entity, code=str(value)))
    if errors:
        raise RecordRejected(errors)
    return found


def _walk(node: Any, parts: list[str], prefix: str = "") -> Iterable[tuple[str, Any]]:
    if not parts:
        yield prefix, node
        return
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        name = head[:-2]
        items = node.get(name) if isinstance(node, dict) else None
        if isinstance(items, list):
            for index, item in enumerate(items):
                yield from _walk(item, rest, f"{prefix}{name}[{index}].")
        return
    if isinstance(node, dict) and head in node:
        path = f"{prefix}{head}"
        if rest:
            yield from _walk(node[head], rest, path + ".")
        else:
            yield path, node[head]


# --- translation -----------------------------------------------------------------------------


def golden_codes_of(
    sender: SourceSystem, references: Iterable[Reference]
) -> dict[tuple[str, str], str]:
    """(entity, sender's code) -> golden code of every reference the hub knows (a query per
    entity referenced, whatever the number of documents)."""
    by_entity: dict[str, set[str]] = {}
    for ref in references:
        by_entity.setdefault(ref.entity, set()).add(ref.code)
    golden: dict[tuple[str, str], str] = {}
    table = SourceRecord._meta.db_table
    with connection.cursor() as cursor:
        for entity, codes in by_entity.items():
            # = ANY(array): one parameter for a thousand codes (IN would bind each one).
            cursor.execute(
                f"SELECT local_code, golden_code FROM {table} WHERE system_id = %s "
                "AND entity = %s AND is_active AND local_code = ANY(%s)",
                [sender.pk, entity, sorted(codes)],
            )
            for code, golden_code in cursor.fetchall():
                golden[(entity, code)] = golden_code
    return golden


def receiver_codes(
    receiver: SourceSystem, golden: dict[tuple[str, str], str]
) -> dict[tuple[str, str], str]:
    """(entity, golden code) -> the receiver's local code (the first, if it holds several)."""
    codes: dict[tuple[str, str], str] = {}
    golden_codes = {g for g in golden.values() if g}
    if not golden_codes:
        return codes
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT entity, golden_code, local_code FROM {SourceRecord._meta.db_table} "
            "WHERE system_id = %s AND is_active AND golden_code = ANY(%s) ORDER BY local_code",
            [receiver.pk, sorted(golden_codes)],
        )
        for entity, golden_code, local_code in cursor.fetchall():
            codes.setdefault((entity, golden_code), local_code)
    return codes


def translate(
    sender: SourceSystem,
    receiver: SourceSystem,
    references: list[Reference],
    golden: dict[tuple[str, str], str] | None = None,
    codes: dict[tuple[str, str], str] | None = None,
) -> Translation:
    """The references in ``receiver``'s own local codes. ``golden``: the sender's codes already
    resolved (``golden_codes_of``, once per document whatever the number of receivers);
    ``codes``: the receiver's (``receiver_codes``), else one query more."""
    result = Translation()
    if not references:
        return result
    if golden is None:
        golden = golden_codes_of(sender, references)
    if codes is None:
        codes = receiver_codes(receiver, golden)
    for ref in references:
        golden_code = golden.get((ref.entity, ref.code), "")
        local = codes.get((ref.entity, golden_code)) if golden_code else None
        if local is not None:
            result.references[ref.path] = {"code": local, "golden_code": golden_code}
        elif not golden_code:
            result.missing.append(
                {
                    "path": ref.path,
                    "code": ref.code,
                    "reason": f"{sender.code} has no {ref.entity} record {ref.code} in the hub",
                }
            )
        else:
            result.missing.append(
                {
                    "path": ref.path,
                    "code": ref.code,
                    "golden_code": golden_code,
                    "reason": f"{receiver.code} has no {ref.entity} code for {golden_code}",
                }
            )
    return result


# --- receiving -------------------------------------------------------------------------------


def document_type(code: str) -> DocumentType:
    found = DocumentType.objects.filter(code=code, is_active=True).first()
    if found is None:
        raise NotFound(
            f"未知单据类型 {code}", f"Unknown document type {code}", code="unknown_document_type"
        )
    return found


def route_of(doc_type: DocumentType, sender: SourceSystem) -> DocumentRoute:
    route = DocumentRoute.objects.filter(type=doc_type, sender=sender).first()
    if route is None:
        raise Forbidden(
            f"{sender.code} 不能发送 {doc_type.code}",
            f"{sender.code} has no route to send {doc_type.code} documents",
            code="no_route",
        )
    return route


def fingerprint(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def receive_document(*, sender: SourceSystem, type_code: str, doc_id: str, payload: Any) -> Receipt:
    """Store a sender's document and relay it to its route's receivers (module doc, step 1)."""
    doc_type = document_type(type_code)
    route = route_of(doc_type, sender)
    if not isinstance(payload, dict):
        raise RecordRejected(
            {
                "non_field_errors": [
                    {"code": "invalid_json", "message": "Body must be a JSON object"}
                ]
            }
        )
    doc_id = str(doc_id).strip()
    if not doc_id or len(doc_id) > 100:
        raise RecordRejected(
            {"doc_id": [{"code": "invalid", "message": "doc_id: 1 to 100 characters"}]}
        )
    references = references_of(doc_type, payload)
    digest = fingerprint(payload)
    receivers = list(route.receivers.filter(is_active=True).order_by("code"))
    with transaction.atomic():
        lock_keys([f"document:{sender.pk}:{doc_type.pk}:{doc_id}"])
        document = (
            Document.objects.select_for_update()
            .filter(sender=sender, type=doc_type, doc_id=doc_id)
            .first()
        )
        if document is not None and document.fingerprint == digest:
            return Receipt(document, False, False, deliveries_of(document))
        created = document is None
        if document is None:
            document = Document(sender=sender, type=doc_type, doc_id=doc_id, revision=1)
        else:
            if document.state == CANCELLED:
                raise Conflict(
                    "单据已取消", f"Document {doc_id} is cancelled", code="document_cancelled"
                )
            document.revision += 1
        document.payload = payload
        document.fingerprint = digest
        document.save()
        golden = golden_codes_of(sender, references)
        held = [_relay(document, receiver, references, golden) for receiver in receivers].count(
            HELD
        )
        if document.state in (ACCEPTED, HELD):
            document.state = HELD if held else ACCEPTED
            document.save(update_fields=["state", "updated_at"])
        detail = f"revision {document.revision}"
        if held:
            detail += f", held for {held} receiver(s)"
        DocumentStatus.objects.create(
            document=document, state=HELD if held else ACCEPTED, detail=detail, by=sender
        )
    return Receipt(document, created, True, deliveries_of(document))


def deliveries_of(document: Document) -> list[DocumentDelivery]:
    return list(document.deliveries.select_related("receiver").order_by("receiver__code"))


def _relay(
    document: Document,
    receiver: SourceSystem,
    references: list[Reference],
    golden: dict[tuple[str, str], str] | None = None,
) -> str:
    """Translate the document's current revision for one receiver; deliver it or hold it."""
    granted = [r for r in references if receiver.is_granted(r.entity)]
    ungranted = [r.path for r in references if not receiver.is_granted(r.entity)]
    translation = translate(document.sender, receiver, granted, golden)
    delivery, _ = DocumentDelivery.objects.get_or_create(document=document, receiver=receiver)
    delivery.revision = document.revision
    delivery.missing = translation.missing
    if translation.missing:
        delivery.translated = None
        delivery.state = HELD
        delivery.save()
        return HELD
    delivery.translated = filters.for_receiver(
        receiver,
        document.type,
        document.payload,
        translation.references,
        ungranted,
        filters.grant_of(receiver, document.type),
    )
    if delivery.state == HELD:
        delivery.state = DELIVERED
    delivery.delivered_at = timezone.now()
    delivery.save()
    body = document_body(document.type.code, document.sender.code, document, delivery.translated)
    to_inbox(receiver, document, "document", body)
    return DELIVERED


def document_body(
    type_code: str, sender_code: str, document: Document, translated: Any
) -> dict[str, Any]:
    """The inbox body of a document for one receiver (its copy in the receiver's codes), the
    same on every channel and whether it came alone or in a batch (``mdm.documents.batch``,
    which has the type and sender codes at hand)."""
    return {
        "type": type_code,
        "sender": sender_code,
        "doc_id": document.doc_id,
        "revision": document.revision,
        "document": translated,
    }


def translated_as_seen(
    delivery: DocumentDelivery, readable: frozenset[str] | None
) -> dict[str, Any] | None:
    """A delivery's translated document as a caller sees it: the receiver's local codes only
    for a caller granted to read them (``CrosswalkGrant``, as the crosswalk API); otherwise each
    reference keeps its golden code alone. A route is no grant to read the receiver's codes."""
    translated = delivery.translated
    if translated is None or may_read(readable, delivery.receiver.code):
        return translated
    shown = copy.deepcopy(translated)
    for spec in delivery.document.type.references:
        for path, value in list(_walk(shown, spec.split("."))):
            if isinstance(value, dict) and "code" in value:
                filters.set_path(shown, path, {"golden_code": value.get("golden_code", "")})
    return shown


def to_inbox(system: SourceSystem, document: Document, kind: str, body: dict) -> InboxItem:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(INBOX_LOCK))
    item = InboxItem.objects.create(system=system, document=document, kind=kind, body=body)
    push.schedule_pushes_for(system.pk)
    bus.schedule_publish()
    bus.notify_publisher()
    return item


_HELD_OF_SYSTEM_SQL = (
    f"SELECT d.id FROM {DocumentDelivery._meta.db_table} d "  # noqa: S608
    f"JOIN {Document._meta.db_table} doc ON doc.id = d.document_id "
    "WHERE d.state = %s AND (d.receiver_id = %s OR doc.sender_id = %s) ORDER BY d.id"
)


def _held_deliveries(system: SourceSystem | None, document: Document | None) -> list[int]:
    """Ids of the held deliveries a system takes part in, or of a document."""
    if system is not None and document is None:
        # Hand-written: every upsert of every system asks, and most find none.
        with connection.cursor() as cursor:
            cursor.execute(_HELD_OF_SYSTEM_SQL, [HELD, system.pk, system.pk])
            return [row[0] for row in cursor.fetchall()]
    held = DocumentDelivery.objects.filter(state=HELD)
    if system is not None:
        held = held.filter(Q(receiver=system) | Q(document__sender=system))
    if document is not None:
        held = held.filter(document=document)
    return list(held.order_by("pk").values_list("pk", flat=True))


def release_held_documents(
    *, system: SourceSystem | None = None, document: Document | None = None
) -> int:
    """Deliver the held documents whose references now translate; returns how many went.

    ``system``: only deliveries it takes part in (as receiver or as sender), after it upserted;
    ``document``: only that document's.
    """
    released = 0
    for pk in _held_deliveries(system, document):
        with transaction.atomic():
            delivery = (
                DocumentDelivery.objects.select_for_update(skip_locked=True)
                .select_related("document__type", "document__sender", "receiver")
                .filter(pk=pk, state=HELD)
                .first()
            )
            if delivery is None:
                continue
            document = Document.objects.select_for_update().get(pk=delivery.document_id)
            if document.state == CANCELLED:
                continue
            references = references_of(document.type, document.payload)
            if _relay(document, delivery.receiver, references) == HELD:
                continue
            released += 1
            DocumentStatus.objects.create(
                document=document,
                state=ACCEPTED,
                detail=f"released to {delivery.receiver.code}: its codes exist now",
            )
            if document.state == HELD and not document.deliveries.filter(state=HELD).exists():
                document.state = ACCEPTED
                document.save(update_fields=["state", "updated_at"])
    return released


# --- the way back ----------------------------------------------------------------------------


def find_document(*, sender_code: str, type_code: str, doc_id: str) -> Document:
    document = (
        Document.objects.select_related("type", "sender")
        .filter(sender__code=sender_code, type__code=type_code, doc_id=doc_id)
        .first()
    )
    if document is None:
        raise NotFound(
            f"单据不存在 {sender_code}/{type_code}/{doc_id}",
            f"No document {sender_code}/{type_code}/{doc_id}",
            code="unknown_document",
        )
    return document


def can_read(system: SourceSystem, document: Document) -> bool:
    return document.sender_id == system.pk or document.deliveries.filter(receiver=system).exists()


def inbox(system: SourceSystem, *, after: int = 0, type_code: str = "", limit: int = 100):
    """The system's inbox items after ``after``, oldest first."""
    items = InboxItem.objects.filter(system=system, seq__gt=after)
    if type_code:
        items = items.filter(body__type=type_code)
    return list(items.order_by("seq")[: max(1, min(limit, 1000))])
