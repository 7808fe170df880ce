"""The write path inside its transaction, as named steps: lock, load, diff, link, write, refresh.

``run`` takes one run of a batch (no local code twice, see ``prepare.split_repeats``) through
the steps in one transaction. Each step is a function of what the steps before it returned, so
it can be read, and tested, on its own:

1. ``lock`` — the advisory locks of the records and of their identifiers, in key order;
2. ``load`` — the stored rows, locked, with whether each one's golden record is live;
3. ``diff`` — unchanged records (same fingerprint) get their stored result; the others become
   ``Change`` rows with their new attributes sealed;
4. ``link`` — each change keeps its golden record, goes back to it, or is decided by the
   linker; new golden records get their codes;
5. ``write`` — the rows with history, then the linker's block keys and review candidates;
6. ``refresh`` — survivorship recomputes every golden record touched and writes the events.
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from mdm.db.bulk_copy import create_objects_with_history
from mdm.db.bulk_sql import update_objects_with_history
from mdm.db.locks import lock_keys, try_lock_keys
from mdm.intake.prepare import Pending, scrub_warnings, seal_raw, source_key
from mdm.linking.batch.bulk import BulkLinker
from mdm.linking.realtime import MAX_LOCK_KEYS, MatchingLinker
from mdm.models import GoldenStatusChoices, SourceRecord, SourceSystem, golden_model
from mdm.privacy import crypto
from mdm.records.codes import allocate_golden_codes
from mdm.records.golden import lock_goldens, refresh_goldens

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
#: Merges followed from a returning record's golden record to its survivor.
MAX_MERGE_HOPS = 20


@dataclass
class UpsertResult:
    """What the source system is told: the golden code, how it was linked, what changed."""

    golden_code: str
    link: str
    created: bool
    changed: bool
    warnings: list[dict[str, str]] = field(default_factory=list)
    score: float | None = None


@dataclass
class Change:
    """A record whose content changes in this write: the item, its row, where it was before."""

    pending: Pending
    record: SourceRecord
    is_new: bool
    #: The golden code before this write ("" for a new record).
    previous_code: str
    #: Whether it was an active member of that golden record.
    was_member: bool
    #: A record its system had deleted and sends again (set by ``link``).
    returning: bool = False

    @property
    def local_code(self) -> str:
        return self.pending.local_code


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


def within_lock_budget(run_items: list[Pending]) -> list[list[Pending]]:
    """``run_items`` cut into consecutive runs whose locks stay within
    ``MDM_LOCKS_PER_TRANSACTION`` (see the setting): each is written in a transaction of its
    own. A record takes its local code's lock and, when it is matched, up to
    ``MAX_LOCK_KEYS`` identifier keys (a bulk load takes none)."""
    per_record = 1 if _BULK_LOAD.get() else 1 + MAX_LOCK_KEYS
    size = max(1, settings.MDM_LOCKS_PER_TRANSACTION // per_record)
    return [run_items[i : i + size] for i in range(0, len(run_items), size)]


def run(
    system: SourceSystem,
    entity: str,
    items: list[Pending],
    actor,
    reason: str,
    defer_contended: bool = False,
) -> list[UpsertResult | None]:
    """Write one run in one transaction; a result per item, None for an item left out."""
    if not items:
        return []
    linker = (BulkLinker if _BULK_LOAD.get() else MatchingLinker)(entity, system.code)
    linker.prepare_batch([(p.local_code, p.matching_attributes, p.checked.flagged) for p in items])
    with transaction.atomic():
        kept = lock(system, entity, items, linker, defer_contended=defer_contended)
        if not kept:
            return [None] * len(items)
        stored = load(system, entity, kept)
        results, changes = diff(system, entity, kept, stored)
        if changes:
            # golden_is_live is annotated by load()'s query.
            live = {r.golden_code for r in stored.values() if r.golden_is_live}  # type: ignore[attr-defined]
            new_codes = link(entity, linker, changes, live)
            change_reason = reason or "upsert"
            write(changes, linker, actor, change_reason)
            refresh(system, entity, changes, new_codes, actor, change_reason)
            results.update((c.local_code, result_of(c)) for c in changes)
        return [results.get(p.local_code) for p in items]


def lock(
    system: SourceSystem,
    entity: str,
    items: list[Pending],
    linker: MatchingLinker,
    *,
    defer_contended: bool = False,
) -> list[Pending]:
    """Take the locks of the records' own keys and of the identifier keys the linker needs, so
    concurrent writers of the same thing queue up. With ``defer_contended`` nothing waits: an
    item with a lock held elsewhere is left out (and forgotten by the linker). Returns the
    items kept."""
    if not defer_contended:
        keys = [source_key(system, entity, p.local_code) for p in items]
        lock_keys(keys + linker.lock_keys())
        return items
    keys_of = {
        p.local_code: [source_key(system, entity, p.local_code), *linker.lock_keys_of(p.local_code)]
        for p in items
    }
    held = try_lock_keys(k for ks in keys_of.values() for k in ks)
    if not held:
        return items
    kept = [p for p in items if not held.intersection(keys_of[p.local_code])]
    linker.forget({p.local_code for p in items} - {p.local_code for p in kept})
    return kept


_LOAD_SQL = (
    f"SELECT r.*, EXISTS (SELECT 1 FROM {{golden}} g WHERE g.code = r.golden_code "  # noqa: S608
    "AND g.status = %s) AS golden_is_live "
    f"FROM {SourceRecord._meta.db_table} r "
    "WHERE r.system_id = %s AND r.entity = %s AND r.local_code = ANY(%s) "
    "ORDER BY r.id FOR UPDATE OF r"
)


def load(system: SourceSystem, entity: str, items: list[Pending]) -> dict[str, SourceRecord]:
    """The stored records of ``items`` by local code, locked, each annotated with
    ``golden_is_live`` (whether its golden record is active) in the same round trip."""
    model = golden_model(entity)
    codes = [p.local_code for p in items]
    if connection.vendor == "postgresql":
        # Hand-written (every upsert asks; the ORM's building of it cost more than the
        # answer): the same rows, locked the same way, as the query below.
        records = SourceRecord.objects.raw(
            _LOAD_SQL.format(golden=model._meta.db_table),
            [GoldenStatusChoices.ACTIVE.value, system.pk, entity, codes],
        )
        return {r.local_code: r for r in records}
    # Only these rows are locked (the model's ordering joins the source system, whose row a
    # plain FOR UPDATE would lock too: every writer of the system would queue on it), in id
    # order.
    return {
        r.local_code: r
        for r in SourceRecord.objects.select_for_update(of=("self",))
        .filter(system=system, entity=entity, local_code__in=codes)
        .order_by("pk")
        .annotate(
            golden_is_live=Exists(
                model.objects.filter(
                    code=OuterRef("golden_code"), status=GoldenStatusChoices.ACTIVE
                )
            )
        )
    }


def diff(
    system: SourceSystem, entity: str, items: list[Pending], stored: dict[str, SourceRecord]
) -> tuple[dict[str, UpsertResult], list[Change]]:
    """Split the items into the unchanged (an active stored record with the same fingerprint:
    its stored result, nothing written) and the changes, whose rows (new or stored) get the new
    attributes, encrypted right after standardization, and blind indexes."""
    results: dict[str, UpsertResult] = {}
    changes: list[Change] = []
    for p in items:
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
        if record is None:
            record = SourceRecord(system=system, entity=entity, local_code=p.local_code)
        was_member = record.is_active and bool(record.golden_code)
        changes.append(Change(p, record, is_new, record.golden_code, was_member))
    for change in changes:
        p, record = change.pending, change.record
        record.attributes = crypto.seal(
            p.sealed,
            p.checked.attributes,
            p.blind,
            previous=record.attributes,
            previous_index=record.blind_index,
        )
        record.blind_index, record.flagged = p.blind, p.checked.flagged
    return results, changes


def link(entity: str, linker: MatchingLinker, changes: list[Change], live: set[str]) -> set[str]:
    """Give every change its golden code (``record.golden_code``); returns the new codes.

    A record keeps its golden record when it changes (``live``: the golden codes that are
    active): relinking is the batch match's and the steward's decision, never a side effect of
    an update. A record its system deleted and sends again goes back to its golden record (or
    to the survivor of a merge), so that the code other systems hold keeps working. Only the
    others are decided by the linker (the keys they look up are the only ones whose commonness
    matters), which takes the batch's earlier links into account.
    """
    keeps = {
        c.local_code: c.record.golden_code
        for c in changes
        if c.record.golden_code in live and c.was_member
    }
    returning = returning_targets(
        entity,
        {
            c.local_code: c.record.golden_code
            for c in changes
            if not c.is_new and not c.record.is_active and c.record.golden_code
        },
    )
    keeps.update(returning)
    for change in changes:
        change.returning = change.local_code in returning
    linker.flag_head_office_codes([c.record for c in changes])
    linker.prefetch([c.record for c in changes if c.local_code not in keeps])
    targets: dict[str, str] = {}  # local code -> golden code, or a placeholder while new
    new_for: dict[str, str] = {}  # local code -> placeholder of its new golden record
    for change in changes:
        code, record = change.local_code, change.record
        if code in keeps:
            targets[code] = keeps[code]
            linker.note_linked(record, keeps[code])
            continue
        decision = linker.decide(record)
        record.link_kind, record.link_score = decision.kind, decision.score
        record.link_explanation = decision.explanation or None
        if decision.golden_code:
            targets[code] = decision.golden_code
        else:
            new_for[code] = targets[code] = f"new:{code}"
        linker.note_linked(record, targets[code])
        linker.note_review(record, decision)
    codes = dict(zip(new_for.values(), allocate_golden_codes(entity, len(new_for)), strict=True))
    linker.resolve_goldens(codes)
    for change in changes:
        target = targets[change.local_code]
        change.record.golden_code = codes.get(target, target)
    return set(codes.values())


def returning_targets(entity: str, golden_of: dict[str, str]) -> dict[str, str]:
    """For retired records sent again (local code -> their golden code): the golden record
    each goes back to, by local code: its own, or the survivor its merges lead to, whether
    live or retired (it is reactivated). One left out has no such record (a broken chain)."""
    if not golden_of:
        return {}
    model = golden_model(entity)
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


def write(changes: list[Change], linker: MatchingLinker, actor, reason: str) -> None:
    """Store the changed rows with history (bulk: new rows copied, the others updated), then
    the linker's block keys and review candidates, which need the rows' ids."""
    now = timezone.now()
    created: list[SourceRecord] = []
    updated: list[SourceRecord] = []
    for change in changes:
        p, record = change.pending, change.record
        record.raw = seal_raw(p)
        record.warnings = scrub_warnings(p) + linker.extra_warnings.get(p.local_code, [])
        record.fingerprint = p.print_
        record.is_active = True
        record.updated_at = now
        (created if change.is_new else updated).append(record)
    if created:
        create_objects_with_history(created, SourceRecord, user=actor, reason=reason, date=now)
    if updated:
        update_objects_with_history(updated, SourceRecord, RECORD_FIELDS, user=actor, reason=reason)
    linker.after_save([c.record for c in changes], new_ids={r.pk for r in created})


def refresh(
    system: SourceSystem,
    entity: str,
    changes: list[Change],
    new_codes: set[str],
    actor,
    reason: str,
) -> None:
    """Recompute every golden record the changes touched — the ones they belong to now and the
    ones they left — with survivorship; golden records whose members changed get a crosswalk
    event, reactivated ones say which records brought them back."""
    touched = {c.record.golden_code for c in changes} | {
        c.previous_code for c in changes if c.previous_code
    }
    crosswalk_changed: set[str] = set()
    for change in changes:
        if change.previous_code != change.record.golden_code or not change.was_member:
            crosswalk_changed.add(change.record.golden_code)
            if change.previous_code:
                crosswalk_changed.add(change.previous_code)
    existing = lock_goldens(entity, touched - new_codes)
    # The members of the new golden records are all in this batch: not read back.
    new_members: dict[str, list[SourceRecord]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: c.record.pk):
        if change.record.golden_code in new_codes:
            change.record.system = system
            new_members[change.record.golden_code].append(change.record)
    reactivated: dict[str, list[dict[str, str]]] = defaultdict(list)
    for change in changes:
        if change.returning:
            reactivated[change.record.golden_code].append(
                {"system": system.code, "local_code": change.local_code}
            )
    refresh_goldens(
        entity,
        existing=existing,
        new_codes=new_codes,
        crosswalk_changed=crosswalk_changed,
        actor=actor,
        reason=reason,
        new_members=new_members,
        reactivated=reactivated,
    )


def result_of(change: Change) -> UpsertResult:
    """What the source system is told about a record this write changed."""
    record = change.record
    return UpsertResult(
        record.golden_code,
        record.link_kind,
        change.is_new,
        True,
        record.warnings,
        record.link_score,
    )
