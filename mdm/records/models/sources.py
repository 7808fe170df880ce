"""Source systems and the records they send. The source records of a golden record are its crosswalk."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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
            _("%(value)s 不是 ISO 3166-1 二位国家代码 is not an ISO 3166-1 alpha-2 country code"),
            code="invalid_country",
            params={"value": value},
        )


def all_entities() -> list[str]:
    """Default grant of a source system: every entity."""
    return list(EntityChoices.values)


class SourceSystem(models.Model):
    """An ERP, CRM, shop or any system that keeps its own records and codes."""

    code = models.CharField(
        _("系统代码 system code"),
        max_length=20,
        unique=True,
        help_text=_("如 ERP、CRM、ECOM e.g. ERP, CRM, ECOM"),
    )
    name = models.CharField(_("系统名称 name"), max_length=100)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="source_system",
        verbose_name=_("服务账号 service account"),
    )
    #: Survivorship trust per attribute, e.g. {"credit_code": 1, "phone": 3}: lower wins.
    trust = models.JSONField(_("可信度 trust ranks"), default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("默认优先级 default priority"), default=100, help_text=_("数值越小越优先 lower wins")
    )
    #: Where the system is: a phone number it sends without an international prefix is read as
    #: a number of this country (a US shop's 310/246-1501 is +13102461501, not a Chinese one).
    country = models.CharField(
        _("国家 country"),
        max_length=2,
        default=DEFAULT_COUNTRY,
        validators=[validate_country],
        help_text=_(
            "ISO 3166-1 二位代码；未写国际区号的电话号码按此国家解析 "
            "ISO 3166-1 alpha-2; phone numbers without an international prefix are read in it"
        ),
    )
    is_active = models.BooleanField(_("启用 active"), default=True)
    #: Entities the system may read and write, e.g. ["customers"]; the others answer 403.
    granted_entities = models.JSONField(
        _("授权实体 granted entities"), default=all_entities, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = SourceSystemQuerySet.as_manager()

    class Meta:
        verbose_name = _("源系统 source system")
        verbose_name_plural = _("源系统 source systems")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def is_granted(self, entity: str | None) -> bool:
        """May the system use ``entity``? (An unknown entity is left to answer 404.)"""
        if entity is None or entity not in EntityChoices.values:
            return True
        return entity in (self.granted_entities or [])


class SourceRecordLinkChoices(models.TextChoices):
    AUTO = "auto", _("自动匹配 Auto")
    REVIEW = "review", _("待审核 Review")
    NEW = "new", _("新建 New")
    STEWARD = "steward", _("人工 Steward")


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
        verbose_name=_("源系统 system"),
        db_index=False,
    )
    entity = models.CharField(_("实体 entity"), max_length=20, choices=EntityChoices)
    local_code = models.CharField(_("本地编码 local code"), max_length=100)
    raw = models.JSONField(_("原始数据 raw payload"), default=dict)
    attributes = models.JSONField(_("标准化属性 standardized attributes"), default=dict)
    flagged = models.JSONField(_("标记的数据元 flagged elements"), default=list, blank=True)
    warnings = models.JSONField(_("警告 warnings"), default=list, blank=True)
    #: Keyed hashes of the encrypted (sensitive personal) values, e.g. {"id_number": "<hex>"}:
    #: what matching, blocking and survivorship compare instead of the plaintext.
    blind_index = models.JSONField(_("盲索引 blind index"), default=dict, blank=True)
    fingerprint = models.CharField(_("指纹 fingerprint"), max_length=64)
    golden_code = models.CharField(_("全局编码 golden code"), max_length=20, blank=True)
    link_kind = models.CharField(
        _("关联方式 link"), max_length=10, choices=SourceRecordLinkChoices, default="new"
    )
    link_score = models.FloatField(_("匹配得分 score"), null=True, blank=True)
    #: Why the matcher decided ``link_kind`` when the record was written: the per-field
    #: comparison with the candidate it joined (auto), was queued with (review) or scored best
    #: against (new); None when it had no candidate, or when a merge or a steward moved it since.
    link_explanation = models.JSONField(_("匹配说明 match explanation"), null=True, blank=True)
    is_active = models.BooleanField(_("有效 active"), default=True)
    created_at = models.DateTimeField(_("创建时间 created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间 updated"), auto_now=True)
    # The history is read by record and by date; the system is a column of it, not an index.
    history = HistoricalRecords(no_db_index=["system"])

    objects = SourceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("源记录 source record")
        verbose_name_plural = _("源记录 source records")
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
