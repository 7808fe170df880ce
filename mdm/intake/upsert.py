"""The one write path for source records: API, bulk, import and admin all call it.

standardize -> validate -> store -> link -> survive -> emit. ``upsert_source_records`` works on
a batch (a bulk request, a chunk of an import) with set-based queries; ``upsert_source_record``
is the same path for one record. Each record is all-or-nothing: invalid input is rejected before
anything is written, and a batch is one transaction.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dictionary.masking import mask_kind, mask_text
from dictionary.services import (
    StandardizedRecord,
    compiled_elements,
    dictionary_snapshot,
    encrypted_codes,
    standardize_and_validate,
)
from matching.models import BlockKey
from mdm.db import timeline
from mdm.db.bulk_copy import create_objects_with_history
from mdm.db.bulk_sql import update_objects_with_history
from mdm.db.locks import lock_keys, try_lock_keys
from mdm.errors import NotFound, RecordRejected, ServiceError
from mdm.instruments import record_upserts
from mdm.linking.batch.bulk import BulkLinker
from mdm.linking.realtime import MatchingLinker
from mdm.models import GoldenStatusChoices, SourceRecord, SourceSystem, golden_model
from mdm.privacy import crypto
from mdm.records.codes import allocate_golden_codes
from mdm.records.entities import check_entity
from mdm.records.golden import refresh_goldens

MAX_LOCAL_CODE = 100
RECORD_FIELDS = [
    "raw",
    "attributes",
    "blind_index",
    "flagged",
    "warnings",
    "fingerprint",
    "golden_code",
    "link_kind",
    "link_score",
    "link_explanation",
    "is_active",
    "updated_at",
]


@dataclass
class UpsertResult:
    """What the source system is told: the golden code, how it was linked, what changed."""

    golden_code: str
    link: str
    created: bool
    changed: bool
    warnings: list[dict[str, str]] = field(default_factory=list)
    score: float | None = None


#: Set while a bulk load writes (``bulk_linking``): new records are not matched in real time,
#: each gets a golden record of its own, and the batch match that follows links them.
_BULK_LOAD: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_load", default=False)


@contextmanager
def bulk_linking() -> Iterator[None]:
    """Write path calls inside the block link as a bulk load does (``mdm.linking.batch.bulk``);
    the workers a parallel import forks inside it inherit the setting."""
    token = _BULK_LOAD.set(True)
    try:
        yield
    finally:
        _BULK_LOAD.reset(token)


def check_local_code(local_code: Any) -> str:
    code = str(local_code if local_code is not None else "").strip()
    if not code or len(code) > MAX_LOCAL_CODE or any(ch in code for ch in "\x00\r\n\t/"):
        raise ServiceError(
            f"本地编码必须为1至{MAX_LOCAL_CODE}个可见字符且不含斜杠",
            f"local_code must be 1 to {MAX_LOCAL_CODE} printable characters without slashes",
            code="invalid_local_code",
        )
    return code


def fingerprint(attributes: Mapping[str, str], flagged: list[str]) -> str:
    canonical = json.dumps([attributes, sorted(flagged)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _source_key(system: SourceSystem, entity: str, local_code: str) -> str:
    return f"source:{system.pk}:{entity}:{local_code}"


@dataclass
class _Pending:
    index: int
    local_code: str
    payload: Any
    checked: StandardizedRecord
    print_: str
    #: Encrypted element codes of the entity and the blind indexes of this record's values.
    sealed: frozenset[str] = frozenset()
    blind: dict[str, str] = field(default_factory=dict)

    @property
    def matching_attributes(self) -> dict[str, str]:
        """The standardized attributes as matching sees them: blind indexes, no plaintext."""
        attributes = self.checked.attributes
        return {k: v for k, v in attributes.items() if k not in self.sealed} | self.blind


def _validate(
    entity: str, items: Sequence[tuple[Any, Any]], country: str
) -> tuple[list, list[_Pending]]:
    """Standardize and validate every item with one compiled dictionary, phone numbers in the
    sending system's ``country``; nothing is written."""
    elements = compiled_elements(entity)
    sealed = encrypted_codes(elements)
    results: list[Any] = [None] * len(items)
    pending: list[_Pending] = []
    for index, (local_code, payload) in enumerate(items):
        try:
            code = check_local_code(local_code)
        except ServiceError as exc:
            results[index] = exc
            continue
        checked = standardize_and_validate(entity, payload, elements=elements, country=country)
        if checked.errors:
            results[index] = RecordRejected(checked.errors)
            continue
        # Encrypted values enter the fingerprint as their blind index: a keyed hash, where a
        # plain hash of a record holding a resident ID could be reversed by enumeration.
        blind = crypto.blind_indexes(sealed, checked.attributes)
        printed = {k: v for k, v in checked.attributes.items() if k not in sealed} | {
            k: "bi:" + v for k, v in blind.items()
        }
        pending.append(
            _Pending(
                index,
                code,
                payload,
                checked,
                fingerprint(printed, checked.flagged),
                sealed,
                blind,
            )
        )
    return results, pending


