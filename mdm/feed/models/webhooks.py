"""Webhook subscriptions of source systems and the deliveries that needed more than one try.

A subscription's ``cursor`` is the sequence of the last event it delivered: events are posted
one at a time, in sequence order, and the cursor only moves after the receiver said 2xx.
A ``WebhookDelivery`` row is written when an attempt fails (and for what happens next: success
on retry, dead letter, redelivery, skip); a first-time success only moves the cursor, so the
table holds the deliveries worth looking at, not a copy of the event log.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dictionary.history import TranslatedHistory
from mdm.feed.models.events import Event
from mdm.records.models.sources import SourceSystem


class WebhookSubscription(models.Model):
    """Where a source system wants golden changes posted, signed with its secret.

    ``entities`` empty means every entity. The secret signs each body (HMAC-SHA256); it is
    shown once when created or rotated, never again, and kept out of the history table.
    """

    system = models.ForeignKey(
        SourceSystem,
        on_delete=models.PROTECT,
        related_name="webhooks",
        verbose_name=_("system"),
    )
    url = models.URLField(_("URL"), max_length=500)
    entities = models.JSONField(_("entities"), default=list, blank=True, help_text=_("empty: all"))
    secret = models.CharField(_("signing secret"), max_length=200)
    is_active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)
    cursor = models.BigIntegerField(_("cursor"), default=0, help_text=_("last delivered event seq"))
    last_delivered_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = TranslatedHistory(excluded_fields=["secret"])
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["system__code", "pk"]

    def __str__(self) -> str:
        return f"{self.system.code} → {self.url}"

    def events(self):
        """The events this subscription receives, oldest first."""
        events = Event.objects.order_by("seq")
        return events.filter(entity__in=self.entities) if self.entities else events


class WebhookDeliveryStatusChoices(models.TextChoices):
    RETRYING = "retrying", _("retrying")
    DELIVERED = "delivered", _("delivered")
    DEAD = "dead", _("dead letter")
    SKIPPED = "skipped", _("skipped")


class WebhookDelivery(models.Model):
    """The delivery of one event to one subscription, once an attempt failed.

    A ``dead`` delivery stops its subscription at that event (later events wait), because every
    event carries a full snapshot and a receiver that applied a later one first would be rolled
    back by the earlier one. An operator redelivers it (after fixing the receiver) or skips it.
    """

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="+", verbose_name=_("event")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WebhookDeliveryStatusChoices,
        default=WebhookDeliveryStatusChoices.RETRYING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True, default="")
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = TranslatedHistory()
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhookdelivery_one_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["subscription", "status"], name="webhookdelivery_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.event_id} ({self.status})"
