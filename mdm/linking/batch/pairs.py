"""The candidate pairs of a batch match: found once, kept on disk, read one partition at a time.

PostgreSQL groups the block-key index by key and hands over the members of every usable block
(at least two records). A key shared by more than ``MAX_BLOCK`` records is too common; a *weak*
key (name n-grams, pinyin, postal code + initial, address, birth date…) is too common past
``WEAK_BLOCK`` records: a block of 200 companies sharing the trigram 华信科 costs 20,000
comparisons and finds nothing the other keys miss. Skipped keys are counted.

A pair is ``(low id << 32) | high id``, 8 bytes. The pairs are not held in memory: they are
appended, a bounded buffer at a time, to one file per *partition* (``PARTITION_IDS`` consecutive
record ids of the lower record), in a temporary directory. A partition is read back sorted and
without duplicates (a pair sharing five keys is scored once), so the partitions in order give the
same pairs in the same order as one sorted array would. Memory is one buffer and one partition,
whatever the number of records; the scorers take partitions, the job stores groups of them.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Min

from matching.models import BlockKey
from mdm.linking.block_index import MAX_BLOCK, value_frequencies
from mdm.models import SourceRecord

#: Weak key families: a block of these past WEAK_BLOCK records is skipped as too common.
WEAK_FAMILIES = ("nm:", "py:", "tl:", "ab:", "pn:", "nk:", "pp:", "bd:", "pc:", "ad:", "aw:")
WEAK_BLOCK = 24
#: Record ids per partition (by the lower id of a pair). The scoring processes share the
#: partitions out by their pairs: a pair's lower id falls in the first ranges far more often
#: than in the last, so partitions much coarser than this leave one process most of the work
#: (at 100,000 records, 50,000 ids a partition gave one of two processes three quarters).
PARTITION_IDS = 10_000
#: Pairs buffered before they are appended to the partition files.
FLUSH_PAIRS = 1_000_000
#: Identifier fields whose valid value is also a block key (same canonical form).
IDENTIFIER_KEYS = {"credit_code": "cc:", "id_number": "id:", "gtin": "gt:"}

# Members of every block of two or more records; a too-common block comes without its members.
# (A deactivated record's keys are deleted with it, so the index holds active records only.)
_BLOCKS_SQL = """
SELECT key, CASE WHEN COUNT(*) <= (CASE WHEN key ~ %s THEN %s ELSE %s END)
                 THEN array_agg(record_id) END
