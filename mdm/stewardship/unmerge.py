"""A steward's unmerge: a source record leaves its golden record, and the merge that brought it
in is undone (the former golden record and its members come back), in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from matching.models import MatchCandidateStatusChoices
from mdm.db.bulk_sql import update_rows_with_history
from mdm.errors import Conflict, NotFound
from mdm.feed.events import golden_payload, write_events
from mdm.linking.review import settle_review_links
from mdm.models import (
    Event,
    EventKindChoices,
    GoldenRecord,
    GoldenStatusChoices,
    SourceRecord,
    SourceRecordLinkChoices,
    golden_model,
)
from mdm.records.codes import allocate_golden_code
from mdm.records.golden import refresh_goldens
from mdm.stewardship.actions import checked_reason, live_golden, mark_pairs


def _arrivals(record_ids: Iterable[int], current: str) -> dict[int, tuple[str, Any]]:
    """Record id -> (golden code it came from, when) for its latest stay in ``current``: the
    history read newest first, the rows in ``current`` skipped, the next one names where it
    came from (one query). Records that never were elsewhere are left out."""
    arrivals: dict[int, tuple[str, Any]] = {}
    staying: dict[int, Any] = {}  # id -> date of the oldest row of its stay so far
    done: set[int] = set()
    rows = (
        SourceRecord.history.filter(id__in=list(record_ids))
        .order_by("id", "-history_date", "-history_id")
        .values_list("id", "golden_code", "history_date")
    )
    for pk, code, date in rows:
        if pk in done:
            continue
        if code == current:
            staying[pk] = date
            continue
        done.add(pk)
        if code and pk in staying:
            arrivals[pk] = (code, staying[pk])
    return arrivals


def _merge_window(restored: GoldenRecord, current: GoldenRecord) -> tuple[Any, Any] | None:
    """(after, until): the dates between which the latest merge of ``restored`` into
    ``current`` moved its members (after its history row before the merge, until the row that
    marks it merged); None when no such merge is in its history."""
    rows = list(
        restored.history.order_by("-history_date", "-history_id").values_list(
            "status", "merged_into_id", "history_date"
        )
    )
    for position, (status, merged_into, date) in enumerate(rows):
        if status == GoldenStatusChoices.MERGED and merged_into == current.pk:
            older = rows[position + 1][2] if position + 1 < len(rows) else None
            return older, date
    return None


def _moved_by_merge(arrival: tuple[str, Any] | None, code: str, window) -> bool:
    """Did the merge of ``code`` (``window``: ``_merge_window``) bring this record in?"""
    if arrival is None or window is None or arrival[0] != code:
        return False
    after, until = window
    return (after is None or arrival[1] > after) and arrival[1] <= until


def _links_in(record_ids: Iterable[int], golden_code: str) -> dict[int, tuple]:
    """Record id -> (link kind, score, explanation) of its last history row in ``golden_code``:
    how it was linked there before a merge moved it away (one query)."""
    links: dict[int, tuple] = {}
    rows = (
        SourceRecord.history.filter(id__in=list(record_ids), golden_code=golden_code)
        .order_by("id", "-history_date", "-history_id")
        .values_list("id", "link_kind", "link_score", "link_explanation")
    )
    for pk, *link in rows:
        links.setdefault(pk, tuple(link))
    return links


def _restorable(entity: str, code: str, current: GoldenRecord) -> GoldenRecord | None:
    """The golden record ``code``, locked, when a merge into ``current`` retired it (or, for a
    merge that an earlier unmerge undid in part, retired it once); else None."""
    restored = golden_model(entity).objects.select_for_update().filter(code=code).first()
    if restored is None:
        return None
    if restored.status == GoldenStatusChoices.MERGED:
        return restored if restored.merged_into_id == current.pk else None
    if restored.status == GoldenStatusChoices.ACTIVE:
        return restored if restored.history.filter(merged_into_id=current.pk).exists() else None
    return None


def unmerge_source_record(
    *, entity: str, system_code: str, local_code: str, actor, reason: str
) -> GoldenRecord:
    """Take a source record out of its golden record; undo the merge that brought it in.

    1. When a merge into the current golden record retired the record's former one, that merge
       is undone: the former golden record comes back under its code with every member that
       came with it (the record's former siblings, found in the history), each linked as it
       was before the merge. Else the record alone gets a new golden record.
    2. The pairs between the records that leave and the members that stay become steward
       rejections, so matching never merges them back; the leaving records' pairs among
       themselves are left alone (they were one golden record before, and are again).
    3. Both golden records are recomputed from their members, whose ``updated_at`` the move
       leaves alone (a steward's action is no new source data): merge then unmerge gives back
       the values, lineage, codes and crosswalk of before. Events: ``unmerged`` for the
       record's golden record (``moved`` lists the members that left with it),
       ``updated``/``crosswalk`` for the one it left.
    """
    reason = checked_reason(reason)
    by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        found = (
            SourceRecord.objects.filter(
                system__code=system_code, entity=entity, local_code=local_code, is_active=True
            )
            .values_list("pk", "golden_code")
            .first()
        )
        if found is None:
            raise NotFound("源记录不存在", "Source record not found")
        # Golden record first, then its members in primary-key order: the order merges lock in.
        current = live_golden(entity, found[1])
        members = list(
            SourceRecord.objects.select_for_update(of=("self",))
            .filter(golden_code=current.code, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if found[0] not in members:
            raise Conflict(
                "该记录刚被移动，请重试",
                "The record has just moved: try again",
                code="moved",
            )
        if len(members) == 1:
            raise Conflict(
                "该记录是唯一成员，无需拆分",
                "The record is the only member: nothing to unmerge",
                code="only_member",
            )
        arrivals = _arrivals(members, current.code)
        arrival = arrivals.get(found[0])
        restored = _restorable(entity, arrival[0], current) if arrival else None
        window = _merge_window(restored, current) if restored is not None else None
        if restored is not None and not _moved_by_merge(arrival, restored.code, window):
            # It came in some other way (matched, moved back by an earlier unmerge): alone.
            restored = None
        leaving = [found[0]]
        if restored is not None:
            leaving = [
                pk for pk in members if _moved_by_merge(arrivals.get(pk), restored.code, window)
            ]
            if len(leaving) == len(members):
                # Nothing of the current golden record's own would stay: the record alone.
                leaving = [found[0]]
        staying = [pk for pk in members if pk not in leaving]
        if restored is not None:
            target, new_codes, existing = restored.code, set(), [current, restored]
            links = _links_in(leaving, target)
            link_columns = [
                links.get(pk, (SourceRecordLinkChoices.STEWARD, None, None)) for pk in leaving
            ]
            if restored.status != GoldenStatusChoices.ACTIVE:
                restored.status = GoldenStatusChoices.ACTIVE
                restored.merged_into = None
                restored._history_user = by
                restored._change_reason = reason
                restored.save()
        else:
            target = allocate_golden_code(entity)
            new_codes, existing = {target}, [current]
            link_columns = [(SourceRecordLinkChoices.STEWARD, None, None)]
        update_rows_with_history(
            SourceRecord,
            leaving,
            {
                "golden_code": [target] * len(leaving),
                "link_kind": [link[0] for link in link_columns],
                "link_score": [link[1] for link in link_columns],
                "link_explanation": [link[2] for link in link_columns],
            },
            user=by,
            reason=reason,
        )
        mark_pairs(
            entity,
            [(a, b) for a in leaving for b in staying],
            MatchCandidateStatusChoices.REJECTED,
            actor,
            reason,
        )
        # A restored ``review`` label waited for a pair that is decided now.
        settle_review_links(entity, [target], actor, reason)
        goldens = refresh_goldens(
            entity,
            existing=existing,
            new_codes=new_codes,
            crosswalk_changed={current.code, target},
            actor=by,
            reason=reason,
        )
        result = goldens[target]
        # The golden record left always gets a history row of its own: it dates the members'
        # leaving, so that a later merge's window (``_merge_window``) excludes them.
        left = goldens[current.code]
        left._history_user, left._change_reason = by, reason
        left.save(update_fields=["updated_at"])
        moved = [
            {"system": system, "local_code": code}
            for system, code in SourceRecord.objects.filter(pk__in=leaving)
            .order_by("system__code", "local_code")
            .values_list("system__code", "local_code")
        ]
        write_events(
            [
                Event(
                    entity=entity,
                    golden_code=target,
                    kind=EventKindChoices.UNMERGED,
                    payload=golden_payload(result)
                    | {
                        "unmerged_from": current.code,
                        "member": {"system": system_code, "local_code": local_code},
                        "moved": moved,
                    },
                )
            ]
        )
        return result
