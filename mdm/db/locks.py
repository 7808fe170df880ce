"""Transaction-scoped locks on business keys, so concurrent writers of the same thing queue up.

Two upserts of the same company from different systems share a key (its credit code, or a
blocking key of its name); each takes PostgreSQL advisory locks on its keys before looking for
a match, so the second one waits for the first to commit and then finds its golden record
instead of creating a duplicate. Keys are locked in a fixed order to rule out deadlocks.
SQLite serializes writers itself, so there this is a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import connection


def _key_id(key: str) -> int:
    # 64-bit signed integer from a stable hash (Python's hash() is salted per process).
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def lock_keys(keys: Iterable[str]) -> None:
    """Take exclusive advisory locks on ``keys`` until the current transaction ends."""
    if connection.vendor != "postgresql":
        return
    ids = sorted({_key_id(k) for k in keys})
    if not ids:
        return
    with connection.cursor() as cursor:
        # One round trip; ORDER BY keeps the acquisition order fixed across transactions.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [ids]
        )


def try_lock_keys(keys: Iterable[str]) -> set[str]:
    """Take the advisory locks on ``keys`` that are free, without waiting; returns the keys
    another transaction holds (a key this transaction holds already counts as taken).

    The locks taken stay until the transaction ends, whatever the caller does with the others.
    """
    if connection.vendor != "postgresql":
        return set()
    by_id: dict[int, list[str]] = {}
    for key in keys:
        by_id.setdefault(_key_id(key), []).append(key)
    if not by_id:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k FROM unnest(%s::bigint[]) AS k WHERE NOT pg_try_advisory_xact_lock(k)",
            [sorted(by_id)],
        )
        return {key for (k,) in cursor.fetchall() for key in by_id[k]}
