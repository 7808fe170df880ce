"""Which source systems' local codes a caller may read: a grant per pair of systems.

A source system sees its own local codes, the golden codes, and the codes of the systems it is
granted (``CrosswalkGrant``: reader -> owner, one row per direction); stewards and viewers
(users, not systems) see every system's. ``readable_systems`` says which, and the
``visible_*`` functions cut members, lineage and event payloads to it: the crosswalk API, the
golden record API, the change feed, the webhooks and ``export_crosswalk --for`` all go through
here. ``grant_crosswalk`` / ``revoke_crosswalk`` are the one write path (admin and command).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, overload

from django.db import connection, transaction

from mdm.db.bulk_sql import column_of, concrete_field
from mdm.errors import Forbidden, NotFound
from mdm.models import CrosswalkGrant, SourceSystem

#: What a caller may read: the codes of these systems, or of every system (None).
Readable = frozenset[str] | None


@overload
def readable_systems(system: SourceSystem) -> frozenset[str]: ...
@overload
def readable_systems(system: None) -> None: ...
def readable_systems(system: SourceSystem | None) -> Readable:
    """The systems whose local codes ``system`` may read: itself and those it is granted
    (one query); None (every system) for a caller that is no source system.

    Asked by every crosswalk look-up and golden record read of a source system, so the query
    is written by hand, as ``CrosswalkGrant.objects.readable_by(system)`` selects it: building
    that through the ORM (with the model's ordering, a second join) cost more than the
    look-up itself."""
    if system is None:
        return None
    qn = connection.ops.quote_name
    grant, owner = CrosswalkGrant._meta, SourceSystem._meta
    columns = {
        name: qn(column_of(concrete_field(model, field)))
        for name, model, field in (
            ("code", SourceSystem, "code"),
            ("id", SourceSystem, "id"),
            ("active", SourceSystem, "is_active"),
            ("owner", CrosswalkGrant, "owner"),
            ("reader", CrosswalkGrant, "reader"),
        )
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.{columns['code']} FROM {qn(grant.db_table)} g "
            f"JOIN {qn(owner.db_table)} o ON o.{columns['id']} = g.{columns['owner']} "
            f"WHERE g.{columns['reader']} = %s AND o.{columns['active']}",
            [system.pk],
        )
        granted = [code for (code,) in cursor.fetchall()]
    return frozenset({system.code, *granted})


def may_read(readable: Readable, system_code: str) -> bool:
    return readable is None or system_code in readable


def check_readable(readable: Readable, system_code: str) -> None:
    """Refuse (403) reading or translating ``system_code``'s local codes without a grant."""
    if not may_read(readable, system_code):
        raise Forbidden(
            f"未获授权读取 {system_code} 的本地编码",
            f"Not granted to read {system_code}'s local codes",
            code="not_granted",
        )


def visible_members(members: Iterable[Mapping[str, Any]], readable: Readable) -> list:
    """The members whose system the caller may read."""
    return [m for m in members if may_read(readable, str(m.get("system", "")))]


def visible_lineage(lineage: Mapping[str, Any], readable: Readable) -> dict[str, Any]:
    """Lineage without the local code and record id of a system the caller may not read (the
    rule and the system that gave the value stay)."""
    if readable is None:
        return dict(lineage)
    shown = {}
    for attr, source in lineage.items():
        if isinstance(source, Mapping) and not may_read(readable, str(source.get("system", ""))):
            source = {k: v for k, v in source.items() if k not in ("local_code", "source_record")}
        shown[attr] = source
    return shown


def visible_payload(payload: Mapping[str, Any], readable: Readable) -> dict[str, Any]:
    """An event payload as a reader sees it: members (``members``, ``moved``, ``reactivated``,
    the unmerged ``member``) of systems it may not read left out."""
    if readable is None:
        return dict(payload)
    shown = dict(payload)
    for key in ("members", "moved", "reactivated"):
        if isinstance(shown.get(key), list):
            shown[key] = visible_members(
                (m for m in shown[key] if isinstance(m, Mapping)), readable
            )
    member = shown.get("member")
    if isinstance(member, Mapping) and not may_read(readable, str(member.get("system", ""))):
        del shown["member"]
    if isinstance(shown.get("lineage"), Mapping):
        shown["lineage"] = visible_lineage(shown["lineage"], readable)
    return shown


def systems_named(codes: Iterable[str]) -> list[SourceSystem]:
    wanted = sorted({c.strip().upper() for c in codes if c and c.strip()})
    found = {s.code: s for s in SourceSystem.objects.filter(code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(
            f"未知源系统 {', '.join(missing)}",
            f"Unknown source system {', '.join(missing)}",
            code="unknown_system",
        )
    return [found[c] for c in wanted]


def grant_crosswalk(
    *, reader: str, owners: Iterable[str], both_ways: bool = False, actor=None, reason: str = ""
) -> int:
    """Let ``reader`` read each owner's local codes (and, ``both_ways``, each owner read the
    reader's); returns the grants added. Granting twice changes nothing."""
    (reader_system,) = systems_named([reader])
    owner_systems = [s for s in systems_named(owners) if s.pk != reader_system.pk]
    pairs = [(reader_system, o) for o in owner_systems]
    if both_ways:
        pairs += [(o, reader_system) for o in owner_systems]
    added = 0
    with transaction.atomic():
        for a, b in pairs:
            grant, created = CrosswalkGrant.objects.get_or_create(reader=a, owner=b)
            if created:
                added += 1
                # get_or_create saved the row already; its history row names who and why.
                row = grant.history.order_by("-history_id").first()
                if row is not None:
                    row.history_user = actor if getattr(actor, "pk", None) else None
                    row.history_change_reason = (reason or "grant")[:100]
                    row.save(update_fields=["history_user", "history_change_reason"])
    return added


def revoke_crosswalk(
    *, reader: str, owners: Iterable[str], both_ways: bool = False, actor=None, reason: str = ""
) -> int:
    """Take back ``reader``'s grants to read the owners' codes; returns the grants removed."""
    (reader_system,) = systems_named([reader])
    owner_systems = systems_named(owners)
    pairs = [(reader_system.pk, o.pk) for o in owner_systems]
    if both_ways:
        pairs += [(o.pk, reader_system.pk) for o in owner_systems]
    removed = 0
    with transaction.atomic():
        for grant in CrosswalkGrant.objects.filter(
            reader__in=[a for a, _ in pairs], owner__in=[b for _, b in pairs]
        ).order_by("pk"):
            if (grant.reader_id, grant.owner_id) in pairs:
                grant._history_user = actor if getattr(actor, "pk", None) else None
                grant._change_reason = (reason or "revoke")[:100]
                grant.delete()
                removed += 1
    return removed
