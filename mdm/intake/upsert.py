"""The one write path for source records: API, bulk, import and admin all call it.

Standardize and validate (``mdm.intake.prepare``), then, in one transaction, lock, load, diff,
link, write, refresh (``mdm.intake.steps``). ``upsert_source_records`` works on a batch (a bulk
request, a chunk of an import) with set-based queries; ``upsert_source_record`` is the same path
for one record. Each record is all-or-nothing: invalid input is rejected before
anything is written, and each run of a batch is one transaction (a batch is cut into runs where
a local code repeats and where its locks would pass ``MDM_LOCKS_PER_TRANSACTION``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from dictionary.services import dictionary_snapshot
from matching.models import BlockKey
from mdm.db import timeline
from mdm.db.locks import lock_keys
from mdm.errors import NotFound, ServiceError
from mdm.instruments import record_upserts
from mdm.intake import steps
from mdm.intake.prepare import source_key, split_repeats, validate_items
from mdm.intake.steps import UpsertResult
from mdm.models import SourceRecord, SourceSystem, golden_model
from mdm.records.entities import check_entity
from mdm.records.golden import refresh_goldens


def upsert_source_records(
    *,
    system: SourceSystem,
    entity: str,
    items: Sequence[tuple[Any, Any]],
    actor=None,
    reason: str = "",
    defer_contended: bool = False,
    channel: str = "api",
) -> list[UpsertResult | ServiceError | None]:
    """Upsert a batch of ``(local_code, payload)``; a result or an error per item, in order.

    Standardize and validate each item against the dictionary (invalid items get their errors
    and are never written), then write each run of the batch (no local code twice, no more
    locks than ``MDM_LOCKS_PER_TRANSACTION``) in one transaction through the steps of
    ``mdm.intake.steps``: lock, load, diff (same fingerprint as stored: "unchanged",
    nothing written), link, write (with history), refresh (golden records and events).

    ``defer_contended`` (the workers of a parallel import): instead of waiting for another
    transaction that holds one of an item's locks, leave the item out; its result is ``None``
    and the caller upserts it again later. A later item with the same local code is left out
    too, so that the occurrences of a local code are still written in order.
    """
    check_entity(entity)
    # The dictionary's revision is read once for the whole call (not at every step).
    with dictionary_snapshot():
        results, pending = validate_items(entity, items, system.country)
        deferred: set[str] = set()
        runs = [part for run in split_repeats(pending) for part in steps.within_lock_budget(run)]
        for run in runs:
            if deferred:
                run = [p for p in run if p.local_code not in deferred]
            written = steps.run(system, entity, run, actor, reason, defer_contended)
            for item, result in zip(run, written, strict=True):
                results[item.index] = result
                if result is None:
                    deferred.add(item.local_code)
    record_upserts(entity, results)
    # The operations page's sync success rate: per system and channel (api, import, admin).
    timeline.record_sync(
        system.code,
        channel,
        succeeded=sum(1 for r in results if isinstance(r, UpsertResult)),
        failed=sum(1 for r in results if isinstance(r, ServiceError)),
    )
    return results


def upsert_source_record(
    *,
    system: SourceSystem,
    entity: str,
    local_code: str,
    payload: Any,
    actor=None,
    reason: str = "",
    channel: str = "api",
) -> UpsertResult:
    """Create or update one source record and its golden record (see ``upsert_source_records``).

    Raises ``RecordRejected`` (field errors) or ``ServiceError`` for bad input; nothing is stored.
    """
    check_entity(entity)
    (result,) = upsert_source_records(
        system=system,
        entity=entity,
        items=[(local_code, payload)],
        actor=actor,
        reason=reason,
        channel=channel,
    )
    if isinstance(result, ServiceError):
        raise result
    assert result is not None  # only a contended batch defers a record
    return result


def retire_source_record(
    *, system: SourceSystem, entity: str, local_code: str, actor=None, reason: str = ""
) -> SourceRecord:
    """Retire a source record (the system deleted it); its golden record is recomputed."""
    check_entity(entity)
    with transaction.atomic():
        lock_keys([source_key(system, entity, local_code)])
        record = (
            SourceRecord.objects.select_for_update(of=("self",))
            .filter(system=system, entity=entity, local_code=local_code)
            .first()
        )
        if record is None:
            raise NotFound("源记录不存在", "Source record not found")
        if not record.is_active:
            return record
        record.is_active = False
        BlockKey.objects.filter(record=record).delete()
        record._history_user = actor
        record._change_reason = reason or "retired by source system"
        record.save()
        golden = golden_model(entity).objects.select_for_update().filter(code=record.golden_code)
        refresh_goldens(
            entity,
            existing=list(golden),
            crosswalk_changed={record.golden_code},
            actor=actor,
            reason=record._change_reason,
        )
        return record
