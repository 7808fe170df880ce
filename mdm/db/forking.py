"""Whether the hub's work may be split over forked processes here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


def can_fork() -> bool:
    """Children see only committed rows: inside a transaction (a test, a caller's atomic block)
    the work stays in this process; so it does on other databases than PostgreSQL."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def fork_pool(processes: int) -> ProcessPoolExecutor:
    """A pool of ``processes`` forked workers (they inherit what the parent prepared)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    return ProcessPoolExecutor(processes, mp_context=get_context("fork"))


def release_free_memory() -> None:
    """Hand the heap freed so far back to the operating system before forking (glibc's
    ``malloc_trim``). Finding the candidate pairs builds and frees millions of Python objects;
    the allocator keeps their pages, and every forked child would start with them resident."""
    import ctypes
    import ctypes.util
    import gc
    from contextlib import suppress

    gc.collect()
    with suppress(OSError, AttributeError, TypeError):  # not glibc: nothing to hand back
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
