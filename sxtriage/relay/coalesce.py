"""One delivery per frame: what a relay source learns within one frame reaches the
session as one `IssueDelta` (then that frame's events, in order).

At 200 new issues/s one apply per issue means 200 feed merges, re-sorts and repaint
requests a second; merged per frame the session, the feed and the UI do one apply and
one repaint per frame whatever the rate.  Both relay sources (`client.py` over SSE,
`inproc.py` in-process) hand every message to a `FrameBatcher`:

- quiet (fewer than one delivery per frame lately): what arrived in this turn of the event
  loop (one chunk of the stream, one wake-up of the in-process inbox) goes out at the end
  of the turn, so a low rate pays no added latency;
- busy: one delivery per frame at most (one allowance per `frame`, `burst` saved up at
  most); what arrives meanwhile waits and goes out merged;
- merge: upserts keyed by issue id, the last one wins; a removal after an upsert wins
  (and an upsert after a removal brings the issue back); first-seen order is kept;
- a delivery's issue changes come before its events, so an event's issue is in the feed
  when the event arrives (the stream's own order: an issue before its envelope);
- bounded: once `cap` issues or events wait they go out at once, in deliveries of at most
  `cap` changes with the loop free between them, so a burst (a replay, a reconnect) is
  many bounded frames with keystrokes and repaints between them, never one giant frame;
- sliced by time: a delivery carries as many changes as the sink handles in `slice`
  seconds (measured as it runs: the feed, the correlator, the alerts and the list cost
  more per issue as they grow), and the events of a delivery, and the messages a source
  reads in one loop turn, give the loop back once they took `slice`: a key and a repaint
  wait a few milliseconds behind ingest, not a 500-issue merge.  The source waits while a
  delivery runs, so a stream that brings more than the UI can take stays in the socket
  (and the relay drops and resumes a reader too far behind), not in memory here.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from sxtriage.models import Event, Issue, IssueDelta, Source
from sxtriage.sinks import DeltaSink, EventSink

FRAME = 1 / 60
"""Seconds: one delivery per frame at most (Textual paints at up to 60 frames/s)."""
CAP = 500
"""Issues (upserts + removals) or events one delivery carries at most."""
SLICE = 0.004
"""Seconds of sink work after which a delivery gives the event loop back."""
MIN_CHANGES = 16
"""A delivery carries at least this many changes whatever they cost (progress)."""
T = TypeVar("T")


async def call_sink(sink: Callable[[T], Awaitable[None] | None] | None, value: T) -> None:
    """Hand `value` to a sink that may be sync or async (None: nobody listens)."""
    if sink is None:
        return
    result = sink(value)
    if inspect.isawaitable(result):
        await result


class DeltaMerge:
    """Deltas of one source merged into one: see the module's rules."""

    __slots__ = ("removals", "source", "upserts")

    def __init__(self, source: Source) -> None:
        self.source = source
        self.upserts: dict[str, Issue] = {}
        self.removals: dict[str, None] = {}

    def __len__(self) -> int:
        return len(self.upserts) + len(self.removals)

    def add(self, delta: IssueDelta) -> None:
        self.upsert(delta.upserts)
        for issue_id in delta.removals:
            self.upserts.pop(issue_id, None)
            self.removals[issue_id] = None

    def upsert(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.removals.pop(issue.id, None)
            self.upserts[issue.id] = issue  # an updated key keeps its first-seen place

    def take(self, limit: int | None = None) -> IssueDelta | None:
        """The merged delta, or its first `limit` changes (None when nothing waits); what
        is taken leaves the merge."""
        if not self.upserts and not self.removals:
            return None
        if limit is None or len(self) <= limit:
            upserts, removals = list(self.upserts.values()), list(self.removals)
            self.upserts, self.removals = {}, {}
        else:
            ids = list(self.upserts)[:limit]
            upserts = [self.upserts.pop(i) for i in ids]
            gone = list(self.removals)[: limit - len(ids)]
            for issue_id in gone:
                del self.removals[issue_id]
            removals = gone
        return IssueDelta.model_construct(source=self.source, upserts=upserts, removals=removals)


class FrameBatcher:
    """Collects one source's deltas and events; delivers them at most once per frame.

    The source calls `delta` / `upsert` / `event` for what one message carried, then
    `settle`; `flush` delivers what waits now (before a snapshot); `cancel` drops it."""

    def __init__(
        self,
        on_delta: DeltaSink,
        on_event: EventSink | None,
        *,
        source: Source = Source.RELAY,
        frame: float = FRAME,
        cap: int = CAP,
        burst: float = 2.0,
        slice: float = SLICE,
    ) -> None:
        self.on_delta = on_delta
        self.on_event = on_event
        self.frame = frame
        self.cap = max(1, cap)
        self.burst = max(1.0, burst)
        self.slice = slice
        self._per_change = 0.0
        """Seconds the delta sink took per change lately (a moving average)."""
        self._turn = time.perf_counter()
        """When the source last gave the loop back (`settle`)."""
        self._allowance = self.burst
        """Deliveries that may go out without waiting (one more per frame, up to burst)."""
        self._stamp = float("-inf")
        self._merge = DeltaMerge(source)
        self._events: list[Event] = []
        self._timer: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self._flushing: set[asyncio.Task[None]] = set()
        self._failed: BaseException | None = None
        """A sink's error in a scheduled delivery: raised in the source's task next."""

    @property
    def waiting(self) -> int:
        return len(self._merge) + len(self._events)

    def delta(self, delta: IssueDelta) -> None:
        self._merge.add(delta)

    def upsert(self, issues: Iterable[Issue]) -> None:
        """Issues added or changed (a delta of upserts only, without building one)."""
        self._merge.upsert(issues)

    def event(self, event: Event) -> None:
        self._events.append(event)

    def _refill(self, now: float) -> None:
        if self.frame <= 0:
            self._allowance = self.burst
        else:
            self._allowance = min(self.burst, self._allowance + (now - self._stamp) / self.frame)
        self._stamp = now

    async def settle(self) -> None:
        """After a message: the cap reached, deliver now; else schedule the delivery (at
        the end of this loop turn when allowed, else when the next frame allows one).
        While a delivery is under way (a sink that awaits) the source waits for it: a slow
        sink slows the source down instead of letting work pile up."""
        if self._flushing:
            await asyncio.wait(set(self._flushing))
            self._turn = time.perf_counter()
        elif time.perf_counter() - self._turn > self.slice:
            await asyncio.sleep(0)  # one chunk of a fast stream parsed long enough
            self._turn = time.perf_counter()
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed
        if not self.waiting:
            return
        if len(self._merge) >= self.cap or len(self._events) >= self.cap:
            await self.flush()
            await asyncio.sleep(0)  # a burst: let keys and a repaint in between frames
            return
        if self._timer is not None:
            return  # a delivery is scheduled: this message goes with it
        loop = asyncio.get_running_loop()
        self._refill(loop.time())
        wait = 0.0 if self._allowance >= 1 else (1 - self._allowance) * self.frame
        self._timer = loop.call_later(wait, self._due)

    def _due(self) -> None:
        self._timer = None
        if self.waiting:
            task = asyncio.get_running_loop().create_task(self.flush())
            self._flushing.add(task)
            task.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Task[None]) -> None:
        self._flushing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._failed = task.exception()

    async def flush(self) -> None:
        """Deliver what waits: the merged delta first (in deliveries of at most `cap`
        changes, the loop free between them), then the events in order."""
        async with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self.waiting:
                return
            self._refill(asyncio.get_running_loop().time())
            self._allowance = max(0.0, self._allowance - 1)
            clock = time.perf_counter
            while (delta := self._merge.take(self._limit())) is not None:
                started = clock()
                await call_sink(self.on_delta, delta)
                self._measured(len(delta.upserts) + len(delta.removals), clock() - started)
                if len(self._merge):
                    await asyncio.sleep(0)
            events, self._events = self._events, []
            started = clock()
            for event in events:
                await call_sink(self.on_event, event)
                if clock() - started > self.slice:
                    await asyncio.sleep(0)
                    started = clock()

    def _limit(self) -> int:
        """Changes one delivery carries: what the sink handles in `slice` seconds."""
        if self._per_change <= 0 or self.slice <= 0:
            return self.cap
        fits = int(self.slice / self._per_change)
        return max(min(MIN_CHANGES, self.cap), min(self.cap, fits))

    def _measured(self, changes: int, seconds: float) -> None:
        if changes <= 0:
            return
        per = seconds / changes
        self._per_change = per if self._per_change <= 0 else 0.7 * self._per_change + 0.3 * per

    def cancel(self) -> None:
        """Drop what waits and stop the scheduled delivery (the source was stopped)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._flushing):
            task.cancel()
        self._merge.take()
        self._events = []
