"""How a source hands over what it learns: the sink callables the Sentry poller and the
relay sources call (sync or async), implemented by the session (`core/session.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sxtriage.models import Event, IssueDelta, SourceHealth

DeltaSink = Callable[[IssueDelta], Awaitable[None] | None]
EventSink = Callable[[Event], Awaitable[None] | None]
HealthSink = Callable[[SourceHealth], Awaitable[None] | None]
