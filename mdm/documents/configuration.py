"""Document routes and grants: who sends a type to whom, and what each receiver sees of it
(the admin and the ``add_document_route`` / ``grant_document`` commands call these)."""

from __future__ import annotations

from django.db import transaction

from mdm.documents.models import DocumentGrant, DocumentRoute
from mdm.documents.services import document_type
from mdm.errors import NotFound, RecordRejected
from mdm.models import SourceSystem


def add_document_route(
    *, type_code: str, sender_code: str, receiver_codes: list[str]
) -> DocumentRoute:
    """Let ``sender`` send ``type`` documents to the receivers (added to any it had)."""
    doc_type = document_type(type_code)
    systems = {
        s.code: s for s in SourceSystem.objects.filter(code__in=[sender_code, *receiver_codes])
    }
    unknown = [c for c in [sender_code, *receiver_codes] if c not in systems]
    if unknown:
        raise NotFound(
            f"未知源系统 {', '.join(unknown)}",
            f"Unknown source system {', '.join(unknown)}",
            code="unknown_system",
        )
    if sender_code in receiver_codes:
        raise RecordRejected(
            {"to": [{"code": "invalid", "message": "A system does not send documents to itself"}]}
        )
    with transaction.atomic():
        route, _ = DocumentRoute.objects.get_or_create(type=doc_type, sender=systems[sender_code])
        route.receivers.add(*(systems[c] for c in receiver_codes))
    return route


def grant_document(
    *, receiver_code: str, type_code: str, fields: list[str], personal: str = DocumentGrant.MASK
) -> DocumentGrant:
    """What ``receiver`` sees of ``type`` from now on (``mdm.documents.filters``): only
    ``fields`` (empty: every field), personal fields masked or left out. Documents already
    delivered keep what they were delivered with."""
    doc_type = document_type(type_code)
    receiver = SourceSystem.objects.filter(code=receiver_code).first()
    if receiver is None:
        raise NotFound(
            f"未知源系统 {receiver_code}",
            f"Unknown source system {receiver_code}",
            code="unknown_system",
        )
    if personal not in (DocumentGrant.MASK, DocumentGrant.OMIT):
        raise RecordRejected(
            {"personal": [{"code": "invalid", "message": "personal is mask or omit"}]}
        )
    paths = [str(f).strip() for f in fields if str(f).strip()]
    bad = [p for p in paths if not all(part.removesuffix("[]") for part in p.split("."))]
    if bad:
        raise RecordRejected(
            {"fields": [{"code": "invalid", "message": f"not a field path: {', '.join(bad)}"}]}
        )
    grant, _ = DocumentGrant.objects.update_or_create(
        receiver=receiver, type=doc_type, defaults={"fields": paths, "personal": personal}
    )
    return grant
