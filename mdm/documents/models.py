"""Document types and routes (configuration), documents as received, their deliveries to each
receiving system, the inbox items a receiver reads, and the status timeline."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mdm.records.models.sources import SourceSystem

#: The state of a document with a reference that cannot be translated yet.
HELD = "held"
ACCEPTED = "accepted"
ACKNOWLEDGED = "acknowledged"
CANCELLED = "cancelled"


class DocumentType(models.Model):
    """A kind of business document: which of its fields reference master data, and its states.

    ``references`` maps a field path to an entity: ``{"customer": "customers",
    "lines[].product": "products"}`` (``[]`` walks every item of a list). ``states`` lists the
    states in their order, the first after ``accepted``; ``held`` and ``cancelled`` are always
    allowed. Adding a type is configuration (admin, fixtures), not code.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    references = models.JSONField(_("master-data references"), default=dict)
    states = models.JSONField(_("states in order"), default=list)
    is_active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def allows(self, state: str) -> bool:
        return state in (ACCEPTED, ACKNOWLEDGED, CANCELLED, *self.states)


class DocumentRoute(models.Model):
    """Which system may send a type, and which systems receive it."""

    type = models.ForeignKey(
        DocumentType, on_delete=models.CASCADE, related_name="routes", verbose_name=_("type")
    )
    sender = models.ForeignKey(
        SourceSystem,
        on_delete=models.CASCADE,
        related_name="document_routes",
        verbose_name=_("sender"),
    )
    receivers = models.ManyToManyField(
        SourceSystem, related_name="received_routes", verbose_name=_("receivers")
    )

    class Meta:
        verbose_name = _("document route")
        verbose_name_plural = _("document routes")
        constraints = [
            models.UniqueConstraint(fields=["type", "sender"], name="documentroute_one_per_sender")
        ]

    def __str__(self) -> str:
        return f"{self.type.code}: {self.sender.code}"


class Document(models.Model):
    """A sender's document as received (latest revision), with its overall state."""

    type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, verbose_name=_("type"))
    sender = models.ForeignKey(
        SourceSystem, on_delete=models.PROTECT, related_name="+", verbose_name=_("sender")
    )
    doc_id = models.CharField(_("document id"), max_length=100)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    fingerprint = models.CharField(max_length=64)
    payload = models.JSONField(_("as received"))
    state = models.CharField(_("state"), max_length=40, default=ACCEPTED)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("business document")
        verbose_name_plural = _("business documents")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "type", "doc_id"], name="document_unique_per_sender"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender.code} {self.type.code} {self.doc_id}"


class DocumentDelivery(models.Model):
    """The document for one receiving system: its references translated, or what is missing."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("document")
    )
    receiver = models.ForeignKey(
        SourceSystem,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("receiver"),
    )
    revision = models.PositiveIntegerField(_("revision"), default=1)
    translated = models.JSONField(_("translated"), null=True, blank=True)
    missing = models.JSONField(_("missing references"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=40, default=HELD)
    receiver_doc_id = models.CharField(_("receiver's number"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(pgettext_lazy("time", "delivered"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("document delivery")
        verbose_name_plural = _("document deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "receiver"], name="documentdelivery_one_per_receiver"
            )
        ]
        indexes = [models.Index(fields=["state"], name="documentdelivery_state_idx")]

    def __str__(self) -> str:
        return f"{self.document} → {self.receiver.code}"


class InboxItem(models.Model):
    """What a system reads from its inbox, oldest first: a document or a status change, in its
    own codes. ``seq`` grows in commit order (the inbox lock), so ``after=seq`` never skips."""

    KIND_CHOICES = [("document", _("document")), ("status", _("status"))]

    seq = models.BigAutoField(primary_key=True)
    system = models.ForeignKey(
        SourceSystem, on_delete=models.CASCADE, related_name="+", verbose_name=_("system")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=KIND_CHOICES)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    body = models.JSONField(_("body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    #: When the item first reached a webhook (2xx) and the bus (confirmed): sync monitoring.
    pushed_at = models.DateTimeField(_("pushed"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        ordering = ["seq"]
        indexes = [models.Index(fields=["system", "seq"], name="inboxitem_system_seq_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} → {self.system_id}"

    def as_body(self) -> dict:
        """The item as every channel carries it (pull, webhook, bus): the same object."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
        } | self.body


class DocumentStatus(models.Model):
    """One step of a document's timeline: who set which state, with what detail."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("document")
    )
    state = models.CharField(_("state"), max_length=40)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    by = models.ForeignKey(
        SourceSystem,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("reported by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document status")
        verbose_name_plural = _("document timeline")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.state} {self.detail}".strip()


class BusCursor(models.Model):
    """How far the message bus has published an outbox (``inbox`` items, master-data
    ``events``): moved only after the broker confirmed the messages."""

    name = models.CharField(max_length=20, unique=True)
    seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("bus cursor")
        verbose_name_plural = _("bus cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seq}"


class DocumentGrant(models.Model):
    """What one receiving system sees of one document type.

    Without a grant, a system a route names as receiver gets the whole document with its
    personal fields masked (the default). A grant narrows ``fields`` to the listed paths
    (``"customer"``, ``"lines[].product"``; empty: every field) and says whether personal
    fields are masked or left out; which fields are personal is the privacy policy's call.
    References to an entity the receiver is not granted (``SourceSystem.granted_entities``)
    are always left out.
    """

    MASK = "mask"
    OMIT = "omit"
    PERSONAL_CHOICES = [(MASK, _("masked")), (OMIT, _("left out"))]

    receiver = models.ForeignKey(
        SourceSystem,
        on_delete=models.CASCADE,
        related_name="document_grants",
        verbose_name=_("receiver"),
    )
    type = models.ForeignKey(
        DocumentType, on_delete=models.CASCADE, related_name="grants", verbose_name=_("type")
    )
    fields = models.JSONField(
        _("fields"), default=list, blank=True, help_text=_("field paths it sees; empty: all")
    )
    personal = models.CharField(
        _("personal fields"), max_length=10, choices=PERSONAL_CHOICES, default=MASK
    )

    class Meta:
        verbose_name = _("document grant")
        verbose_name_plural = _("document grants")
        constraints = [
            models.UniqueConstraint(fields=["receiver", "type"], name="documentgrant_one_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.receiver.code}: {self.type.code}"


class DocumentPush(models.Model):
    """The webhook delivery of one inbox item to one subscription, once an attempt failed
    (a first-time success only moves the subscription's push cursor, as for events).

    ``dead`` stops the subscription's documents at that item (later ones wait: a status must
    not overtake its document) until an operator resends or cancels it.
    """

    subscription = models.ForeignKey(
        "mdm.WebhookSubscription",
        on_delete=models.CASCADE,
        related_name="document_pushes",
        verbose_name=_("subscription"),
    )
    item = models.ForeignKey(
        InboxItem, on_delete=models.CASCADE, related_name="+", verbose_name=_("inbox item")
    )
    status = models.CharField(_("status"), max_length=10, default="retrying")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True, default="")
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("document push")
        verbose_name_plural = _("document pushes")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "item"], name="documentpush_one_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.item_id} ({self.status})"
