"""Helpers of the data migrations that change stored rules (not a migration: the loader skips
modules whose names start with an underscore)."""

from __future__ import annotations

from collections.abc import Callable


def change_stored_rules(
    apps, entity: str, change: Callable[[dict], bool], *, replaced: bool = False
) -> None:
    """Apply ``change`` (a rule's config -> whether it changed it) to every stored rule of
    ``entity``: the entity's rules and rollout candidates, and with ``replaced`` the rule a
    rollout replaced (what a rollback restores). A row is saved only when something changed."""
    for name in ("MatchRuleConfig", "MatchRuleRollout"):
        model = apps.get_model("matching", name)
        for row in model.objects.filter(entity=entity):
            fields = ["config"] if change(row.config) else []
            previous = getattr(row, "previous", None) if replaced else None
            if isinstance(previous, dict) and change(previous.get("config") or {}):
                fields.append("previous")
            if fields:
                row.save(update_fields=fields)
