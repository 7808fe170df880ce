"""Re-encrypting stored values under the current key (``manage.py rotate_keys``).

Works table by table — source records, golden records and their history tables — in
primary-key keyset batches, each batch its own short transaction, so the hub stays up: every
value is readable throughout, under the old key or the new one (``MultiFernet``).

The same pass also encrypts a ``sensitive_personal`` value still stored in clear (rows written
before encryption at rest, or before the dictionary marked the element sensitive), gives it its
blind index, fingerprint and block keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction

from dictionary.services import encrypted_elements
from matching.engine import prepare
from matching.models import BlockKey
from mdm.intake.prepare import fingerprint
from mdm.models import GOLDEN_MODELS, SourceRecord
from mdm.privacy import crypto


@dataclass
class RotationReport:
    """Rows read and rows rewritten per table."""

    scanned: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, scanned: int, rewritten: int) -> None:
        self.scanned[table] = self.scanned.get(table, 0) + scanned
        self.rewritten[table] = self.rewritten.get(table, 0) + rewritten


def _protect(value: Any, sensitive: bool) -> Any:
    if crypto.is_encrypted(value):
        return crypto.rotate(value)
    if sensitive and isinstance(value, str) and value:
        return crypto.encrypt(value)
    return value


def _protect_map(values: Any, codes: frozenset[str]) -> Any:
    if not isinstance(values, dict):
        return values
    return {k: _protect(v, k in codes) for k, v in values.items()}


def _protect_locked(locked: Any, codes: frozenset[str]) -> Any:
    if not isinstance(locked, dict):
        return locked
    return {
        attr: dict(lock, value=_protect(lock.get("value"), attr in codes))
        if isinstance(lock, dict)
        else lock
        for attr, lock in locked.items()
    }


def _source_row(record, codes: frozenset[str], *, is_history: bool) -> bool:
    """Protect one source record (or history row) in place; True when it changed."""
    plain = {
        k: v
        for k, v in (record.attributes or {}).items()
        if k in codes and v and not crypto.is_encrypted(v)
    }
    before = (record.raw, record.attributes, record.blind_index)
    if plain:
        index = dict(record.blind_index or {}) | crypto.blind_indexes(codes, plain)
        record.blind_index = index
        if not is_history:
            printed = {k: v for k, v in record.attributes.items() if k not in codes} | {
                k: "bi:" + v for k, v in index.items()
            }
            record.fingerprint = fingerprint(printed, record.flagged or [])
    record.attributes = _protect_map(record.attributes, codes)
    record.raw = _protect_map(record.raw, codes)
    changed = (record.raw, record.attributes, record.blind_index) != before
    if changed and plain and not is_history and record.is_active:
        features = prepare(
            record.entity,
            crypto.matching_view(record.attributes, record.blind_index),
            record.flagged,
        )
        BlockKey.objects.filter(record_id=record.pk).delete()
        BlockKey.objects.bulk_create(
            [BlockKey(entity=record.entity, key=key, record_id=record.pk) for key in features.keys]
        )
    return changed


def _golden_row(golden, codes: frozenset[str], typed: tuple[str, ...]) -> bool:
    before = [getattr(golden, a) for a in typed] + [golden.extra, golden.locked]
    for attr in typed:
        value = getattr(golden, attr)
        if isinstance(value, str):
            setattr(golden, attr, _protect(value, attr in codes))
    golden.extra = _protect_map(golden.extra, codes)
    golden.locked = _protect_locked(golden.locked, codes)
    return [getattr(golden, a) for a in typed] + [golden.extra, golden.locked] != before


def _batches(model, batch: int, work: Callable[[Any], bool], fields: list[str]) -> tuple[int, int]:
    """Keyset batches over ``model``; each batch locks its rows and is its own transaction."""
    pk = model._meta.pk.name
    last = None
    scanned = rewritten = 0
    while True:
        with transaction.atomic():
            queryset = model.objects.select_for_update().order_by(pk)
            if last is not None:
                queryset = queryset.filter(**{f"{pk}__gt": last})
            rows = list(queryset[:batch])
            if not rows:
                return scanned, rewritten
            changed = [row for row in rows if work(row)]
            if changed:
                # Not a change of the data: no history row (the history rows are rotated too).
                model.objects.bulk_update(changed, fields, batch_size=batch)
            scanned += len(rows)
            rewritten += len(changed)
            last = getattr(rows[-1], pk)


def rotate_keys(*, batch: int | None = None) -> RotationReport:
    """Re-encrypt every stored ciphertext under the first key of ``MDM_ENCRYPTION_KEYS``."""
    batch = batch or settings.MDM_ROTATION_BATCH
    report = RotationReport()
    codes = {entity: encrypted_elements(entity) for entity in GOLDEN_MODELS}

    def source(is_history: bool) -> Callable[[Any], bool]:
        return lambda row: _source_row(
            row, codes.get(row.entity, frozenset()), is_history=is_history
        )

    for model, is_history in ((SourceRecord, False), (SourceRecord.history.model, True)):
        fields = ["raw", "attributes", "blind_index"] + ([] if is_history else ["fingerprint"])
        report.add(model._meta.db_table, *_batches(model, batch, source(is_history), fields))
    for entity, golden in GOLDEN_MODELS.items():
        typed = tuple(
            a
            for a in golden.TYPED_ATTRIBUTES
            if golden._meta.get_field(a).get_internal_type() in ("CharField", "TextField")
        )
        fields = [*typed, "extra", "locked"]
        for model in (golden, golden.history.model):
            report.add(
                model._meta.db_table,
                *_batches(
                    model,
                    batch,
                    partial(_golden_row, codes=codes[entity], typed=typed),
                    fields,
                ),
            )
    return report
