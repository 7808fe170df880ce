"""The block-key index of stored records and what the real-time linker reads from it: the
candidates of a batch's keys in one query (``fetch_candidates``), their prepared features
(cached per process), keys too common to read, and the writes after a batch (block keys,
review candidates)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import OperationalError, connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone

from dictionary.models import EntityChoices
from matching.engine import (
    Features,
    frequency,
    prepare,
)
from matching.keys import FREQUENCY_FAMILIES, keys_version
from matching.models import (
    BlockKey,
    BlockKeyScheme,
    MatchCandidate,
)
from mdm.db.bulk_sql import column_of, concrete_field
from mdm.models import SourceRecord, golden_model
from mdm.privacy.crypto import PREFIX, matching_view

#: A record is scored against at most MAX_CANDIDATES candidates, ranked by the number of keys
#: they share with it, then by the size of the smallest block they share (rarer is better); of
#: those sharing only one or two keys (a trigram of a name, a postal code…), only the first
#: FEW_KEYS_CANDIDATES[n]. In an import of 3,000 records against 120,000 without the caps,
#: 41,560 of the 61,000 pairs scored shared one key and 18,775 two, and 12 of the 928 auto links
#: came from such a pair: a duplicate shares its name, phone, address keys and more. Another
#: such import, rolled back and repeated with and without the caps, made the same 891 auto
#: links both ways; the other pairs of a block are what the batch match, which scores them
#: all, is for.
MAX_CANDIDATES = 30
FEW_KEYS_CANDIDATES = {1: 3, 2: 4}
#: A key shared by more records than this is too common to block on (e.g. a frequent surname).


#: A key shared by more records than this is too common to block on (e.g. a frequent surname).
MAX_BLOCK = 200


#: The real-time path is stricter: a key shared by more records than this is left to the batch.
REALTIME_BLOCK = 50
# The real-time path knows a key's exact count up to REALTIME_BLOCK: the frequency cap is above.
assert frequency.CAP == REALTIME_BLOCK + 1


def value_frequencies(entity: str, keys: Collection[str] | None = None) -> dict[str, int]:
    """How many active records share each value key (``keys.FREQUENCY_FAMILIES``) that more
    than ``frequency.REFERENCE`` records share, capped at ``frequency.CAP``: of ``keys``, or of
    the whole index (a batch match, once per run). What ``Features.frequencies`` holds."""
    if entity != "customers":  # the only entity with value keys (``keys.value_key``)
        return {}
    if keys is not None:
        keys = [k for k in keys if k.startswith(FREQUENCY_FAMILIES)]
        if not keys:
            return {}
    family = Q()
    for prefix in FREQUENCY_FAMILIES:
        family |= Q(key__startswith=prefix)
    rows = BlockKey.objects.filter(family, entity=entity)
    if keys is not None:
        rows = rows.filter(key__in=keys)
    counted = (
        rows.values("key").annotate(held=Count("pk")).filter(held__gt=frequency.REFERENCE)
    ).values_list("key", "held")
    return {key: min(held, frequency.CAP) for key, held in counted}


#: Past this many records, ``count_values`` counts the whole index (one scan) rather than
#: their keys (the block keys of a record cost about a millisecond to make).
COUNT_WHOLE_INDEX = 2000


def count_values(entity: str, records: Iterable[Features]) -> None:
    """Give prepared records outside a batch match (a rescored candidate, an explained merge)
    the counts of their common values, in one query, as the batch match weighs them."""
    records = list(records)
    if len(records) > COUNT_WHOLE_INDEX:
        table = value_frequencies(entity)
    else:
        table = value_frequencies(entity, {key for f in records for key in f.keys})
    if table:
        for features in records:
            features.frequencies = table


#: Prepared features of stored candidates, kept across the batches of this process (a stored
#: record is a candidate of many later records: in an import against 100,000 records, 4 of 10
#: preparations were of a record an earlier batch had prepared). An entry is used only while the
#: row it was prepared from is unchanged, text for text; the oldest quarter goes when full
#: (about 5 KB an entry: 200 MB per process when full).
PREPARED_CACHE_SIZE = 40_000


_prepared: dict[int, tuple[tuple, Features]] = {}


def _cached_features(entity: str, record_id: int, row: tuple) -> Features:
    hit = _prepared.get(record_id)
    if hit is not None and hit[0] == row:
        return hit[1]
    attributes, flagged, index = row
    if isinstance(attributes, str) and PREFIX not in attributes:
        # No encrypted value in the text: the view is the attributes and the indexes.
        view = _json(attributes) | (_json(index) or {})
    else:
        view = matching_view(_json(attributes), _json(index))
    features = prepare(entity, view, _json(flagged))
    if all(isinstance(part, str) for part in row):
        if len(_prepared) >= PREPARED_CACHE_SIZE:
            for old in list(_prepared)[: PREPARED_CACHE_SIZE // 4]:
                _prepared.pop(old, None)  # another thread may have dropped it already
        _prepared[record_id] = (row, features)
    return features


class StoredRecord:
    """A stored candidate as the index returned it; its features are prepared on first use."""

    __slots__ = ("id", "golden_code", "_features", "_row")

    def __init__(self, record_id: int, golden_code: str, row: tuple):
        self.id, self.golden_code = record_id, golden_code
        self._features: Features | None = None
        self._row: tuple | None = row  # (attributes, flagged, blind index), JSON or decoded

    def features(self, entity: str) -> Features:
        if self._features is None:
            assert self._row is not None  # kept until the features are prepared
            self._features = _cached_features(entity, self.id, self._row)
            self._row = None
        return self._features


#: One round trip. Rows with a key: per key, the ids of at most REALTIME_BLOCK + 1 records
#: indexed under it. Rows without: once each, the records some record of the batch picks
#: among the ids of its keys that are not too common (as :func:`pick_candidates` does), if
#: active and of an active golden record. ``wanted`` pairs each key with the batch position of
#: the record that has it and that record's own id (0 when new), which is no candidate of itself.
_CANDIDATES_SQL = """
WITH wanted AS MATERIALIZED (
    SELECT * FROM unnest(%s::int[], %s::bigint[], %s::text[]) AS w(position, self_id, key)
),
hits AS MATERIALIZED (
    SELECT k.key, ARRAY(
        SELECT b.record_id FROM matching_blockkey b
        WHERE b.entity = %s AND b.key = k.key LIMIT %s
    ) AS ids
    FROM (SELECT DISTINCT key FROM wanted) AS k
),
shared AS (
    SELECT w.position, c.id, count(*) AS keys, min(cardinality(h.ids)) AS block
    FROM wanted w
    JOIN hits h ON h.key = w.key AND cardinality(h.ids) <= %s
    CROSS JOIN LATERAL unnest(h.ids) AS c(id)
    WHERE c.id <> w.self_id
    GROUP BY w.position, c.id
),
ranked AS (
    SELECT id, keys,
        row_number() OVER (PARTITION BY position ORDER BY keys DESC, block, id) AS place,
        row_number() OVER (PARTITION BY position, keys ORDER BY block, id) AS place_among_equals
    FROM shared
)
SELECT key, ids, NULL, NULL, NULL, NULL, NULL FROM hits
UNION ALL
SELECT NULL, NULL, r.id, r.golden_code, r.attributes, r.flagged, r.blind_index
FROM mdm_sourcerecord r
JOIN {golden} g ON g.code = r.golden_code
WHERE r.id = ANY(ARRAY(
    SELECT DISTINCT id FROM ranked
    WHERE place <= %s AND place_among_equals <= COALESCE((%s::jsonb ->> keys::text)::int, %s)
)) AND r.is_active AND g.status = 'active'
"""


#: JSON texts of the empty values most candidates have (no flagged element, no blind index).
_EMPTY_JSON: dict[str, Any] = {"[]": [], "{}": {}}


def _json(value):
    if not isinstance(value, str):
        return value
    empty = _EMPTY_JSON.get(value)
    if empty is not None:
        return type(empty)()
    return json.loads(value)


@dataclass
class StoredCandidates:
    """What the index holds for a set of keys: the stored records under each usable key, the
    active ones of those records (of active golden records), and the keys too common to use."""

    hits: dict[str, list[int]] = field(default_factory=dict)
    records: dict[int, StoredRecord] = field(default_factory=dict)
    common: set[str] = field(default_factory=set)


def fetch_candidates(
    entity: str, wanted: Sequence[tuple[int | None, Collection[str]]]
) -> StoredCandidates:
    """The stored candidates of a batch whose records are ``(own id or None, keys)``, in one
    query. PostgreSQL reads at most REALTIME_BLOCK + 1 index rows per key, and sends each
    picked candidate once, however many records pick it. Features are prepared when first
    needed, from the attributes as matching sees them (blind indexes in place of encrypted
    values)."""
    found = StoredCandidates()
    keys = {k for _, record_keys in wanted for k in record_keys}
    if not keys:
        return found
    model = golden_model(entity)
    if connection.vendor != "postgresql":
        return _fetch_candidates_orm(entity, keys)
    now = time.monotonic()
    found.common = {
        k for k in keys if now - _common_keys.get((entity, k), -COMMON_KEY_TTL) < COMMON_KEY_TTL
    }
    positions: list[int] = []
    self_ids: list[int] = []
    pairs: list[str] = []
    for position, (own_id, record_keys) in enumerate(wanted):
        for key in record_keys:
            if key not in found.common:
                positions.append(position)
                self_ids.append(own_id or 0)
                pairs.append(key)
    with connection.cursor() as cursor:
        cursor.execute(
            _CANDIDATES_SQL.format(golden=model._meta.db_table),
            [
                positions,
                self_ids,
                pairs,
                entity,
                REALTIME_BLOCK + 1,
                REALTIME_BLOCK,
                MAX_CANDIDATES,
                json.dumps(FEW_KEYS_CANDIDATES),
                MAX_CANDIDATES,
            ],
        )
        for key, ids, record_id, code, attributes, flagged, index in cursor.fetchall():
            if key is None:
                # Django's psycopg setup hands jsonb back as text (its JSONField decodes it).
                row = (attributes, flagged, index)
                found.records[record_id] = StoredRecord(record_id, code, row)
            elif len(ids) > REALTIME_BLOCK:
                found.common.add(key)
                _remember_common(entity, key, now)
            elif ids:
                found.hits[key] = ids
    return found


#: Keys found too common, with when (``time.monotonic()``): not looked up again for
#: ``COMMON_KEY_TTL`` seconds. A common surname or name n-gram comes back in every batch of an
#: import, and reading its REALTIME_BLOCK + 1 index rows only to learn that it is too common
#: was most of what the candidate query read (a batch of 500 records against over 100,000: 553 of
#: its 3,281 keys too common, 28,000 of the 39,000 index rows read). A key rarely stops being
#: common; when it does, it is looked up again within minutes.
COMMON_KEY_TTL = 600.0


COMMON_KEYS_MAX = 200_000


_common_keys: dict[tuple[str, str], float] = {}


def _remember_common(entity: str, key: str, now: float) -> None:
    if len(_common_keys) >= COMMON_KEYS_MAX:
        for old in list(_common_keys)[: COMMON_KEYS_MAX // 4]:
            _common_keys.pop(old, None)
    _common_keys[(entity, key)] = now


def _fetch_candidates_orm(entity: str, keys: Collection[str]) -> StoredCandidates:
    """The embedded SQLite demo: the same answer through the ORM."""
    model = golden_model(entity)
    found = StoredCandidates()
    hits: dict[str, list[int]] = defaultdict(list)
    for key, record_id in BlockKey.objects.filter(entity=entity, key__in=keys).values_list(
        "key", "record_id"
    ):
        hits[key].append(record_id)
    for key, ids in hits.items():
        if len(ids) > REALTIME_BLOCK:
            found.common.add(key)
        else:
            found.hits[key] = ids
    rows = SourceRecord.objects.filter(
        pk__in={i for ids in found.hits.values() for i in ids},
        is_active=True,
        golden_code__in=model.objects.active().values("code"),
    ).values_list("pk", "golden_code", "attributes", "flagged", "blind_index")
    for record_id, code, attributes, flagged, index in rows:
        found.records[record_id] = StoredRecord(record_id, code, (attributes, flagged, index))
    return found


def insert_block_keys(rows: Iterable[tuple[str, str, int]]) -> None:
    """Add ``(entity, key, record id)`` rows to the index: one COPY on PostgreSQL (a batch of
    imports adds tens of thousands of keys), ``bulk_create`` elsewhere."""
    if connection.vendor != "postgresql":
        BlockKey.objects.bulk_create(
            [BlockKey(entity=e, key=k, record_id=r) for e, k, r in rows], batch_size=2000
        )
        return
    opts = BlockKey._meta
    columns = ", ".join(
        column_of(concrete_field(BlockKey, name)) for name in ("entity", "key", "record")
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {opts.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


_REPLACE_KEYS_SQL = """
WITH wanted AS (
    SELECT * FROM unnest(%s::bigint[], %s::text[]) AS w(record_id, key)
), gone AS (
    DELETE FROM matching_blockkey b
    WHERE b.record_id = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.record_id = b.record_id AND w.key = b.key)
)
INSERT INTO matching_blockkey (entity, key, record_id)
SELECT %s, w.key, w.record_id FROM wanted w
WHERE NOT EXISTS (
    SELECT 1 FROM matching_blockkey b WHERE b.record_id = w.record_id AND b.key = w.key
)
"""


def replace_block_keys(entity: str, keys_of: dict[int, Sequence[str]]) -> None:
    """Make the index hold exactly ``keys_of[record id]`` for these records.

    On PostgreSQL one statement deletes the keys a record lost and adds the ones it gained:
    an update that changes no key (a new contact name) writes nothing to the index.
    """
    if not keys_of:
        return
    if connection.vendor != "postgresql":
        BlockKey.objects.filter(record_id__in=list(keys_of)).delete()
        insert_block_keys((entity, k, pk) for pk, keys in keys_of.items() for k in keys)
        return
    pairs = [(pk, key) for pk, keys in keys_of.items() for key in keys]
    with connection.cursor() as cursor:
        cursor.execute(
            _REPLACE_KEYS_SQL,
            [[pk for pk, _ in pairs], [key for _, key in pairs], list(keys_of), entity],
        )


#: Records re-keyed per transaction by ``rebuild_block_keys``.
REKEY_BATCH = 2000


@dataclass
class RekeyReport:
    """What ``rebuild_block_keys`` did: active records read, records whose keys changed."""

    entity: str
    records: int = 0
    changed: int = 0


def rebuild_block_keys(entity: str, *, batch: int = REKEY_BATCH) -> RekeyReport:
    """Make the index hold, for every active record of ``entity``, the keys that the running
    release makes of it (``matching.keys``): after an upgrade that changed how keys are made,
    records stored before it would otherwise never meet the records that use the new keys.

    One transaction per ``batch`` records, in id order; the records of a batch are locked while
    their keys are computed and written, so an upsert of one of them waits and then writes the
    keys of its own values. Only records whose keys changed are written."""
    report = RekeyReport(entity)
    last = 0
    while True:
        for attempt in range(REKEY_ATTEMPTS):
            try:
                read, changed, last_id = _rekey_batch(entity, last, batch)
                break
            except OperationalError as exc:
                # A writer that locks several records in another order: PostgreSQL aborts
                # one of the two; this batch is read again from the start.
                deadlock = getattr(exc.__cause__, "sqlstate", None) == DEADLOCK
                if not deadlock or attempt == REKEY_ATTEMPTS - 1:
                    raise
        if not read:
            mark_keys_current(entity)
            return report
        report.records += read
        report.changed += changed
        last = last_id


def keys_scheme(entity: str) -> int:
    """The way of making keys (``matching.keys.keys_version``) the entity's stored records
    were keyed under: another than this release's means ``match --rekey`` is due. An entity the
    hub holds no scheme for counts as current (a test database emptied by a flush)."""
    found = BlockKeyScheme.objects.filter(entity=entity).values_list("version", flat=True).first()
    return keys_version(entity) if found is None else found


def stale_keys_warning(entity: str) -> str | None:
    """The line a batch match reports (command output, the nightly job's log) while the
    entity's stored keys are another release's, or None."""
    scheme, current = keys_scheme(entity), keys_version(entity)
    if scheme == current:
        return None
    return (
        f"warning: the block keys of {entity} were made by another release (scheme {scheme}, "
        f"this release {current}): records stored before the upgrade may not meet new "
        f"ones; run `match --entity {entity} --rekey` once"
    )


def mark_keys_current(entity: str) -> None:
    BlockKeyScheme.objects.update_or_create(
        entity=entity, defaults={"version": keys_version(entity)}
    )


#: Entities whose keys the release that numbered the schemes changed (company names): an
#: upgraded hub holding records of them is marked for a rekey; the others were keyed the
#: same way before and are current.
CHANGED_WHEN_NUMBERED = frozenset({"customers"})


def stamp_keys_schemes(*, using: str = "default", **_kwargs: Any) -> None:
    """After ``migrate``: an entity without records is keyed the current way whatever comes;
    one that has no scheme yet (the upgrade that brings this table) and holds records whose
    keys that release changed is marked 0, so that ``match`` asks for a rekey."""
    tables = connections[using].introspection.table_names()
    if BlockKeyScheme._meta.db_table not in tables or SourceRecord._meta.db_table not in tables:
        return  # a partial migrate (``migrate matching zero``)
    now = timezone.now()
    with transaction.atomic(using=using):
        schemes = dict(BlockKeyScheme.objects.using(using).values_list("entity", "version"))
        for entity in EntityChoices.values:
            has_records = SourceRecord.objects.using(using).filter(entity=entity).exists()
            version, current = schemes.get(entity), keys_version(entity)
            if version is None:
                stale = has_records and entity in CHANGED_WHEN_NUMBERED
                BlockKeyScheme.objects.using(using).get_or_create(
                    entity=entity, defaults={"version": 0 if stale else current}
                )
            elif not has_records and version != current:
                BlockKeyScheme.objects.using(using).filter(entity=entity).update(
                    version=current, updated_at=now
                )


#: How often a batch of ``rebuild_block_keys`` is tried when PostgreSQL reports a deadlock.
REKEY_ATTEMPTS = 3
DEADLOCK = "40P01"


def _rekey_batch(entity: str, after: int, batch: int) -> tuple[int, int, int]:
    """One transaction of ``rebuild_block_keys``: (records read, records changed, last id)."""
    active = SourceRecord.objects.filter(entity=entity, is_active=True)
    with transaction.atomic():
        rows = list(
            active.filter(pk__gt=after)
            .order_by("pk")
            .select_for_update(of=("self",))
            .values_list("pk", "attributes", "flagged", "blind_index")[:batch]
        )
        if not rows:
            return 0, 0, after
        held: dict[int, set[str]] = defaultdict(set)
        for record_id, key in BlockKey.objects.filter(
            record_id__in=[row[0] for row in rows]
        ).values_list("record_id", "key"):
            held[record_id].add(key)
        changed: dict[int, Sequence[str]] = {}
        for record_id, attributes, flagged, index in rows:
            keys = prepare(entity, matching_view(attributes, index), flagged).keys
            if set(keys) != held.get(record_id, set()):
                changed[record_id] = list(dict.fromkeys(keys))
        replace_block_keys(entity, changed)
        return len(rows), len(changed), rows[-1][0]


def write_candidates(
    entity: str,
    pairs: Iterable[tuple[int, int, float, list[dict]]],
    *,
    origin: str,
    dry_run: bool = False,
) -> int:
    """Queue review pairs; returns how many new ones were (``dry_run``: would be) queued.

    A pair already known (pending, accepted or rejected) is left alone: a rejected pair is never
    proposed again; the batch match brings the scores of pending ones up to date
    (``mdm.linking.batch.match.rescore_pending``). ``dry_run``: nothing is written.

    ``explanation`` describes ``a`` as left and ``b`` as right; a pair is stored with the lower
    id on the left, so its explanation is turned around with it.
    """
    rows: dict[tuple[int, int], MatchCandidate] = {}
    for a, b, score, explanation in pairs:
        left, right = min(a, b), max(a, b)
        if a > b:
            explanation = [
                e | {"left": e.get("right"), "right": e.get("left")} for e in explanation
            ]
        rows.setdefault(
            (left, right),
            MatchCandidate(
                entity=entity,
                left_id=left,
                right_id=right,
                score=score,
                explanation=explanation,
                origin=origin,
            ),
        )
    if not rows:
        return 0
    existing = set(
        MatchCandidate.objects.filter(
            left_id__in={k[0] for k in rows}, right_id__in={k[1] for k in rows}
        ).values_list("left_id", "right_id")
    )
    new = [c for k, c in rows.items() if k not in existing]
    if not dry_run:
        MatchCandidate.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def pick_candidates(ranked: Iterable[Sequence[Any]]) -> list[Any]:
    """The candidates a record is scored against, from ``(shared keys, smallest block shared,
    id, candidate)``: see MAX_CANDIDATES. The candidate query picks the same way in SQL."""
    picked: list[Any] = []
    taken = dict.fromkeys(FEW_KEYS_CANDIDATES, 0)
    for position, (shared, _block, _id, candidate) in enumerate(sorted(ranked, key=_rank)):
        if position >= MAX_CANDIDATES:
            break
        if shared in taken:
            taken[shared] += 1
            if taken[shared] > FEW_KEYS_CANDIDATES[shared]:
                continue
        picked.append(candidate)
    return picked


def _rank(item: Sequence[Any]) -> tuple[int, int, int]:
    return -item[0], item[1], item[2]
