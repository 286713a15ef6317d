"""The relay embedded in this process, read without HTTP (`sxtriage demo`, `[relay] embed`).

`InProcessRelay` is a `RelaySource` like `RelayClient`, with the same order and the same
replay as the SSE stream: it subscribes to the relay's `Broadcaster` first, then takes
the snapshot (every local issue and the stream position) from the shared store, then
delivers every batch published after that position — issue changes before the envelope
that caused them, envelopes in seq order.  A reader that falls too far behind drops what
waits and catches up from the database, as a stream subscriber reconnecting with
Last-Event-ID does.  Details (events, traces) and local triage are store queries
(`relay/local.py`); an SDK still reaches the relay over HTTP, the UI no longer does.

The relay publishes on its own loop thread; batches cross to the reader's loop through
one bounded inbox and one wake-up per burst.  What the reader learns goes out at most
once per frame (`coalesce.py`: a frame's issue changes merged into one delta, then its
events), as `RelayClient` delivers it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from sxtriage.models import Event, Issue, IssueDelta, Source, SourceHealth, Trace, utcnow
from sxtriage.relay import local
from sxtriage.relay.client import DEFAULT_PROJECTS, RelayClientError
from sxtriage.relay.coalesce import FRAME, FrameBatcher, call_sink
from sxtriage.relay.persist import Published
from sxtriage.relay.stream import Broadcaster, envelope_events
from sxtriage.sinks import DeltaSink, EventSink, HealthSink
from sxtriage.store import Store

INBOX_BATCHES = 20_000
"""Published batches the reader may have waiting; past it, it catches up from the store."""
_PAGE = 500


class InProcessRelay:
    def __init__(
        self,
        broadcaster: Broadcaster,
        store: Store,
        *,
        projects: Mapping[int, str] | None = None,
        inbox: int = INBOX_BATCHES,
        frame: float = FRAME,
    ) -> None:
        self.broadcaster = broadcaster
        self.store = store
        self.projects = dict(projects or DEFAULT_PROJECTS)
        self.health = SourceHealth(name="relay", ok=False, detail="connecting")
        self.position = 0
        """The last envelope seq delivered (the stream's Last-Event-ID)."""
        self.received = 0
        self.frame = frame
        """Seconds: what arrives within one is delivered as one delta (`coalesce.py`)."""
        self._limit = inbox
        self._lock = threading.Lock()
        self._inbox: deque[list[Published]] = deque()
        self._overflowed = False
        self._signalled = False
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- the relay's side (its loop thread) --------------------------------------------
    def _listener(self, batch: list[Published]) -> None:
        with self._lock:
            if self._overflowed:
                return
            if len(self._inbox) >= self._limit:
                self._overflowed = True  # dropped: the reader catches up from the store
                self._inbox.clear()
            else:
                self._inbox.append(batch)
            if self._signalled or self._loop is None or self._wake is None:
                return
            self._signalled = True
            loop, wake = self._loop, self._wake
        loop.call_soon_threadsafe(wake.set)

    # --- the reader's side ---------------------------------------------------------------
    async def run(
        self,
        on_delta: DeltaSink,
        on_event: EventSink | None = None,
        on_health: HealthSink | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        batch = FrameBatcher(on_delta, on_event, source=Source.RELAY, frame=self.frame)
        unsubscribe = self.broadcaster.listen(self._listener)
        try:
            self.position, issues = await local.relay_issues(self.store)
            upserts = [Issue.model_validate_json(text) for text in issues]
            await call_sink(on_delta, IssueDelta(source=Source.RELAY, upserts=upserts))
            self.health = SourceHealth(
                name="relay", ok=True, last_success=utcnow(), detail="embedded in this process"
            )
            await call_sink(on_health, self.health)
            while True:
                await self._wake.wait()
                self._wake.clear()
                with self._lock:
                    self._signalled = False
                    batches = list(self._inbox)
                    self._inbox.clear()
                    overflowed, self._overflowed = self._overflowed, False
                if overflowed:
                    await self._catch_up(batch)
                for published in batches:
                    await self._deliver(published, batch)
        finally:
            unsubscribe()
            batch.cancel()

    async def _deliver(self, published: list[Published], batch: FrameBatcher) -> None:
        for pub in published:
            if pub.seq and pub.seq <= self.position:
                continue  # in the snapshot or caught up from the store already
            if pub.issues:
                batch.upsert(Issue.model_validate_json(text) for text in pub.issues)
            if pub.seq:
                self._envelope(pub.data, batch)
                self.position = pub.seq
            await batch.settle()

    def _envelope(self, data: str, batch: FrameBatcher) -> None:
        events = envelope_events(data, self.projects)
        self.received += len(events)
        for event in events:
            batch.event(event)

    async def _catch_up(self, batch: FrameBatcher) -> None:
        """What a stream subscriber gets when it reconnects with Last-Event-ID: the issues
        changed after the position, then the envelopes after it (`relay/stream.py`)."""
        rows = await self.store.query(
            "SELECT data FROM issues WHERE source='relay' AND seq > ? ORDER BY seq",
            (self.position,),
        )
        if rows:
            upserts = [Issue.model_validate_json(r[0]) for r in rows]
            await batch.flush()  # one delivery of its own, whatever its size
            await call_sink(batch.on_delta, IssueDelta(source=Source.RELAY, upserts=upserts))
        while True:
            rows = await self.store.query(
                "SELECT seq, data FROM envelopes WHERE seq > ? ORDER BY seq LIMIT ?",
                (self.position, _PAGE),
            )
            if not rows:
                return
            for seq, data in rows:
                self._envelope(data, batch)
                self.position = int(seq)
                await batch.settle()

    async def aclose(self) -> None:
        """Nothing to close: the relay server is stopped by whoever started it."""

    # --- DetailSource and local triage: the store, as /local/... answers it ---------------
    async def latest_event(self, issue: Issue) -> Event | None:
        events = await self.events(issue, limit=1)
        return events[0] if events else None

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]:
        return await local.issue_events(self.store, issue.id, limit)

    async def event(self, issue: Issue, event_id: str) -> Event | None:
        return await local.event_by_id(self.store, event_id)

    async def trace(self, trace_id: str) -> Trace | None:
        return await local.trace_by_id(self.store, trace_id)

    async def list_issues(self) -> list[Issue]:
        _position, issues = await local.relay_issues(self.store)
        return [Issue.model_validate_json(text) for text in issues]

    async def update_issue(
        self, issue_id: str, *, status: str | None = None, assignee: str | None = None
    ) -> Issue:
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status
        if assignee is not None:
            body["assignee"] = assignee or None
        try:
            update = local.IssueUpdate.model_validate(body)
        except ValidationError as exc:
            raise RelayClientError(
                f"the relay refused the update: {exc.errors()[0]['msg']}"
            ) from None
        result = await local.update_issue(self.store, issue_id, update)
        if result is None:
            raise RelayClientError(f"no local issue {issue_id}; it may have been pruned")
        self.broadcaster.publish_issue(*result)  # to this reader and any stream subscriber
        return Issue.model_validate_json(result[1])
