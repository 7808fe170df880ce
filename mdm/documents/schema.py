"""The shapes of the business-document API, for the OpenAPI schema (issue 30: a client
generated from the schema reads typed replies). The views answer plain dicts built in
``mdm.documents.api``; these serializers only describe them. A document's own fields are
configured per document type (``DocumentType.references``), so its body stays an object."""

from __future__ import annotations

from rest_framework import serializers

__all__ = [
    "AcknowledgementSerializer",
    "BulkDocumentsRequestSerializer",
    "BulkDocumentsResultSerializer",
    "DeliverySerializer",
    "DocumentReplySerializer",
    "DocumentStateSerializer",
    "InboxPageSerializer",
    "StatusChangeSerializer",
]


class DeliverySerializer(serializers.Serializer):
    """One receiving system's copy: its state, and the document in its own codes."""

    state = serializers.CharField(help_text="held, delivered, acknowledged, cancelled…")
    revision = serializers.IntegerField()
    document = serializers.DictField(
        allow_null=True, help_text="the document translated into the receiver's codes"
    )
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="references with no code in the receiver"
    )
    receiver_doc_id = serializers.CharField(allow_blank=True)


class TimelineStepSerializer(serializers.Serializer):
    state = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    by = serializers.CharField(allow_null=True, help_text="the system that set the state")
    at = serializers.DateTimeField()


class DocumentReplySerializer(serializers.Serializer):
    """A document as its sender (with its body and timeline) or a receiver sees it."""

    type = serializers.CharField()
    sender = serializers.CharField()
    doc_id = serializers.CharField()
    state = serializers.CharField()
    revision = serializers.IntegerField()
    receivers = serializers.DictField(
        child=DeliverySerializer(), help_text="by receiving system code"
    )
    document = serializers.DictField(required=False, help_text="as received (sender only)")
    timeline = TimelineStepSerializer(many=True, required=False)


class DocumentStateSerializer(serializers.Serializer):
    state = serializers.CharField()
    revision = serializers.IntegerField()


class AcknowledgementSerializer(serializers.Serializer):
    doc_id = serializers.CharField(required=False, help_text="the receiver's own number")


class StatusChangeSerializer(serializers.Serializer):
    state = serializers.CharField()
    detail = serializers.CharField(required=False, allow_blank=True)
    doc_id = serializers.CharField(required=False, help_text="the receiver's own number")


class BulkDocumentSerializer(serializers.Serializer):
    doc_id = serializers.CharField()
    document = serializers.DictField()


class BulkDocumentsRequestSerializer(serializers.ListSerializer):
    child = BulkDocumentSerializer()


class BulkDocumentResultSerializer(serializers.Serializer):
    doc_id = serializers.CharField()
    state = serializers.CharField(required=False)
    revision = serializers.IntegerField(required=False)
    created = serializers.BooleanField(required=False)
    changed = serializers.BooleanField(required=False)
    # A declared field named like Serializer.errors, which the stubs type as the base attribute.
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="as an error body's errors"
    )


class BulkDocumentsResultSerializer(serializers.Serializer):
    results = BulkDocumentResultSerializer(many=True)


class InboxItemSerializer(serializers.Serializer):
    """One item of a system's inbox, as every channel (pull, webhook, bus) carries it; the
    rest of the item is its kind's body (a document, a status change, an acknowledgement)."""

    seq = serializers.IntegerField()
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()


class InboxPageSerializer(serializers.Serializer):
    results = InboxItemSerializer(many=True)
    last_seq = serializers.IntegerField(help_text="pass as ?after= for the next page")
