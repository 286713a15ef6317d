"""What the UI may ask a source for, beyond the live deltas.

The Sentry API client and the relay client both implement `DetailSource`; the UI picks
one by the issue's `source` and never speaks HTTP itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from sxtriage.models import Event, Issue, IssueDelta, SourceHealth, Trace

DeltaSink = Callable[[IssueDelta], Awaitable[None] | None]
EventSink = Callable[[Event], Awaitable[None] | None]
HealthSink = Callable[[SourceHealth], Awaitable[None] | None]


@runtime_checkable
class DetailSource(Protocol):
    async def latest_event(self, issue: Issue) -> Event | None: ...

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]: ...

    async def event(self, issue: Issue, event_id: str) -> Event | None: ...

    async def trace(self, trace_id: str) -> Trace | None: ...
