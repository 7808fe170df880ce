"""The one write path for source records: API, bulk, import and admin all call it.

standardize -> validate -> store -> link -> survive -> emit, in one transaction per record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from dictionary.models import EntityChoices
from dictionary.services import standardize_and_validate
from mdm.models import (
    EventKindChoices,
    GoldenRecord,
    GoldenStatusChoices,
    SourceRecord,
    SourceRecordLinkChoices,
    SourceSystem,
    golden_model,
)
from mdm.services import linking
from mdm.services.codes import allocate_golden_code
from mdm.services.errors import NotFound, RecordRejected, ServiceError
from mdm.services.events import emit_event, golden_payload
from mdm.services.locks import lock_keys
from mdm.services.survivorship import recompute_golden

MAX_LOCAL_CODE = 100


@dataclass
class UpsertResult:
    """What the source system is told: the golden code, how it was linked, what changed."""

    golden_code: str
    link: str
    created: bool
    changed: bool
    warnings: list[dict[str, str]] = field(default_factory=list)
    score: float | None = None


def check_entity(entity: str) -> None:
    if entity not in EntityChoices.values:
        raise NotFound("未知实体 " + entity, "Unknown entity " + entity, code="unknown_entity")


def check_local_code(local_code: str) -> str:
    code = (local_code or "").strip()
    if not code or len(code) > MAX_LOCAL_CODE or any(ch in code for ch in "\x00\r\n\t"):
        raise ServiceError(
            f"本地编码必须为1至{MAX_LOCAL_CODE}个可见字符",
            f"local_code must be 1 to {MAX_LOCAL_CODE} printable characters",
            code="invalid_local_code",
        )
    return code


def fingerprint(attributes: Mapping[str, str], flagged: list[str]) -> str:
    canonical = json.dumps([attributes, sorted(flagged)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _source_key(system: SourceSystem, entity: str, local_code: str) -> str:
    return f"source:{system.pk}:{entity}:{local_code}"


def create_golden(entity: str) -> GoldenRecord:
    return golden_model(entity).objects.create(code=allocate_golden_code(entity))


def _members(golden_code: str) -> list[dict[str, str]]:
    return [
        {"system": system, "local_code": local_code}
        for system, local_code in SourceRecord.objects.members_of(golden_code)
        .order_by("system__code", "local_code")
        .values_list("system__code", "local_code")
    ]


def refresh_golden(golden: GoldenRecord, *, crosswalk_changed: bool, is_new: bool) -> None:
    """Recompute a golden record from its members and write the events its change deserves."""
    values_changed = recompute_golden(golden)
    has_members = SourceRecord.objects.members_of(golden.code).exists()
    if not has_members and golden.status == GoldenStatusChoices.ACTIVE:
        golden.status = GoldenStatusChoices.RETIRED
        golden.save()
        emit_event(
            entity=golden.ENTITY,
            golden_code=golden.code,
            kind=EventKindChoices.RETIRED,
            payload=golden_payload(golden, []),
        )
        return
    members = _members(golden.code)
    if is_new:
        kind = EventKindChoices.CREATED
    elif values_changed:
        kind = EventKindChoices.UPDATED
    elif crosswalk_changed:
        kind = EventKindChoices.CROSSWALK
    else:
        return
    emit_event(
        entity=golden.ENTITY,
        golden_code=golden.code,
        kind=kind,
        payload=golden_payload(golden, members),
    )


def _lock_golden(entity: str, code: str) -> GoldenRecord:
    return golden_model(entity).objects.select_for_update().get(code=code)


def upsert_source_record(
    *,
    system: SourceSystem,
    entity: str,
    local_code: str,
    payload: Any,
    actor=None,
    reason: str = "",
) -> UpsertResult:
    """Create or update one source record and its golden record.

    1. Standardize and validate against the dictionary; errors raise ``RecordRejected`` and
       nothing is stored.
    2. Lock the record's own key and its identifier keys (concurrent writers of the same thing
       queue up), then read the stored record for update.
    3. Same fingerprint as stored: answer "unchanged" and write nothing (no history, no event).
    4. Store the record; link it (keep an existing link, else decide one); recompute the golden
       record(s) by survivorship; write outbox events.
    """
    check_entity(entity)
    local_code = check_local_code(local_code)
    result = standardize_and_validate(entity, payload)
    if result.errors:
        raise RecordRejected(result.errors)
    print_ = fingerprint(result.attributes, result.flagged)
    with transaction.atomic():
        lock_keys(
            [_source_key(system, entity, local_code)]
            + linking.identity_keys(entity, result.attributes, result.flagged)
        )
        record = (
            SourceRecord.objects.select_for_update()
            .filter(system=system, entity=entity, local_code=local_code)
            .first()
        )
        if record is not None and record.is_active and record.fingerprint == print_:
            return UpsertResult(
                golden_code=record.golden_code,
                link=record.link_kind,
                created=False,
                changed=False,
                warnings=record.warnings,
                score=record.link_score,
            )
        created = record is None
        if created:
            record = SourceRecord(system=system, entity=entity, local_code=local_code)
        record.raw = payload
        record.attributes = result.attributes
        record.flagged = result.flagged
        record.warnings = result.warnings
        record.fingerprint = print_
        record.is_active = True
        previous_code = record.golden_code
        golden, is_new_golden = None, False
        if previous_code:
            golden = (
                golden_model(entity)
                .objects.select_for_update()
                .filter(code=previous_code, status=GoldenStatusChoices.ACTIVE)
                .first()
            )
        if golden is None:
            decision = linking.decide_link(entity, result.attributes, result.flagged)
            if decision.golden_code:
                golden = _lock_golden(entity, decision.golden_code)
            else:
                golden, is_new_golden = create_golden(entity), True
            record.golden_code = golden.code
            record.link_kind = decision.kind
            record.link_score = decision.score
        record._history_user = actor
        record._change_reason = reason or ("created" if created else "updated")
        record.save()
        refresh_golden(golden, crosswalk_changed=golden.code != previous_code, is_new=is_new_golden)
        if previous_code and previous_code != golden.code:
            old = (
                golden_model(entity).objects.select_for_update().filter(code=previous_code).first()
            )
            if old is not None:
                refresh_golden(old, crosswalk_changed=True, is_new=False)
        return UpsertResult(
            golden_code=golden.code,
            link=record.link_kind,
            created=created,
            changed=True,
            warnings=record.warnings,
            score=record.link_score,
        )


def retire_source_record(
    *, system: SourceSystem, entity: str, local_code: str, actor=None, reason: str = ""
) -> SourceRecord:
    """Retire a source record (the system deleted it); its golden record is recomputed."""
    check_entity(entity)
    with transaction.atomic():
        lock_keys([_source_key(system, entity, local_code)])
        record = (
            SourceRecord.objects.select_for_update()
            .filter(system=system, entity=entity, local_code=local_code)
            .first()
        )
        if record is None:
            raise NotFound("源记录不存在", "Source record not found")
        if not record.is_active:
            return record
        record.is_active = False
        record._history_user = actor
        record._change_reason = reason or "retired by source system"
        record.save()
        golden = (
            golden_model(entity).objects.select_for_update().filter(code=record.golden_code).first()
        )
        if golden is not None:
            refresh_golden(golden, crosswalk_changed=True, is_new=False)
        return record


__all__ = [
    "SourceRecordLinkChoices",
    "UpsertResult",
    "retire_source_record",
    "upsert_source_record",
]
