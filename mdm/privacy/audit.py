"""Writing the audit log: every read of unmasked personal data and every unmask action.

Called by the API views and the admin right where the clear values are handed out, in the same
request; a read that cannot be logged is not served (the caller's transaction fails).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request

from mdm.errors import ServiceError
from mdm.models import AuditLog, AuditLogActionChoices, AuditLogChannelChoices

MAX_REASON = 300
REASON_HEADER = "X-Access-Reason"


def client_ip(request: HttpRequest | Request | None) -> str:
    """The client's address: ``MDM_CLIENT_IP_HEADER`` when a trusted proxy sets it."""
    if request is None:
        return ""
    header = getattr(settings, "MDM_CLIENT_IP_HEADER", "REMOTE_ADDR") or "REMOTE_ADDR"
    value = request.META.get(header) or request.META.get("REMOTE_ADDR") or ""
    return value.split(",")[0].strip()[:64]


def access_reason(request: HttpRequest | Request) -> str:
    """The reason given for an unmask (``X-Access-Reason``); required."""
    reason = str(request.headers.get(REASON_HEADER, "") or "").strip()
    if not reason:
        raise ServiceError(
            f"查看未脱敏数据须在 {REASON_HEADER} 头中说明理由",
            f"Unmasking needs a reason in the {REASON_HEADER} header",
            code="reason_required",
        )
    return reason[:MAX_REASON]


def log_personal_data_access(
    *,
    actor: Any,
    action: str,
    channel: str,
    entity: str,
    record: str,
    fields: Iterable[str],
    reason: str,
    request: HttpRequest | Request | None = None,
) -> AuditLog:
    """Append one audit row: who read which fields of which record, why and from where."""
    user = actor if getattr(actor, "pk", None) else None
    return AuditLog.objects.create(
        actor=user,
        actor_name=getattr(user, "username", "") or "",
        action=action,
        channel=channel,
        entity=entity,
        record=record[:200],
        fields=sorted(set(fields)),
        reason=(reason or "")[:MAX_REASON],
        ip=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:300] if request else "",
    )


UNMASK = AuditLogActionChoices.UNMASK
READ = AuditLogActionChoices.READ
EXPORT = AuditLogActionChoices.EXPORT
API = AuditLogChannelChoices.API
ADMIN = AuditLogChannelChoices.ADMIN
COMMAND = AuditLogChannelChoices.COMMAND
