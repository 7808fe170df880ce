"""The audit log of personal-data reads (append-only) and the admin login failure counters."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogActionChoices(models.TextChoices):
    UNMASK = "unmask", _("Unmask")
    READ = "read", _("Read personal data")
    EXPORT = "export", _("Export")


class AuditLogChannelChoices(models.TextChoices):
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    COMMAND = "command", _("Command")


class AppendOnlyError(Exception):
    """The audit log is never changed or deleted, by anyone."""


class AuditLogQuerySet(models.QuerySet["AuditLog"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")


class AuditLog(models.Model):
    """Who read which personal data of which record, when, why and from where.

    Append-only: ``save`` refuses updates, ``delete`` refuses, and on PostgreSQL a trigger
    refuses UPDATE and DELETE on the table. The actor's name is copied so that a deleted
    account's reads stay attributable.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("account"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=AuditLogActionChoices)
    channel = models.CharField(_("channel"), max_length=10, choices=AuditLogChannelChoices)
    entity = models.CharField(_("entity"), max_length=20, blank=True)
    record = models.CharField(_("record"), max_length=200, blank=True, db_index=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    ip = models.CharField(_("IP"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        permissions = [
            ("view_personal_data", _("Can view unmasked personal data")),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.record}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")


class LoginFailure(models.Model):
    """Failed admin logins of one username from one address; locks it after too many."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login failure")
        verbose_name_plural = _("login failures")
        constraints = [
            models.UniqueConstraint(fields=["username", "ip"], name="loginfailure_unique_user_ip")
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip}: {self.failures}"
