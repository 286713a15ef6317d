"""Interpreter settings for a process that ingests and shows events live.

Garbage collector.
A relay (and a TUI embedding one) allocates many short- and medium-lived objects per
event.  With CPython's default thresholds (700, 10, 10) that promotes a steady stream of
objects into the old generation, so full collections run every few hundred milliseconds
and each walks every object of the process — imported modules, widgets, the feed —
stopping all threads for 50–150 ms: the largest part of the capture → row latency tail
(measured with `gc.callbacks` at 200 events/s: 40 full collections, 2.4 s in total,
max 77 ms).

`tune_runtime()` moves what exists at start-up (modules, classes, the app) into the
permanent generation so no collection walks it again, and raises the young-generation
threshold so fewer objects are promoted: 2 full collections in the same run.
Reference cycles are still collected; only objects that existed before the call are
exempt (they live for the whole process anyway).

Thread switching.  The TUI embedding a relay runs several threads on one interpreter
lock: the UI loop, the relay's loop, the store writers.  An event crosses the relay's
loop and a writer thread several times; each time the thread waiting for the lock can
wait a whole switch interval (CPython's default: 5 ms) behind the UI's rendering.  At
1 ms those waits shrink (bench_e2e, relay embedded, 200 new issues/s: relay ack p99
≈ 110 → 65 ms) for a negligible cost in switching.
"""

from __future__ import annotations

import gc
import sys
import threading

YOUNG_THRESHOLD = 10_000
SWITCH_INTERVAL = 0.001
_lock = threading.Lock()
_done = False


def tune_runtime(young: int = YOUNG_THRESHOLD, switch: float = SWITCH_INTERVAL) -> bool:
    """Apply both settings once per process; returns False when already applied."""
    global _done
    with _lock:
        if _done:
            return False
        _done = True
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, 1), middle, old)
    sys.setswitchinterval(switch)
    return True