def _split_repeats(pending: list[_Pending]) -> list[list[_Pending]]:
    """Runs without a repeated local code, so a batch never writes one record twice."""
    runs: list[list[_Pending]] = [[]]
    seen: set[str] = set()
    for item in pending:
        if item.local_code in seen:
            runs.append([])
            seen = set()
        runs[-1].append(item)
        seen.add(item.local_code)
    return [run for run in runs if run]


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

    1. Standardize and validate each item against the dictionary; invalid items get their
       errors and are never written.
    2. In one transaction: lock the records' own keys and identifier keys (concurrent writers of
       the same thing queue up), read the stored records for update.
    3. Same fingerprint as stored: "unchanged", nothing written (no history, no event).
    4. Link each changed record: keep a link to a live golden record, else decide one (an
       existing golden record, or a new one), taking the batch's earlier links into account.
    5. Store the records (with history), recompute every golden record touched, write events.

    ``defer_contended`` (the workers of a parallel import): instead of waiting for another
    transaction that holds one of an item's locks, leave the item out; its result is ``None``
    and the caller upserts it again later. A later item with the same local code is left out
    too, so that the occurrences of a local code are still written in order.
    """
    check_entity(entity)
    # The dictionary's revision is read once for the whole call (not at every step).
    with dictionary_snapshot():
        results, pending = _validate(entity, items, system.country)
        deferred: set[str] = set()
        for run in _split_repeats(pending):
            if deferred:
                run = [p for p in run if p.local_code not in deferred]
            written = _write_run(system, entity, run, actor, reason, defer_contended)
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


def _write_run(
    system: SourceSystem,
    entity: str,
    run: list[_Pending],
    actor,
    reason: str,
    defer_contended: bool = False,
) -> list[UpsertResult | None]:
    if not run:
        return []
    model = golden_model(entity)
    linker = (BulkLinker if _BULK_LOAD.get() else MatchingLinker)(entity, system.code)
    linker.prepare_batch([(p.local_code, p.matching_attributes, p.checked.flagged) for p in run])
    with transaction.atomic():
        everything = run
        if defer_contended:
            run = _lock_or_defer(system, entity, run, linker)
        else:
            keys = [_source_key(system, entity, p.local_code) for p in run]
            lock_keys(keys + linker.lock_keys())
        if not run:
            return [None] * len(everything)
        # With whether each one's golden record is live (in the same round trip). Only these
        # rows are locked (the model's ordering joins the source system, whose row a plain FOR
        # UPDATE would lock too: every writer of the system would queue on it), in id order.
        stored = {
            r.local_code: r
            for r in SourceRecord.objects.select_for_update(of=("self",))
            .filter(system=system, entity=entity, local_code__in=[p.local_code for p in run])
            .order_by("pk")
            .annotate(
                golden_is_live=Exists(
                    model.objects.filter(
                        code=OuterRef("golden_code"), status=GoldenStatusChoices.ACTIVE
                    )
                )
            )
        }
        results: dict[str, UpsertResult] = {}
        changed: list[tuple[_Pending, SourceRecord, bool]] = []
        for p in run:
            record = stored.get(p.local_code)
            if record is not None and record.is_active and record.fingerprint == p.print_:
                results[p.local_code] = UpsertResult(
                    record.golden_code,
                    record.link_kind,
                    False,
                    False,
                    record.warnings,
                    record.link_score,
                )
                continue
            is_new = record is None
            if is_new:
                record = SourceRecord(system=system, entity=entity, local_code=p.local_code)
            changed.append((p, record, is_new))
        if not changed:
            return [results.get(p.local_code) for p in everything]

        previous_of = {p.local_code: r.golden_code for p, r, _ in changed}
        was_member = {p.local_code: r.is_active and bool(r.golden_code) for p, r, _ in changed}
        live = {r.golden_code for r in stored.values() if r.golden_is_live}
        for p, record, _ in changed:
            # Encrypted right after standardization; derivations (birth date, region) are done.
            record.attributes = crypto.seal(
                p.sealed,
                p.checked.attributes,
                p.blind,
                previous=record.attributes,
                previous_index=record.blind_index,
            )
            record.blind_index, record.flagged = p.blind, p.checked.flagged
        # A record keeps its golden record when it changes: relinking is the batch match's and
        # the steward's decision, never a side effect of an update. Only the others need
        # candidates (the keys they look up are the only ones whose commonness matters).
        keeps = {
            p.local_code: record.golden_code
            for p, record, _ in changed
            if record.golden_code in live and was_member[p.local_code]
        }
        # A record its system deleted and sends again goes back to its golden record (or to
        # the survivor of a merge), so that the code other systems hold keeps working.
        returning = _returning_targets(
            model,
            {
                p.local_code: record.golden_code
                for p, record, is_new in changed
                if not is_new and not record.is_active and record.golden_code
            },
        )
        keeps.update(returning)
        linker.flag_head_office_codes([r for _, r, _ in changed])
        linker.prefetch([r for p, r, _ in changed if p.local_code not in keeps])
        targets: dict[str, str] = {}  # local code -> golden code, or a placeholder while new
        new_for: dict[str, str] = {}  # local code -> placeholder of its new golden record
        for p, record, _ in changed:
            if p.local_code in keeps:
                targets[p.local_code] = keeps[p.local_code]
                linker.note_linked(record, keeps[p.local_code])
                continue
            decision = linker.decide(record)
            record.link_kind, record.link_score = decision.kind, decision.score
            record.link_explanation = decision.explanation or None
            if decision.golden_code:
                targets[p.local_code] = decision.golden_code
            else:
                new_for[p.local_code] = targets[p.local_code] = f"new:{p.local_code}"
            linker.note_linked(record, targets[p.local_code])
            linker.note_review(record, decision)

        codes = dict(
            zip(new_for.values(), allocate_golden_codes(entity, len(new_for)), strict=True)
        )
        linker.resolve_goldens(codes)
        now = timezone.now()
        created_records, updated_records = [], []
        for p, record, is_new in changed:
            target = targets[p.local_code]
            record.golden_code = codes.get(target, target)
            record.raw = _seal_raw(p)
            record.warnings = _scrub_warnings(p) + linker.extra_warnings.get(p.local_code, [])
            record.fingerprint = p.print_
            record.is_active = True
            record.updated_at = now
            (created_records if is_new else updated_records).append(record)
        change_reason = reason or "upsert"
        if created_records:
            create_objects_with_history(
                created_records, SourceRecord, user=actor, reason=change_reason, date=now
            )
        if updated_records:
            update_objects_with_history(
                updated_records, SourceRecord, RECORD_FIELDS, user=actor, reason=change_reason
            )
        linker.after_save([r for _, r, _ in changed], new_ids={r.pk for r in created_records})

        touched = {r.golden_code for _, r, _ in changed} | {c for c in previous_of.values() if c}
        new_codes = set(codes.values())
        crosswalk_changed: set[str] = set()
        for p, record, _ in changed:
            previous_code = previous_of[p.local_code]
            if previous_code != record.golden_code or not was_member[p.local_code]:
                crosswalk_changed.add(record.golden_code)
                if previous_code:
                    crosswalk_changed.add(previous_code)
        existing = (
            model.objects.select_for_update().filter(code__in=touched - new_codes).order_by("pk")
        )
        # The members of the new golden records are all in this batch: not read back.
        new_members: dict[str, list[SourceRecord]] = defaultdict(list)
        for _, record, _ in sorted(changed, key=lambda item: item[1].pk):
            if record.golden_code in new_codes:
                record.system = system
                new_members[record.golden_code].append(record)
        reactivated: dict[str, list[dict[str, str]]] = defaultdict(list)
        for p, record, _ in changed:
            if p.local_code in returning:
                reactivated[record.golden_code].append(
                    {"system": system.code, "local_code": p.local_code}
                )
        refresh_goldens(
            entity,
            existing=list(existing),
            new_codes=new_codes,
            crosswalk_changed=crosswalk_changed,
            actor=actor,
            reason=change_reason,
            new_members=new_members,
            reactivated=reactivated,
        )
        for p, record, is_new in changed:
            results[p.local_code] = UpsertResult(
                record.golden_code,
                record.link_kind,
                is_new,
                True,
                record.warnings,
                record.link_score,
            )
        return [results.get(p.local_code) for p in everything]


#: Merges followed from a returning record's golden record to its survivor.
MAX_MERGE_HOPS = 20


def _returning_targets(model, golden_of: dict[str, str]) -> dict[str, str]:
    """For retired records sent again (local code -> their golden code): the golden record
    each goes back to, by local code: its own, or the survivor its merges lead to, whether
    live or retired (it is reactivated). One left out has no such record (a broken chain)."""
    if not golden_of:
        return {}
    rows = {
        code: (status, merged_into)
        for code, status, merged_into in model.objects.filter(
            code__in=set(golden_of.values())
        ).values_list("code", "status", "merged_into__code")
    }
    targets = {}
    for local_code, code in golden_of.items():
        for _ in range(MAX_MERGE_HOPS):
            status, merged_into = rows.get(code, (None, None))
            if status != GoldenStatusChoices.MERGED or not merged_into:
                break
            if merged_into not in rows:
                rows.update(
                    (c, (st, m))
                    for c, st, m in model.objects.filter(code=merged_into).values_list(
                        "code", "status", "merged_into__code"
                    )
                )
            code = merged_into
        if rows.get(code, (None,))[0] in (GoldenStatusChoices.ACTIVE, GoldenStatusChoices.RETIRED):
            targets[local_code] = code
    return targets


def _lock_or_defer(
    system: SourceSystem, entity: str, run: list[_Pending], linker: MatchingLinker
) -> list[_Pending]:
    """Take the locks of the run's records that are free; the records with a lock held
    elsewhere are left out (and forgotten by the linker). Returns the records kept."""
    keys = {
        p.local_code: [
            _source_key(system, entity, p.local_code),
            *linker.lock_keys_of(p.local_code),
        ]
        for p in run
    }
    held = try_lock_keys(k for ks in keys.values() for k in ks)
    if not held:
        return run
    kept = [p for p in run if not held.intersection(keys[p.local_code])]
    linker.forget({p.local_code for p in run} - {p.local_code for p in kept})
    return kept


def _seal_raw(p: _Pending) -> Any:
    """The payload as received, with the values of encrypted elements encrypted."""
    if not p.sealed or not isinstance(p.payload, Mapping):
        return p.payload
    return {
        key: crypto.encrypt(value) if key in p.sealed and value not in (None, "") else value
        for key, value in p.payload.items()
    }


def _scrub_warnings(p: _Pending) -> list[dict[str, str]]:
    """Warnings with encrypted values masked: a message may quote the value it is about."""
    if not p.sealed:
        return p.checked.warnings
    secrets = [
        (value, mask_kind(code))
        for code in p.sealed
        for value in (p.checked.attributes.get(code), _raw_value(p.payload, code))
        if value not in (None, "")
    ]
    scrubbed = []
    for warning in p.checked.warnings:
        warning = dict(warning)
        for key in ("message", "message_zh", "message_en"):
            for value, kind in secrets:
                warning[key] = mask_text(warning.get(key, ""), value, kind)
        scrubbed.append(warning)
    return scrubbed


def _raw_value(payload: Any, code: str) -> Any:
    return payload.get(code) if isinstance(payload, Mapping) else None


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
    return result


def retire_source_record(
    *, system: SourceSystem, entity: str, local_code: str, actor=None, reason: str = ""
) -> SourceRecord:
    """Retire a source record (the system deleted it); its golden record is recomputed."""
    check_entity(entity)
    with transaction.atomic():
        lock_keys([_source_key(system, entity, local_code)])
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
