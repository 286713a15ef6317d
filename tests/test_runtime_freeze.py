"""The collector hook of runtime_tuning: survivors frozen, handed back once in a while."""

from __future__ import annotations

import gc
import weakref

from sxtriage.runtime_tuning import _FreezeSurvivors


class _Node:
    me: object = None


def test_survivors_are_frozen_and_handed_back_for_one_full_walk() -> None:
    now = [0.0]
    hook = _FreezeSurvivors(every=300.0, clock=lambda: now[0])
    frozen = gc.get_freeze_count()
    try:
        hook("stop", {"generation": 0})
        assert gc.get_freeze_count() == frozen  # a young collection freezes nothing
        keep = [_Node() for _ in range(100)]
        hook("stop", {"generation": 1})
        assert gc.get_freeze_count() > frozen
        now[0] = 301.0
        hook("stop", {"generation": 1})  # time for a full walk: everything handed back
        assert gc.get_freeze_count() == 0
        hook("stop", {"generation": 1})
        assert gc.get_freeze_count() == 0  # not frozen again before a full collection
        node = _Node()
        node.me = node
        ref = weakref.ref(node)
        del node
        gc.collect()
        assert ref() is None  # a cycle is found once unfrozen
        hook("stop", {"generation": 2})
        assert gc.get_freeze_count() > 0 and keep
    finally:
        gc.freeze()  # leave the process as frozen as it was (or more)
