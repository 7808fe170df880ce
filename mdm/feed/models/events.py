"""The transactional outbox: one row per golden change, written in the change's transaction."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dictionary.models import EntityChoices


class EventKindChoices(models.TextChoices):
    CREATED = "created", pgettext_lazy("event kind", "created")
    UPDATED = "updated", pgettext_lazy("event kind", "updated")
    MERGED = "merged", _("merged")
    UNMERGED = "unmerged", _("unmerged")
    RETIRED = "retired", _("retired")
    CROSSWALK = "crosswalk", _("crosswalk")


class Event(models.Model):
    """A change of a golden record, in ascending sequence, for the change feed and webhooks."""

    seq = models.BigAutoField(primary_key=True)
    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    golden_code = models.CharField(_("golden code"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EventKindChoices)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["entity", "seq"], name="event_entity_seq_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.golden_code}"
