"""Work split over forked child processes, with the parent busy on something else meanwhile.

The scoring core is pure Python: on a machine with two cores, two processes score twice the
pairs. Children are forked (they inherit the prepared records instead of receiving them in a
pickle) and send back only their results. Where fork is missing (Windows, macOS' default), the
chunks run here, one after another.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

#: The function and chunks of the running ``map_forked`` (set just before the children fork;
#: they receive only a chunk's position).
_TASK: list[Any] = []


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _run(position: int) -> Any:
    function, chunks = _TASK
    return function(chunks[position])


def map_forked(
    function: Callable[[Chunk], Result],
    chunks: Sequence[Chunk],
    processes: int,
    meanwhile: Callable[[], Any] | None = None,
) -> tuple[list[Result], Any]:
    """``[function(chunk) for chunk in chunks]`` in ``processes`` forked children, and what
    ``meanwhile()`` returns, run in this process while they work.

    ``function`` may be a closure: it is inherited, never pickled; results come back pickled.
    The caller must hold nothing a child could spoil by inheriting it (close database
    connections first: a child exiting with a copy of the socket would end the session).
    """
    if processes <= 1 or len(chunks) <= 1 or not can_fork() or _TASK:
        results = [function(chunk) for chunk in chunks]
        return results, meanwhile() if meanwhile else None
    _TASK[:] = [function, chunks]
    try:
        context = multiprocessing.get_context("fork")
        with (
            frozen_heap(),
            ProcessPoolExecutor(min(processes, len(chunks)), mp_context=context) as pool,
        ):
            futures = [pool.submit(_run, position) for position in range(len(chunks))]
            side = meanwhile() if meanwhile else None
            return [future.result() for future in futures], side
    finally:
        _TASK.clear()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Fork children inside this block: every object is frozen (``gc.freeze``) until it ends;
    a heap frozen before (a gunicorn worker's, ``mdm.wsgi``; an enclosing block) stays frozen.

    A child's collector then never walks the objects it inherited (walking them writes to
    every page and copies it), and never finalizes inherited garbage whose C state did not
    survive the fork: a DuckDB connection left by an earlier run, whose threads are gone in
    the child, segfaulted it. This process collects that garbage after the block, as before.
    """
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()
