"""Work over forked children: results in order, the parent's own work meanwhile, failures."""

from __future__ import annotations

import gc
import os

import pytest

from matching.forked import frozen_heap, map_forked


def test_chunks_are_done_in_children_in_order_while_the_parent_works():
    parent = os.getpid()
    offset = 10  # a closure: inherited by the children, never pickled

    results, side = map_forked(
        lambda chunk: (os.getpid(), [x + offset for x in chunk]),
        [[1, 2], [3], [4, 5, 6]],
        processes=2,
        meanwhile=lambda: ("parent", os.getpid()),
    )

    assert [values for _, values in results] == [[11, 12], [13], [14, 15, 16]]
    assert all(pid != parent for pid, _ in results)
    assert side == ("parent", parent)


def test_one_process_does_the_chunks_here():
    results, side = map_forked(lambda chunk: os.getpid(), ["a", "b"], processes=1)

    assert results == [os.getpid(), os.getpid()] and side is None


def test_a_failing_chunk_fails_the_call():
    def work(chunk):
        if chunk == "bad":
            raise ValueError("bad chunk")
        return chunk

    with pytest.raises(ValueError, match="bad chunk"):
        map_forked(work, ["good", "bad"], processes=2)


def test_the_heap_is_frozen_only_while_children_are_forked():
    gc.unfreeze()
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        results, _ = map_forked(lambda _: gc.get_freeze_count() > 0, [1, 2], processes=2)
        assert gc.get_freeze_count() > 0  # the inner block left the outer one's freeze alone

    assert gc.get_freeze_count() == 0
    assert results == [True, True]  # a child's collector never walks what it inherited


def test_a_heap_frozen_before_stays_frozen():
    gc.freeze()  # as a gunicorn worker does once it has loaded the app (mdm.wsgi)
    try:
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