FROM matching_blockkey
WHERE entity = %s
GROUP BY key
HAVING COUNT(*) >= 2
"""


@dataclass
class PairSample:
    """A sample of a run's candidate pairs (``CandidatePairs.sample``): ``codes`` (sorted) drawn
    uniformly from ``total`` pairs left by the identifier vetoes; ``labelled`` pairs whose
    identifiers answer for them, with ``same`` True where the two records share a valid
    identifier and False where they hold two different ones."""

    codes: np.ndarray
    total: int
    labelled: np.ndarray
    same: np.ndarray


class _BottomK:
    """A uniform sample without replacement of at most ``size`` of the codes added, whatever
    their number: each code gets a random key and the ``size`` smallest keys are kept."""

    def __init__(self, size: int):
        self.size, self.seen = size, 0
        self.codes = np.empty(0, dtype=np.int64)
        self._keys = np.empty(0, dtype=np.float64)

    def add(self, codes: np.ndarray, rng: np.random.Generator) -> None:
        self.seen += len(codes)
        if not self.size or not len(codes):
            return
        keys = np.concatenate([self._keys, rng.random(len(codes))])
        codes = np.concatenate([self.codes, codes])
        if len(codes) > self.size:
            chosen = np.argpartition(keys, self.size - 1)[: self.size]
            keys, codes = keys[chosen], codes[chosen]
        self._keys, self.codes = keys, codes


@dataclass
class CandidatePairs:
    """The partition files of one run; ``sizes`` are the pairs written to each (duplicates
    included, so a guide to a partition's share of the work, not its exact count);
    ``frequencies`` the run's counts of common values (``block_index.value_frequencies``)."""

    directory: Path
    base: int
    sizes: list[int]
    frequencies: dict[str, int] = field(default_factory=dict)

    def parts(self) -> list[int]:
        return [part for part, size in enumerate(self.sizes) if size]

    def read(self, part: int) -> np.ndarray:
        """The partition's pairs, sorted, each once."""
        path = self._path(part)
        if not path.exists():
            return np.empty(0, dtype=np.int64)
        return np.unique(np.fromfile(path, dtype=np.int64))

    def groups(self, count: int) -> list[list[int]]:
        """The non-empty partitions in at most ``count`` runs of consecutive partitions, each
        about the same share of the pairs (a run of partitions is a range of records)."""
        total = sum(self.sizes)
        groups: list[list[int]] = []
        done = 0
        for part in self.parts():
            # A new run starts once the runs so far hold their share of the pairs.
            if not groups or (len(groups) < count and done * count >= total * len(groups)):
                groups.append([])
            groups[-1].append(part)
            done += self.sizes[part]
        return groups

    def sample(
        self, vetoes: IdentifierVetoes, limit: int, seed: int = 0, labelled: int = 0
    ) -> PairSample:
        """What a re-fit estimates and is checked on (see ``PairSample``): a uniform sample of
        ``limit`` of the pairs the identifier vetoes leave (all of them when fewer), and up to
        ``labelled`` pairs of each answer among the pairs whose two records both hold a valid
        identifier of a veto field. The same ``seed`` draws the same sample; memory is the
        samples and one partition, whatever the number of pairs."""
        rng = np.random.default_rng(seed)
        kept = _BottomK(limit)
        same, different = _BottomK(labelled), _BottomK(labelled)
        for part in self.parts():
            pairs = self.read(part)
            if labelled:
                known, equal = vetoes.labels(pairs)
                same.add(pairs[known & equal], rng)
                different.add(pairs[known & ~equal], rng)
            left, _dropped = vetoes.drop(pairs)
            kept.add(left, rng)
        codes = np.sort(kept.codes)
        both = np.concatenate([same.codes, different.codes])
        answers = np.concatenate(
            [np.ones(len(same.codes), bool), np.zeros(len(different.codes), bool)]
        )
        return PairSample(codes, kept.seen, both, answers)

    def _path(self, part: int) -> Path:
        return self.directory / f"{part:06d}.pairs"

    def _append(self, pairs: np.ndarray) -> None:
        pairs = np.unique(pairs)
        part_of = ((pairs >> 32) - self.base) // PARTITION_IDS
        cuts = np.flatnonzero(np.diff(part_of)) + 1
        for chunk in np.split(pairs, cuts):
            part = int((int(chunk[0]) >> 32) - self.base) // PARTITION_IDS
            with self._path(part).open("ab") as handle:
                chunk.tofile(handle)
            self.sizes[part] += len(chunk)


@contextmanager
def candidate_pairs(entity: str, report) -> Iterator[CandidatePairs]:
    """The pairs of records sharing a usable key, partitioned on disk (removed on leaving).
    Counts blocks, skipped keys and pairs considered into ``report``."""
    bounds = SourceRecord.objects.filter(entity=entity, is_active=True).aggregate(
        low=Min("pk"), high=Max("pk")
    )
    base = bounds["low"] or 0
    count = ((bounds["high"] or 0) - base) // PARTITION_IDS + 1
    with tempfile.TemporaryDirectory(prefix=f"mdm-pairs-{entity}-") as directory:
        pairs = CandidatePairs(Path(directory), base, [0] * count)
        pending: list[int] = []
        for _key, ids in _block_members(entity):
            if ids is None:
                report.skipped_keys += 1
                continue
            size = len(ids)
            report.blocks += 1
            report.pairs_considered += size * (size - 1) // 2
            ids.sort()
            pending.extend([(a << 32) | b for a, b in combinations(ids, 2)])
            if len(pending) >= FLUSH_PAIRS:
                pairs._append(np.fromiter(pending, dtype=np.int64, count=len(pending)))
                pending = []
        if pending:
            pairs._append(np.fromiter(pending, dtype=np.int64, count=len(pending)))
        del pending
        pairs.frequencies = value_frequencies(entity)
        yield pairs


def _block_members(entity: str):
    """(key, member ids, or None for a too-common key) of every block of two or more records."""
    if connection.vendor == "postgresql":
        weak = "^(" + "|".join(f.rstrip(":") for f in WEAK_FAMILIES) + "):"
        with transaction.atomic():
            with connection.cursor() as cursor:
                # One pass over the table and a hash aggregate: 3x faster at a million records
                # than walking the key index, which reads the rows in random order.
                cursor.execute(
                    "SET LOCAL work_mem = '256MB'; SET LOCAL enable_indexscan = off; "
                    "SET LOCAL enable_bitmapscan = off; SET LOCAL jit = off"
                )
            # A server-side cursor: blocks stream, they are never all in memory here.
            with connection.chunked_cursor() as cursor:
                # The psycopg server cursor's fetch size: Django's wrapper does not pass it on.
                cursor.cursor.itersize = 20_000
                cursor.execute(_BLOCKS_SQL, [weak, WEAK_BLOCK, MAX_BLOCK, entity])
                yield from cursor
        return
    members: dict[str, list[int]] = defaultdict(list)
    for key, record_id in BlockKey.objects.filter(
        entity=entity, record__is_active=True
    ).values_list("key", "record_id"):
        members[key].append(record_id)
    for key, ids in members.items():
        if len(ids) > 1:
            yield key, None if too_common(key, len(ids)) else ids


def too_common(key: str, size: int) -> bool:
    return size > (WEAK_BLOCK if key.startswith(WEAK_FAMILIES) else MAX_BLOCK)


class IdentifierVetoes:
    """The rule's hard veto (two different valid credit codes are two companies) decided on the
    block-key index, before any record is fetched or prepared: at a million records half of the
    candidate pairs are such look-alikes. Each veto field's column is read once (16 bytes per
    record holding a valid identifier) and then applied to partition after partition."""

    def __init__(self, entity: str, rule):
        self.columns = []
        for name in rule.hard.veto_on_different:
            prefix = IDENTIFIER_KEYS.get(name)
            if prefix is not None:
                ids, values = _identifier_column(entity, prefix)
                if len(ids):
                    self.columns.append((ids, values))

    def labels(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(known, same) per pair: whether both records hold a valid identifier of a veto
        field (the first such field decides), and whether the two are the same."""
        known = np.zeros(len(pairs), dtype=bool)
        same = np.zeros(len(pairs), dtype=bool)
        if not self.columns or not len(pairs):
            return known, same
        lows, highs = pairs >> 32, pairs & 0xFFFFFFFF
        for ids, values in self.columns:
            sides = []
            for side in (lows, highs):
                at = np.minimum(np.searchsorted(ids, side), len(ids) - 1)
                sides.append((ids[at] == side, values[at]))
            (left_has, left), (right_has, right) = sides
            new = left_has & right_has & ~known
            same |= new & (left == right)
            known |= new
        return known, same

    def drop(self, pairs: np.ndarray) -> tuple[np.ndarray, int]:
        """The pairs without two different valid identifiers of a veto field, and how many
        were dropped."""
        if not self.columns or not len(pairs):
            return pairs, 0
        lows, highs = pairs >> 32, pairs & 0xFFFFFFFF
        keep = np.ones(len(pairs), dtype=bool)
        for ids, values in self.columns:
            sides = []
            for side in (lows, highs):
                at = np.minimum(np.searchsorted(ids, side), len(ids) - 1)
                sides.append((ids[at] == side, values[at]))
            (left_has, left), (right_has, right) = sides
            keep &= ~(left_has & right_has & (left != right))
        return pairs[keep], int(len(pairs) - keep.sum())


def _identifier_column(entity: str, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """(record ids sorted, a hash of the record's identifier key) for one identifier family."""
    rows = BlockKey.objects.filter(entity=entity, key__startswith=prefix).values_list(
        "record_id", "key"
    )
    found = dict(rows.iterator(chunk_size=50_000))
    ids = np.fromiter(found, dtype=np.int64, count=len(found))
    values = np.fromiter((hash(k) for k in found.values()), dtype=np.int64, count=len(found))
    order = np.argsort(ids)
    return ids[order], values[order]
