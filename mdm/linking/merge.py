"""Merging golden records: the survivor keeps its code, the others resolve to it.

Used by the batch match (many clusters at once) and by stewards (one pair at a time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from mdm.db.bulk_sql import (
    ensure_statistics,
    update_objects_with_history,
    update_rows_with_history,
)
from mdm.errors import Conflict, NotFound
from mdm.feed.events import golden_payload
from mdm.linking.merge_reasons import MergeReason, member_explanations
from mdm.models import Event, EventKindChoices, GoldenStatusChoices, SourceRecord, golden_model
from mdm.records.golden import refresh_goldens


def merge_clusters(
    *,
    entity: str,
    clusters: Sequence[Sequence[str]],
    actor=None,
    reason: str = "",
    link_kind: str | None = None,
    reasons: Mapping[str, MergeReason] | None = None,
    rule=None,
) -> int:
    """Merge each cluster of golden codes into its first code; returns the codes merged away.

    1. Lock every golden record involved (primary-key order); all must be active.
    2. Move the merged records' members to their survivor (a history row per member;
       ``link_kind`` set when given, e.g. ``steward``, with the link score and explanation
       cleared, or, for a golden record with one of the batch match's ``reasons`` (under the
       match ``rule``), set to why it merged: ``mdm.linking.merge_reasons``). A merged record
       keeps its own steward locks, so that an unmerge restores it exactly. The members'
       ``updated_at`` stays: it says when their source data last changed, which the
       ``most_recent`` survivorship reads, and a merge is no new source data.
    3. Mark the merged records ``merged`` with ``merged_into``: their codes keep resolving.
    4. Recompute the survivors; write a ``merged`` event per merged code, then the survivors'
       ``updated`` / ``crosswalk`` events, in one insert at the end. One transaction for all
       clusters.

    Set-based on PostgreSQL (``mdm.db.bulk_sql``): a batch of clusters costs a fixed
    number of statements, whatever its size.
    """
    survivor_of = {code: c[0] for c in clusters for code in c[1:] if code != c[0]}
    if not survivor_of:
        return 0
    model = golden_model(entity)
    reason = reason or "merge"
    involved = set(survivor_of) | set(survivor_of.values())
    # The members are found by golden code: without statistics that is a full table scan.
    ensure_statistics(SourceRecord)
    with transaction.atomic():
        rows = {
            g.code: g
            for g in model.objects.select_for_update().filter(code__any=involved).order_by("pk")
        }
        missing = sorted(involved - set(rows))
        if missing:
            listed = "、".join(missing)
            raise NotFound(
                f"全局编码 {listed} 不存在。", f"Golden code {', '.join(missing)} does not exist."
            )
        inactive = sorted(c for c in involved if rows[c].status != GoldenStatusChoices.ACTIVE)
        if inactive:
            raise Conflict(
                f"只能合并有效的黄金记录，{'、'.join(inactive)} 已合并或已停用。",
                f"Only active golden records can be merged; {', '.join(inactive)} is merged "
                "or retired.",
                code="not_active",
            )
        now = timezone.now()
        # Only the columns the move needs: the members' full rows go to their history rows
        # inside the database (``bulk_sql``), not through Python.
        members = list(
            SourceRecord.objects.select_for_update()
            .filter(golden_code__any=survivor_of)
            .order_by("pk")
            .values_list("pk", "golden_code", "link_kind", "is_active", "link_score")
        )
        if members:
            columns: dict[str, list[Any]] = {
                "golden_code": [survivor_of[code] for _, code, *_ in members],
                "link_kind": [
                    link_kind if link_kind and is_active else kind
                    for _, _, kind, is_active, _ in members
                ],
            }
            if link_kind:
                # Linked by this merge now: their real-time score and explanation no longer
                # say why; the batch match's reason does, where it gave one.
                why = (
                    member_explanations(
                        rule,
                        ((pk, code) for pk, code, _, active, _ in members if active),
                        survivor_of,
                        reasons,
                        prints=_pair_prints(survivor_of, reasons),
                    )
                    if reasons and rule is not None
                    else {}
                )
                columns["link_score"] = [
                    why[pk][0] if pk in why else (score if not active else None)
                    for pk, _, _, active, score in members
                ]
                columns["link_explanation"] = [
                    why[pk][1] if pk in why else None for pk, *_ in members
                ]
            update_rows_with_history(
                SourceRecord, [pk for pk, *_ in members], columns, user=actor, reason=reason
            )
        merged, survivors = [], {}
        for code, survivor_code in survivor_of.items():
            other, survivor = rows[code], rows[survivor_code]
            other.status = GoldenStatusChoices.MERGED
            other.merged_into = survivor
            other.updated_at = now
            merged.append(other)
            survivors[survivor_code] = survivor
        update_objects_with_history(
            merged, model, ["status", "merged_into", "updated_at"], user=actor, reason=reason
        )
        refresh_goldens(
            entity,
            existing=list(survivors.values()),
            crosswalk_changed=set(survivors),
            actor=actor,
            reason=reason,
            events_before=[
                Event(
                    entity=entity,
                    golden_code=other.code,
                    kind=EventKindChoices.MERGED,
                    payload=golden_payload(other) | {"merged_into": survivor_of[other.code]},
                )
                for other in merged
            ],
        )
        return len(merged)


def merge_golden_records(
    *,
    entity: str,
    survivor_code: str,
    other_codes: Sequence[str],
    actor=None,
    reason: str = "",
    link_kind: str | None = None,
) -> int:
    """Merge ``other_codes`` into ``survivor_code`` (see ``merge_clusters``)."""
    return merge_clusters(
        entity=entity,
        clusters=[[survivor_code, *other_codes]],
        actor=actor,
        reason=reason,
        link_kind=link_kind,
    )


def _pair_prints(
    survivor_of: Mapping[str, str], reasons: Mapping[str, MergeReason]
) -> dict[int, str]:
    """Record id -> fingerprint, for the records of the pairs that merge these golden records
    (one query), so that their explanations can tell a later change of either record."""
    ids = {
        pk
        for code in survivor_of
        if (why := reasons.get(code)) is not None
        for pk in (why.record_id, why.partner_id)
        if pk
    }
    if not ids:
        return {}
    return dict(SourceRecord.objects.filter(pk__any=ids).values_list("pk", "fingerprint"))
