"""What data stewards do: decide candidates, merge, lock values, retire golden records (unmerge
is in ``unmerge``).

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
from mdm.errors import Conflict, NotFound, RecordRejected, ServiceError
from mdm.linking.merge import merge_golden_records
from mdm.linking.review import settle_review_links, siblings_of
from mdm.models import (
    GoldenRecord,
    GoldenStatusChoices,
    SourceRecord,
    SourceRecordLinkChoices,
    golden_model,
)
from mdm.privacy.crypto import seal_value
from mdm.records.aliases import learn_from_pair
from mdm.records.golden import refresh_goldens

#: The history keeps a change reason in 100 characters (django-simple-history's column).
MAX_REASON = 100


def checked_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写理由", "A reason is required", code="reason_required")
    return reason[:MAX_REASON]


def live_golden(entity: str, code: str, *, lock: bool = True) -> GoldenRecord:
    queryset = golden_model(entity).objects.all()
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


def mark_pairs(
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
    reason = checked_reason(reason)
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
    reason = checked_reason(reason)
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


def lock_attribute(
    *, entity: str, code: str, attribute: str, value: Any, actor, reason: str
) -> GoldenRecord:
    """A steward's value for one attribute: it wins survivorship until unlocked."""
    reason = checked_reason(reason)
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
        golden = live_golden(entity, code)
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
    reason = checked_reason(reason)
    with transaction.atomic():
        golden = live_golden(entity, code)
        if attribute not in golden.locked:
            raise ServiceError("该属性未锁定", "The attribute is not locked", code="not_locked")
        golden.locked = {k: v for k, v in golden.locked.items() if k != attribute}
        golden._history_user = actor if getattr(actor, "pk", None) else None
        golden._change_reason = reason
        golden.save(update_fields=["locked"])
        return refresh_goldens(entity, existing=[golden], actor=actor, reason=reason)[code]


def retire_golden(*, entity: str, code: str, actor, reason: str) -> GoldenRecord:
    """Retire a golden record and all its members (the thing no longer exists)."""
    reason = checked_reason(reason)
    with transaction.atomic():
        golden = live_golden(entity, code)
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
