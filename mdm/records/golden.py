"""Recomputing golden records from their members and writing the events their changes deserve.

Works on a set of golden codes at once (a batch of upserts, a merge, a retirement): one query
for the members of all of them, one bulk write per kind of change, history rows included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from django.db import connection
from django.utils import timezone

from dictionary.services import compiled_elements
from mdm.db.bulk_copy import create_objects_with_history
from mdm.db.bulk_sql import ensure_statistics, update_objects_with_history
from mdm.feed.events import golden_payload, write_events
from mdm.feed.webhooks import schedule_dispatch
from mdm.models import (
    Event,
    EventKindChoices,
    GoldenRecord,
    GoldenStatusChoices,
    SourceRecord,
    SourceRecordLinkChoices,
    SourceSystem,
    golden_model,
)
from mdm.records.survivorship import (
    apply_golden_values,
    linked_by_identifier_alone,
    survive_values,
)

GOLDEN_FIELDS = ("status", "extra", "lineage", "updated_at")


#: What survivorship never reads of a member (see ``active_members``).
_UNREAD = ("raw", "warnings", "link_explanation")
_MEMBERS_SQL = (
    "SELECT "  # noqa: S608
    + ", ".join(
        f.column for f in SourceRecord._meta.concrete_fields if f.name not in _UNREAD and f.column
    )
    + f" FROM {SourceRecord._meta.db_table} WHERE golden_code = ANY(%s) AND is_active ORDER BY id"
)
_SYSTEMS_SQL = f"SELECT * FROM {SourceSystem._meta.db_table} WHERE id = ANY(%s)"  # noqa: S608


def lock_goldens(entity: str, codes: Collection[str]) -> list[GoldenRecord]:
    """The golden records of ``codes``, locked (``FOR UPDATE``), in id order."""
    if not codes:
        return []
    model = golden_model(entity)
    if connection.vendor == "postgresql":
        # Hand-written: every upsert asks, and the ORM's building of it cost more than it.
        return list(
            model.objects.raw(
                f"SELECT * FROM {model._meta.db_table} "  # noqa: S608
                "WHERE code = ANY(%s) ORDER BY id FOR UPDATE",
                [sorted(codes)],
            )
        )
    return list(model.objects.select_for_update().filter(code__in=codes).order_by("pk"))


def active_members(codes: Collection[str]) -> dict[str, list[SourceRecord]]:
    """Active source records of each golden code, in one query.

    Survivorship reads the members' standardized values and their systems' ranks, never the
    payload as received: ``raw``, ``warnings`` and the match explanation stay in the database.
    The few source systems are fetched once and shared by their records, instead of one copy
    per row.
    """
    members: dict[str, list[SourceRecord]] = defaultdict(list)
    if codes:
        ensure_statistics(SourceRecord)
        if connection.vendor == "postgresql":
            # Hand-written, the same rows and fields: every upsert that links asks.
            records = list(SourceRecord.objects.raw(_MEMBERS_SQL, [list(codes)]))
            ids = sorted({r.system_id for r in records})
            raw_systems = SourceSystem.objects.raw(_SYSTEMS_SQL, [ids]) if ids else []
            systems = {s.pk: s for s in raw_systems}
        else:
            records = list(
                SourceRecord.objects.filter(golden_code__any=codes, is_active=True)
                .defer(*_UNREAD)
                .order_by("pk")
            )
            systems = SourceSystem.objects.in_bulk({r.system_id for r in records})
        for record in records:
            record.system = systems[record.system_id]
            members[record.golden_code].append(record)
    return members


def identifier_only_members(
    members: Mapping[str, list[SourceRecord]], elements: Collection[str]
) -> set[int]:
    """Ids of the auto-linked members that an identifier alone linked, among golden records
    with more than one member (only there can it matter: between systems of equal trust too,
    where it must not win on recency); their link explanations are read for the auto-linked
    members of those records only (one query)."""
    ids = []
    for records in members.values():
        if len(records) < 2:
            continue
        ids += [r.pk for r in records if r.link_kind == SourceRecordLinkChoices.AUTO and r.pk]
    if not ids:
        return set()
    return {
        pk
        for pk, explanation in SourceRecord.objects.filter(pk__any=ids).values_list(
            "pk", "link_explanation"
        )
        if linked_by_identifier_alone(explanation)
    }


def _member_refs(records: Iterable[SourceRecord]) -> list[dict[str, str]]:
    return sorted(
        ({"system": r.system.code, "local_code": r.local_code} for r in records),
        key=lambda m: (m["system"], m["local_code"]),
    )


def refresh_goldens(
    entity: str,
    *,
    existing: Iterable[GoldenRecord] = (),
    new_codes: Collection[str] = (),
    crosswalk_changed: Collection[str] = (),
    actor=None,
    reason: str = "",
    events_before: Iterable[Event] = (),
    new_members: Mapping[str, list[SourceRecord]] | None = None,
    reactivated: Mapping[str, list[dict[str, str]]] | None = None,
) -> dict[str, GoldenRecord]:
    """Recompute golden records from their active members; create the new ones.

    1. Fetch the members of all codes in one query. ``new_members``: the members of the new
       codes, held by the caller that just stored them (in id order, with their system set);
       only the other codes' members are then read back.
    2. Survivorship per golden record (locked values win; see services.survivorship).
    3. A golden record left without members is retired.
    4. Write new records, changed records (with history) and one outbox event per change:
       ``created``, ``updated`` (values changed), ``crosswalk`` (members changed only),
       ``retired``. ``reactivated``: golden code -> the members (system, local code) that
       came back after their system had deleted them; a retired golden record they come back
       to is active again (an ``updated`` event), and the event notes them as ``reactivated``.
       ``events_before`` (the caller's own, e.g. a merge's ``merged`` events)
       go first in the same insert: the outbox lock is taken once, as the transaction's last
       step (``mdm.feed.outbox``).
    """
    model = golden_model(entity)
    goldens = {g.code: g for g in existing}
    created = {code: model(code=code) for code in new_codes}
    goldens.update(created)
    if new_members is None:
        members = active_members(list(goldens))
    else:
        members = active_members([code for code in goldens if code not in created])
        members.update({code: new_members.get(code, []) for code in created})
    elements = compiled_elements(entity)
    weak = identifier_only_members(members, list(elements))
    now = timezone.now()
    to_update: list[GoldenRecord] = []
    events: list[Event] = list(events_before)
    for code, golden in goldens.items():
        records = members.get(code, [])
        if not records and code not in created:
            if golden.status == GoldenStatusChoices.ACTIVE:
                golden.status = GoldenStatusChoices.RETIRED
                golden.updated_at = now
                to_update.append(golden)
                events.append(_event(golden, EventKindChoices.RETIRED, []))
            continue
        values, lineage = survive_values(
            entity, records, golden.locked, elements=elements, weak=weak
        )
        changed = apply_golden_values(golden, values, lineage)
        back = (reactivated or {}).get(code)
        if back and golden.status == GoldenStatusChoices.RETIRED:
            golden.status = GoldenStatusChoices.ACTIVE
            changed = True
        if code in created:
            golden.created_at = golden.updated_at = now
            events.append(_event(golden, EventKindChoices.CREATED, records))
        elif changed:
            golden.updated_at = now
            to_update.append(golden)
            events.append(_event(golden, EventKindChoices.UPDATED, records))
        elif code in crosswalk_changed or back:
            events.append(_event(golden, EventKindChoices.CROSSWALK, records))
        if back and code not in created:
            events[-1].payload["reactivated"] = back
    if created:
        create_objects_with_history(
            list(created.values()), model, user=actor, reason=reason or "created"
        )
    if to_update:
        fields = list(dict.fromkeys([*GOLDEN_FIELDS, *model.TYPED_ATTRIBUTES]))
        update_objects_with_history(
            to_update, model, fields, user=actor, reason=reason or "recomputed"
        )
    if events:
        write_events(events)
        schedule_dispatch()
    return goldens


def _event(golden: GoldenRecord, kind: str, records: Iterable[SourceRecord]) -> Event:
    return Event(
        entity=golden.ENTITY,
        golden_code=golden.code,
        kind=kind,
        payload=golden_payload(golden, _member_refs(records)),
    )
