"""Candidate pairs of a set of records, from their blocking keys."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

from matching.engine.features import Features, Record, prepare


def _block_index(
    keys: Sequence[Sequence[str]], max_block_size: int, skipped: dict[str, int] | None
) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, record_keys in enumerate(keys):
        for key in record_keys:
            index.setdefault(key, []).append(position)
    for key in [k for k, members in index.items() if len(members) > max_block_size]:
        if skipped is not None:
            skipped[key] = len(index[key])
        del index[key]
    return index


def candidate_pairs(
    records: Sequence[Record] | Sequence[Features],
    entity: str,
    max_block_size: int = 200,
    *,
    skipped: dict[str, int] | None = None,
) -> Iterator[tuple[int, int]]:
    """Pairs of positions ``(i, j)``, ``i < j``, of records sharing at least one blocking key.

    Each pair is produced once, in increasing order. A key shared by more than
    ``max_block_size`` records is too common to discriminate (``nm:科技``): it is skipped, and
    counted in ``skipped`` (key -> block size) when a dict is given, so that operators see it.
    """
    features = [_as_features(entity, r) for r in records]
    index = _block_index([f.keys for f in features], max_block_size, skipped)
    for i, f in enumerate(features):
        partners: set[int] = set()
        for key in f.keys:
            members = index.get(key)
            if members is None:
                continue
            start = bisect.bisect_right(members, i)
            partners.update(members[start:])
        for j in sorted(partners):
            yield i, j


def _cross_pairs(
    left: Sequence[Features],
    right: Sequence[Features],
    max_block_size: int,
    skipped: dict[str, int] | None,
) -> Iterator[tuple[int, int]]:
    index = _block_index([f.keys for f in right], max_block_size, skipped)
    left_sizes: dict[str, int] = {}
    for f in left:
        for key in f.keys:
            left_sizes[key] = left_sizes.get(key, 0) + 1
    too_common = {k: n for k, n in left_sizes.items() if n > max_block_size}
    if skipped is not None:
        for key, size in too_common.items():
            skipped[key] = max(size, skipped.get(key, 0))
    for i, f in enumerate(left):
        partners: set[int] = set()
        for key in f.keys:
            members = index.get(key)
            # A block is as costly as left x right: skip it when either side is too common.
            if members is None or key in too_common:
                continue
            partners.update(members)
        for j in sorted(partners):
            yield i, j


def _as_features(entity: str, record: Record | Features) -> Features:
    if isinstance(record, Features):
        return record
    return prepare(entity, record.attrs, record.flagged)
