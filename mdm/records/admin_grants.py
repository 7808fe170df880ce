"""Crosswalk grants in the admin: which source system may read which other system's codes.

Adding and deleting go through ``mdm.access.code_grants`` (the one write path, with the
history's user and reason); a grant is never edited, only added or taken back.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from mdm.access.code_grants import grant_crosswalk, revoke_crosswalk
from mdm.models import CrosswalkGrant


@admin.register(CrosswalkGrant)
class CrosswalkGrantAdmin(SimpleHistoryAdmin):
    list_display = ("reader", "owner", "created_at")
    list_filter = ("reader", "owner")
    list_select_related = ("reader", "owner")
    search_fields = ("reader__code", "owner__code")
    fields = ("reader", "owner")

    def has_change_permission(self, request, obj=None) -> bool:
        # The add form saves through the change machinery; an existing grant is read-only.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        grant_crosswalk(
            reader=obj.reader.code,
            owners=[obj.owner.code],
            actor=request.user,
            reason=str(_("granted in the admin")),
        )
        stored = CrosswalkGrant.objects.get(reader=obj.reader, owner=obj.owner)
        obj.pk, obj.created_at = stored.pk, stored.created_at

    def delete_model(self, request, obj) -> None:
        revoke_crosswalk(
            reader=obj.reader.code,
            owners=[obj.owner.code],
            actor=request.user,
            reason=str(_("revoked in the admin")),
        )

    def delete_queryset(self, request, queryset) -> None:
        for grant in queryset.select_related("reader", "owner").order_by("pk"):
            self.delete_model(request, grant)
