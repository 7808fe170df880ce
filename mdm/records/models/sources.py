"""Source systems and the records they send. The source records of a golden record are its crosswalk."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dictionary.history import TranslatedHistory
from dictionary.models import EntityChoices
from dictionary.phones import DEFAULT_COUNTRY, is_country


class SourceSystemQuerySet(models.QuerySet):
    def for_user(self, user):
        """The source system whose service account is ``user`` (none for stewards)."""
        return self.filter(service_user=user, is_active=True)


def validate_country(value: str) -> None:
    """An ISO 3166-1 alpha-2 country code in capitals (CN, US, GB)."""
    if not is_country(value):
        raise ValidationError(
            _("%(value)s is not an ISO 3166-1 alpha-2 country code"),
            code="invalid_country",
            params={"value": value},
        )


def all_entities() -> list[str]:
    """Default grant of a source system: every entity."""
    return list(EntityChoices.values)


class SourceSystem(models.Model):
    """An ERP, CRM, shop or any system that keeps its own records and codes."""

    code = models.CharField(
        _("system code"),
        max_length=20,
        unique=True,
        help_text=_("e.g. ERP, CRM, ECOM"),
    )
    name = models.CharField(_("name"), max_length=100)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="source_system",
        verbose_name=_("service account"),
    )
    #: Survivorship trust per attribute, e.g. {"credit_code": 1, "phone": 3}: lower wins.
    trust = models.JSONField(_("trust ranks"), default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("default priority"), default=100, help_text=_("lower wins")
    )
    #: Where the system is: a phone number it sends without an international prefix is read as
    #: a number of this country (a US shop's 310/246-1501 is +13102461501, not a Chinese one).
    country = models.CharField(
        _("country"),
        max_length=2,
        default=DEFAULT_COUNTRY,
        validators=[validate_country],
        help_text=_(
            "ISO 3166-1 alpha-2; phone numbers without an international prefix are read in it"
        ),
    )
    is_active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)
    #: Entities the system may read and write, e.g. ["customers"]; the others answer 403.
    granted_entities = models.JSONField(_("granted entities"), default=all_entities, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = TranslatedHistory()

    objects = SourceSystemQuerySet.as_manager()

    class Meta:
        verbose_name = _("source system")
        verbose_name_plural = _("source systems")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def is_granted(self, entity: str | None) -> bool:
        """May the system use ``entity``? (An unknown entity is left to answer 404.)"""
        if entity is None or entity not in EntityChoices.values:
            return True
        return entity in (self.granted_entities or [])


class CrosswalkGrantQuerySet(models.QuerySet):
    def readable_by(self, system: SourceSystem):
        """The grants that let ``system`` read other systems' local codes."""
        return self.filter(reader=system, owner__is_active=True)


class CrosswalkGrant(models.Model):
    """``reader`` may read ``owner``'s local codes: in the crosswalk translation, the members
    of a golden record, its lineage, the change feed and the webhooks. One row per direction:
    the ERP reading the CRM's codes says nothing of the CRM reading the ERP's. Without a grant
    a system sees its own codes and golden codes only (``mdm.records.crosswalk``)."""

    reader = models.ForeignKey(
        SourceSystem,
        on_delete=models.CASCADE,
        related_name="crosswalk_grants",
        verbose_name=_("reader"),
    )
    owner = models.ForeignKey(
        SourceSystem,
        on_delete=models.CASCADE,
        related_name="crosswalk_readers",
        verbose_name=_("owner of the codes"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = TranslatedHistory()
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    objects = CrosswalkGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("crosswalk grant")
        verbose_name_plural = _("crosswalk grants")
        ordering = ["reader__code", "owner__code"]
        constraints = [
            models.UniqueConstraint(fields=["reader", "owner"], name="crosswalkgrant_unique_pair"),
            models.CheckConstraint(
                condition=~models.Q(reader=models.F("owner")), name="crosswalkgrant_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader.code} → {self.owner.code}"


class SourceRecordLinkChoices(models.TextChoices):
    AUTO = "auto", _("Auto")
    REVIEW = "review", pgettext_lazy("link kind", "Review")
    NEW = "new", _("New")
    STEWARD = "steward", _("Steward")


class SourceRecordQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def members_of(self, golden_code: str):
        return self.filter(golden_code=golden_code, is_active=True)


class SourceRecord(models.Model):
    """One record of one source system, as received and as standardized.

    Unique per (system, entity, local code). ``raw`` is the payload exactly as received;
    ``attributes`` the dictionary-standardized values; ``fingerprint`` a hash of those, so the
    same payload twice changes nothing. ``golden_code`` links it to its golden record: the set
    of active source records sharing a golden code is that golden record's crosswalk.
    """

    # No index of its own (see the unique constraint).
    system = models.ForeignKey(
        SourceSystem,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("system"),
        db_index=False,
    )
    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    local_code = models.CharField(_("local code"), max_length=100)
    raw = models.JSONField(_("raw payload"), default=dict)
    attributes = models.JSONField(_("standardized attributes"), default=dict)
    flagged = models.JSONField(_("flagged elements"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    #: Keyed hashes of the encrypted (sensitive personal) values, e.g. {"id_number": "<hex>"}:
    #: what matching, blocking and survivorship compare instead of the plaintext.
    blind_index = models.JSONField(_("blind index"), default=dict, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    golden_code = models.CharField(_("golden code"), max_length=20, blank=True)
    link_kind = models.CharField(
        _("link"), max_length=10, choices=SourceRecordLinkChoices, default="new"
    )
    link_score = models.FloatField(_("score"), null=True, blank=True)
    #: Why the matcher decided ``link_kind`` when the record was written: the per-field
    #: comparison with the candidate it joined (auto), was queued with (review) or scored best
    #: against (new); None when it had no candidate, or when a merge or a steward moved it since.
    link_explanation = models.JSONField(_("match explanation"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The history is read by record and by date; the system is a column of it, not an index.
    history = TranslatedHistory(no_db_index=["system"])
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    objects = SourceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("source record")
        verbose_name_plural = _("source records")
        ordering = ["system__code", "local_code"]
        # Local code first: a batch of local codes is always looked up code by code. An index
        # leading with the system let the planner, with statistics older than a system's first
        # import, read all of that system's records for each batch instead (59 ms for 500
        # codes among 94,000 records, growing with every batch; 0.8 ms code by code).
        constraints = [
            models.UniqueConstraint(
                fields=["local_code", "system", "entity"], name="sourcerecord_unique_local_code"
            )
        ]
        indexes = [
            models.Index(fields=["golden_code", "is_active"], name="sourcerecord_golden_idx")
        ]

    def __str__(self) -> str:
        return f"{self.system.code}:{self.local_code}"
