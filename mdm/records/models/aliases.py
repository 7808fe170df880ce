"""The names a golden record is known by besides those its source records hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dictionary.models import EntityChoices


class GoldenAliasOriginChoices(models.TextChoices):
    STEWARD = "steward", _("Added by a steward")
    LEARNED = "learned", _("Learned from an accepted pair")


class GoldenAlias(models.Model):
    """A name of a golden record that a steward confirmed: added by hand, or learned when a
    steward accepted a pair whose records name it differently (大族激光 / Han's Laser …).

    ``key`` is the name's matching form (``mdm.records.aliases.alias_key``): a record that
    arrives under a name with this key links to the golden record automatically (unless a hard
    rule forbids it). The names the source records hold (name, English name, former name) are
    not copied here: they are matched through the records themselves. ``golden_code`` may be a
    code a later merge retired; it is followed to the survivor when read.
    """

    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    golden_code = models.CharField(_("golden code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("matching key"), max_length=200)
    origin = models.CharField(_("origin"), max_length=10, choices=GoldenAliasOriginChoices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("golden record alias")
        verbose_name_plural = _("golden record aliases")
        ordering = ["entity", "golden_code", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "golden_code", "key"], name="goldenalias_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["entity", "key"], name="goldenalias_key_idx"),
            models.Index(fields=["golden_code"], name="goldenalias_golden_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.golden_code} {self.name}"
