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

What a live feed keeps grows after start-up: 30,000 issues are ≈ 190,000 tracked objects
and a full collection walking them stops the UI for ≈ 70 ms (a keystroke's whole budget);
under a flood of new issues nearly every young object survives, so even the middle
generation (10 young collections' survivors with CPython's threshold) took 20–40 ms.  So
what survives a middle or full collection is frozen too (a `gc.callbacks` hook): every
collection walks only what was allocated since the last one, at most 2 × `young` objects
(a new-issue flood, 60,000 issues into a feed: longest pause 40–70 → 3 ms, and half the
time spent collecting).  A cycle among frozen objects that later becomes garbage is not
found while frozen, so at most once per `REWALK_S` they are handed back to the collector
and the next full collection walks everything once (one long pause every few minutes,
not several a second).

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
import time
from collections.abc import Callable

YOUNG_THRESHOLD = 5_000
SWITCH_INTERVAL = 0.001
MIDDLE_THRESHOLD = 2
"""Young collections per middle one: the middle generation holds at most 2 × `young`
survivors (≈ 3 ms to walk), not CPython's 10 ×."""
REWALK_S = 300.0
"""Seconds between full collections that walk the frozen objects too (cycles among them)."""
_lock = threading.Lock()
_done = False


class _FreezeSurvivors:
    """A `gc.callbacks` hook: after each middle or full collection, freeze its survivors;
    once per `every` seconds unfreeze them instead, so the next full collection walks all."""

    def __init__(self, every: float = REWALK_S, clock: Callable[[], float] = time.monotonic):
        self.every = every
        self.clock = clock
        self.walked = clock()
        self.rewalking = False
        """Unfrozen: nothing is frozen until a full collection has walked it all."""

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        generation = info.get("generation", 0)
        if phase != "stop" or generation < 1:
            return
        if self.rewalking:
            if generation < 2:
                return
            self.rewalking = False
        elif self.clock() - self.walked >= self.every:
            self.walked = self.clock()
            self.rewalking = True
            gc.unfreeze()
            return
        gc.freeze()


def tune_runtime(young: int = YOUNG_THRESHOLD, switch: float = SWITCH_INTERVAL) -> bool:
    """Apply both settings once per process; returns False when already applied."""
    global _done
    with _lock:
        if _done:
            return False
        _done = True
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_FreezeSurvivors())
    old = gc.get_threshold()[2]
    gc.set_threshold(max(young, 1), MIDDLE_THRESHOLD, old)
    sys.setswitchinterval(switch)
    return True
