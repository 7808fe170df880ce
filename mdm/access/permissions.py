"""Who may call what: a source system only its own records; stewards by their role."""

from __future__ import annotations

from rest_framework import permissions

from mdm.errors import NotFound
from mdm.models import SourceSystem
from mdm.records.entities import check_entity


def system_of(user) -> SourceSystem | None:
    """The source system whose service account ``user`` is, if any."""
    if not user or not user.is_authenticated:
        return None
    try:
        system = user.source_system
    except SourceSystem.DoesNotExist:
        return None
    return system if system.is_active else None


class SourceRecordAccess(permissions.BasePermission):
    """A system reads and writes only its own path; users need the model permissions."""

    message = "无权访问该源系统的记录 / Not allowed to access this source system's records"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        # The contract answers an unknown system or entity with 404 for every caller; a system
        # that exists but is not the caller's stays a 403.
        own = system_of(user)
        code = view.kwargs.get("system")
        if (own is None or own.code != code) and not SourceSystem.objects.filter(
            code=code
        ).exists():
            raise NotFound(
                f"未知源系统 {code}", f"Unknown source system {code}", code="unknown_system"
            )
        check_entity(view.kwargs.get("entity"))
        if own is not None:
            # Its own records, of the entities it is granted only.
            return own.code == view.kwargs.get("system") and own.is_granted(
                view.kwargs.get("entity")
            )
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm("mdm.view_sourcerecord")
        return user.has_perm("mdm.change_sourcerecord")


class HubReadAccess(permissions.BasePermission):
    """Reading golden records, crosswalk and events: a source system (of the entities it is
    granted), or users with view rights. Auditors have none: they read history and audit logs."""

    message = "无权读取 / Not allowed to read"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or request.method not in permissions.SAFE_METHODS:
            return False
        if "entity" in view.kwargs:
            check_entity(view.kwargs["entity"])
        system = system_of(user)
        if system is not None:
            return system.is_granted(view.kwargs.get("entity"))
        return user.has_perm("mdm.view_sourcerecord")
