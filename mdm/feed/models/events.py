"""The transactional outbox: one row per golden change, written in the change's transaction."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dictionary.models import EntityChoices


class EventKindChoices(models.TextChoices):
    CREATED = "created", _("创建 created")
    UPDATED = "updated", _("更新 updated")
    MERGED = "merged", _("合并 merged")
    UNMERGED = "unmerged", _("拆分 unmerged")
    RETIRED = "retired", _("停用 retired")
    CROSSWALK = "crosswalk", _("映射变更 crosswalk")


class Event(models.Model):
    """A change of a golden record, in ascending sequence, for the change feed and webhooks."""

    seq = models.BigAutoField(primary_key=True)
    entity = models.CharField(_("实体 entity"), max_length=20, choices=EntityChoices)
    golden_code = models.CharField(_("全局编码 golden code"), max_length=20, db_index=True)
    kind = models.CharField(_("类型 kind"), max_length=10, choices=EventKindChoices)
    payload = models.JSONField(_("内容 payload"), default=dict)
    created_at = models.DateTimeField(_("时间 time"), auto_now_add=True)

    class Meta:
        verbose_name = _("变更事件 event")
        verbose_name_plural = _("变更事件 events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["entity", "seq"], name="event_entity_seq_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.golden_code}"
