"""What data stewards do: decide candidates, merge, unmerge, lock values, retire golden records.

Every action runs in one transaction, records the steward and the reason in the history, and
writes outbox events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from dictionary.services import standardize_and_validate
from matching.models import BlockKey, MatchCandidate, MatchCandidateStatusChoices
from mdm.db.bulk_sql import update_rows_with_history
from mdm.errors import Conflict, NotFound, RecordRejected, ServiceError
from mdm.feed.events import golden_payload, write_events
from mdm.linking.merge import merge_golden_records
from mdm.linking.review import settle_review_links, siblings_of
from mdm.models import (
    Event,
    EventKindChoices,
    GoldenRecord,
    GoldenStatusChoices,
    SourceRecord,
    SourceRecordLinkChoices,
    golden_model,
)
from mdm.privacy.crypto import seal_value
from mdm.records.aliases import learn_from_pair
from mdm.records.codes import allocate_golden_code
from mdm.records.golden import refresh_goldens

#: The history keeps a change reason in 100 characters (django-simple-history's column).
MAX_REASON = 100


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写理由", "A reason is required", code="reason_required")
    return reason[:MAX_REASON]


def _live_golden(entity: str, code: str, *, lock: bool = True) -> GoldenRecord:
    queryset = golden_model(entity).objects
    if lock:
        queryset = queryset.select_for_update()
    golden = queryset.filter(code=code).first()
    if golden is None:
        raise NotFound(f"全局编码 {code} 不存在", f"Golden code {code} not found")
    if golden.status != GoldenStatusChoices.ACTIVE:
        raise Conflict(
            f"黄金记录 {code} 状态为 {golden.status}",
            f"Golden record {code} is {golden.status}",
            code="not_active",
        )
    return golden


def _mark_pairs(
    entity: str, pairs: Iterable[tuple[int, int]], status: str, actor, reason: str
) -> None:
    """Create or update the candidate rows of ``pairs`` with a steward decision."""
    now = timezone.now()
    for a, b in pairs:
        left, right = min(a, b), max(a, b)
        MatchCandidate.objects.update_or_create(
            left_id=left,
            right_id=right,
            defaults={
                "entity": entity,
                "status": status,
                "decided_by": actor if getattr(actor, "pk", None) else None,
                "decided_at": now,
                "reason": reason,
            },
            create_defaults={
                "entity": entity,
                "score": 0.0,
                "origin": "steward",
                "status": status,
                "decided_by": actor if getattr(actor, "pk", None) else None,
                "decided_at": now,
                "reason": reason,
            },
        )


def merge_by_steward(
    *, entity: str, survivor_code: str, other_code: str, actor, reason: str
) -> GoldenRecord:
    """Merge ``other_code`` into ``survivor_code``; pending candidates between them are accepted."""
    reason = _reason(reason)
    if survivor_code == other_code:
        raise ServiceError(
            "不能与自身合并", "A golden record cannot be merged with itself", code="same_record"
        )
    with transaction.atomic():
        merge_golden_records(
            entity=entity,
            survivor_code=survivor_code,
            other_codes=[other_code],
            actor=actor,
            reason=reason,
            link_kind=SourceRecordLinkChoices.STEWARD,
        )
        members = list(
            SourceRecord.objects.filter(golden_code=survivor_code).values_list("pk", flat=True)
        )
        MatchCandidate.objects.filter(
            left_id__in=members, right_id__in=members, status=MatchCandidateStatusChoices.PENDING
        ).update(
            status=MatchCandidateStatusChoices.ACCEPTED,
            decided_by=actor if getattr(actor, "pk", None) else None,
            decided_at=timezone.now(),
            reason=reason,
        )
        settle_review_links(entity, [survivor_code], actor, reason)
        return golden_model(entity).objects.get(code=survivor_code)


def decide_candidate(*, candidate_id: int, accept: bool, actor, reason: str) -> MatchCandidate:
    """Accept (merge the two golden records, the older survives) or reject (never again) a
    candidate, and with it its siblings: one decision, one transaction.

    1. The candidate and its siblings (every pending candidate between the same two golden
       records: ``siblings_of``) are locked in primary-key order, so that two stewards deciding
       two siblings at once wait for each other instead of deadlocking; the candidate must
       still be pending.
    2. Accept: the two golden records merge once. Reject: nothing merges.
    3. Every one of them gets the same status, steward, time and reason (a history row each):
       a rejected sibling is remembered like the pair the steward looked at, so none of those
       pairs is ever proposed again.
    4. The records of the two golden records that waited for this decision lose their
       ``review`` label (``settle_review_links``).

    The returned candidate carries ``siblings``: the ids of the other candidates decided with it.
    """
    reason = _reason(reason)
    with transaction.atomic():
        found = (
            MatchCandidate.objects.select_related("left", "right").filter(pk=candidate_id).first()
        )
        if found is None:
            raise NotFound("候选对不存在", "Match candidate not found")
        locked = list(
            MatchCandidate.objects.select_for_update(of=("self",))
            .filter(Q(pk=candidate_id) | siblings_of(found))
            .select_related("left", "right")
            .order_by("pk")
        )
        candidate = next((c for c in locked if c.pk == candidate_id), None)
        if candidate is None or candidate.status != MatchCandidateStatusChoices.PENDING:
            status = candidate.status if candidate is not None else found.status
            raise Conflict(
                f"候选对已处理：{status}",
                f"Candidate already decided: {status}",
                code="decided",
            )
        # The golden records as they are now, under the locks (a merge may have moved them).
        left, right = candidate.left.golden_code, candidate.right.golden_code
        decided = [
            c
            for c in locked
            if c.status == MatchCandidateStatusChoices.PENDING
            and {c.left.golden_code, c.right.golden_code} == {left, right}
        ]
        goldens = {left, right}
        if accept and left != right:
            model = golden_model(candidate.entity)
            pks = dict(model.objects.filter(code__in=[left, right]).values_list("code", "pk"))
            survivor, other = sorted([left, right], key=lambda c: pks.get(c, 0))
            merge_golden_records(
                entity=candidate.entity,
                survivor_code=survivor,
                other_codes=[other],
                actor=actor,
                reason=reason,
                link_kind=SourceRecordLinkChoices.STEWARD,
            )
            goldens = {survivor}
        if accept:
            # The pair's names become the golden record's: the next record under one links.
            (shared,) = goldens  # one golden record once accepted
            learn_from_pair(candidate.entity, shared, [candidate.left, candidate.right], actor)
        status = (
            MatchCandidateStatusChoices.ACCEPTED if accept else MatchCandidateStatusChoices.REJECTED
        )
        by = actor if getattr(actor, "pk", None) else None
        now = timezone.now()
        for item in decided:
            item.status, item.decided_by, item.decided_at, item.reason = status, by, now, reason
        bulk_update_with_history(
            decided,
            MatchCandidate,
            ["status", "decided_by", "decided_at", "reason"],
            default_user=by,
            default_change_reason=reason,
        )
        settle_review_links(candidate.entity, goldens, actor, reason)
        candidate.siblings = [c.pk for c in decided if c.pk != candidate.pk]
        return candidate


def decide_candidates(
    *, candidate_ids: Iterable[int], accept: bool, actor, reason: str
) -> dict[str, int]:
    """Bulk decision; each candidate is its own transaction with its siblings (counted as
    decided); candidates already decided, by an earlier one's siblings or before, are skipped."""
    counts = {"decided": 0, "skipped": 0}
    done: set[int] = set()
    for candidate_id in candidate_ids:
        if candidate_id in done:
            continue
        try:
            decided = decide_candidate(
                candidate_id=candidate_id, accept=accept, actor=actor, reason=reason
            )
        except (Conflict, NotFound):
            counts["skipped"] += 1
        else:
            done.update(decided.siblings)
            counts["decided"] += 1 + len(decided.siblings)
    return counts


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
    reason = _reason(reason)
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
        current = _live_golden(entity, found[1])
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
        _mark_pairs(
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


def lock_attribute(
    *, entity: str, code: str, attribute: str, value: Any, actor, reason: str
) -> GoldenRecord:
    """A steward's value for one attribute: it wins survivorship until unlocked."""
    reason = _reason(reason)
    checked = standardize_and_validate(entity, {attribute: value}, partial=True)
    if checked.errors:
        raise RecordRejected(checked.errors)
    if attribute in checked.flagged:
        # A value that fails its validator may be kept from a source, never chosen by a steward.
        raise RecordRejected(
            {
                attribute: [
                    {k: w[k] for k in ("code", "message")}
                    for w in checked.warnings
                    if w["field"] == attribute
                ]
            }
        )
    if attribute not in checked.attributes:
        raise ServiceError("锁定值不能为空", "A locked value cannot be empty", code="empty_value")
    with transaction.atomic():
        golden = _live_golden(entity, code)
        golden.locked = dict(golden.locked) | {
            attribute: {
                # A sensitive value is encrypted like its source records' values.
                "value": seal_value(entity, attribute, checked.attributes[attribute]),
                "by": getattr(actor, "username", "") or "",
                "reason": reason,
                "at": timezone.localtime().isoformat(),
            }
        }
        # The lock's own history row names the steward and the reason (the workbench reads it).
        golden._history_user = actor if getattr(actor, "pk", None) else None
        golden._change_reason = reason
        golden.save(update_fields=["locked"])
        return refresh_goldens(entity, existing=[golden], actor=actor, reason=reason)[code]


def unlock_attribute(*, entity: str, code: str, attribute: str, actor, reason: str) -> GoldenRecord:
    reason = _reason(reason)
    with transaction.atomic():
        golden = _live_golden(entity, code)
        if attribute not in golden.locked:
            raise ServiceError("该属性未锁定", "The attribute is not locked", code="not_locked")
        golden.locked = {k: v for k, v in golden.locked.items() if k != attribute}
        golden._history_user = actor if getattr(actor, "pk", None) else None
        golden._change_reason = reason
        golden.save(update_fields=["locked"])
        return refresh_goldens(entity, existing=[golden], actor=actor, reason=reason)[code]


def retire_golden(*, entity: str, code: str, actor, reason: str) -> GoldenRecord:
    """Retire a golden record and all its members (the thing no longer exists)."""
    reason = _reason(reason)
    with transaction.atomic():
        golden = _live_golden(entity, code)
        members = list(
            SourceRecord.objects.select_for_update()
            .filter(golden_code=code, is_active=True)
            .order_by("pk")  # rows locked in one order by every writer: no deadlock
        )
        now = timezone.now()
        for member in members:
            member.is_active = False
            member.updated_at = now
        if members:
            bulk_update_with_history(
                members,
                SourceRecord,
                ["is_active", "updated_at"],
                default_user=actor if getattr(actor, "pk", None) else None,
                default_change_reason=reason,
            )
            BlockKey.objects.filter(record__in=members).delete()
        return refresh_goldens(
            entity, existing=[golden], crosswalk_changed={code}, actor=actor, reason=reason
        )[code]


def pending_between(entity: str, record_ids: Iterable[int]) -> Q:
    ids = list(record_ids)
    return Q(entity=entity, status=MatchCandidateStatusChoices.PENDING) & (
        Q(left_id__in=ids) | Q(right_id__in=ids)
    )
