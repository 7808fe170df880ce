"""The entities the hub keeps golden records of, as the dictionary names them."""

from __future__ import annotations

from dictionary.models import EntityChoices
from mdm.errors import NotFound


def check_entity(entity: str) -> None:
    """Refuse an entity the dictionary does not know (404: a path names it)."""
    if entity not in EntityChoices.values:
        raise NotFound("未知实体 " + entity, "Unknown entity " + entity, code="unknown_entity")
