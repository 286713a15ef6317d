"""Admission control: past its capacity the relay answers 429 at once instead of queueing.

Every ingest request holds a `Ticket` from the moment its handler starts until its answer
is sent; the tickets are the relay's whole in-memory backlog (raw bodies, jobs with the
scrubbing workers, batches waiting for their commit), so bounding them bounds every
queue between HTTP accept and the store/stream.  Nothing unscrubbed ever touches disk.

A request is refused (429) when, counting it:

1. the backlog would exceed its hard caps (`max_events`, `max_bytes`: memory stays
   bounded whatever the cost estimate says), or
2. the oldest request in the backlog has already waited longer than the burst budget
   (the pipeline is stalled: a worker restarting, a slow disk), or
3. the predicted wait — the event loop's lag plus backlog events × the measured cost
   per event — exceeds the budget: `burst_budget` (0.5 s) while a burst is short;
   `standing_budget` (0.1 s) once requests have really waited (the loop's lag plus the
   oldest one's age) longer than that for a whole `standing_after` (1 s), until they
   wait less than half of it for as long.  A short burst is absorbed; a sustained
   overload keeps a short queue, so the requests accepted are answered quickly (CoDel's
   idea: a standing queue is only latency).  An empty backlog always takes one.

The loop's lag is the wait before a ticket: a request is read, parsed and handed to its
handler only when the event loop gets to it, and a loop saturated by HTTP parsing (the
refusals' too), scrubbing results and commits makes every request wait there, where no
ticket counts it.  `LoopLag` measures it as how late a 10 ms timer fires (rising at once,
fading over 0.1 s); it counts in the predicted wait and in the wait that makes a queue
standing, so admission sheds pipeline work while the loop is behind, and the loop's time
goes to answering, 429s included, instead.

The cost per event is measured, not configured: busy time (any request in the backlog)
divided by the events completed meanwhile, both fading exponentially over 0.5 s of busy
time (batches finish in clumps; a fading sum has no window edge for a clump to fall
on).  Saturated, that is 1 / throughput; at low load it also counts the fixed latency
of one event, which only makes the estimate cautious where it does not matter.  Until
16 events have completed, the backlog holds at most `initial_events` (128).

The refusal is Sentry Relay's: 429 with `Retry-After: <s>` and
`X-Sentry-Rate-Limits: <s>::organization:<reason>` (empty categories = every category;
getsentry/relay `relay-server/src/utils/rate_limits.rs` `format_rate_limits`, and the 429
in `relay-server/src/endpoints/common.rs`).  sentry-python's transport honours the header
(`_parse_rate_limits`: no categories → all) and holds every event back for that long.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sxtriage.config import ConfigError

REASON = "relay_backlog"
"""The reason code in X-Sentry-Rate-Limits (free-form, machine readable, like Sentry's)."""
SCOPE = "organization"
"""Sentry's widest quota scope: the relay's backlog holds every project's events."""

_ENV = {
    "SXTRIAGE_RELAY_BUDGET_MS": "burst_budget_ms",
    "SXTRIAGE_RELAY_STANDING_BUDGET_MS": "standing_budget_ms",
    "SXTRIAGE_RELAY_MAX_BACKLOG": "max_events",
    "SXTRIAGE_RELAY_MAX_BACKLOG_MB": "max_mb",
    "SXTRIAGE_RELAY_MAX_EVENTS_PER_S": "max_events_per_s",
}


class _EnvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    burst_budget_ms: float = Field(default=500.0, gt=0, le=60_000)
    standing_budget_ms: float = Field(default=100.0, gt=0, le=60_000)
    max_events: int = Field(default=10_000, ge=1)
    max_mb: float = Field(default=64.0, gt=0)
    max_events_per_s: float | None = Field(default=None, gt=0)


@dataclass(frozen=True, slots=True)
class AdmissionConfig:
    burst_budget: float = 0.5
    """Longest predicted wait accepted while a burst is short (seconds)."""
    standing_budget: float = 0.1
    """Longest predicted wait accepted while the queue is standing (sustained overload)."""
    standing_after: float = 1.0
    """How long requests must wait longer than `standing_budget` (the oldest one's age)
    for the queue to count as standing, and less than half of it to count as gone."""
    max_events: int = 10_000
    max_bytes: int = 64 * 1024 * 1024
    max_events_per_s: float | None = None
    """Throttle: the pipeline commits at most this many events per second (None: as fast
    as it can).  For tests, and for sharing a small machine; admission adapts to it by
    measurement like to any other slowness."""
    initial_events: int = 128
    """Until the first measurement, the backlog holds at most this many events (the cost
    assumed is `burst_budget / initial_events`, or the throttle's 1 / max_events_per_s
    when that is more): a relay starved of CPU must not take in seconds' worth of
    events on a guess (a slow start, like TCP's)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AdmissionConfig:
        """Read the SXTRIAGE_RELAY_* overrides; a bad value is a one-line ConfigError."""
        raw = {key: env[var] for var, key in _ENV.items() if env.get(var)}
        try:
            parsed = _EnvConfig.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else "?"
            var = next((v for v, k in _ENV.items() if k == field), field)
            raise ConfigError(
                f"{var}={env.get(var, '')!r}: {err['msg'].lower()}; "
                "unset it or give a positive number"
            ) from None
        return cls(
            burst_budget=parsed.burst_budget_ms / 1000,
            standing_budget=min(parsed.standing_budget_ms, parsed.burst_budget_ms) / 1000,
            max_events=parsed.max_events,
            max_bytes=int(parsed.max_mb * 1024 * 1024),
            max_events_per_s=parsed.max_events_per_s,
        )


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was not admitted and when to come back (whole seconds, ≥ 1)."""

    retry_after: int
    reason: str

    @property
    def headers(self) -> dict[str, str]:
        seconds = str(self.retry_after)
        return {"Retry-After": seconds, "X-Sentry-Rate-Limits": f"{seconds}::{SCOPE}:{REASON}"}


class LoopLag:
    """How late the event loop runs a periodic timer: the wait a request arriving now
    sees before its handler starts (seconds; rises with each late timer, fades over
    `FADE` once the loop keeps up)."""

    INTERVAL = 0.01
    FADE = 0.1

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lag = 0.0
        self._at = clock()
        self.max = 0.0
        """The largest lag seen (for /health)."""
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.stop()
        self._due = self._clock() + self.INTERVAL
        self._handle = loop.call_later(self.INTERVAL, self._fire, loop)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        now = self._clock()
        self.observe(now - self._due, now)
        self._due = now + self.INTERVAL
        self._handle = loop.call_later(self.INTERVAL, self._fire, loop)

    def observe(self, late: float, now: float) -> None:
        """One timer fired `late` seconds after it was due."""
        self._lag = max(max(0.0, late), self.value(now))
        self._at = now
        self.max = max(self.max, self._lag)

    def value(self, now: float | None = None) -> float:
        """The lag now: the last one seen, faded by the time since."""
        if self._lag == 0.0:
            return 0.0
        now = self._clock() if now is None else now
        return self._lag * math.exp(-max(0.0, now - self._at) / self.FADE)


class Ticket:
    """One admitted request's share of the backlog, until `Admission.leave`."""

    __slots__ = ("admitted", "events", "nbytes", "open")

    def __init__(self, admitted: float, nbytes: int) -> None:
        self.admitted = admitted
        self.events = 1
        self.nbytes = nbytes
        self.open = True


class Admission:
    _TAU = 0.5
    """Busy seconds over which old measurements fade (by 1/e)."""
    _MEASURED_AFTER = 16
    """Completed events before the measurement replaces the assumption."""

    def __init__(
        self,
        config: AdmissionConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        lag: LoopLag | None = None,
    ) -> None:
        self.config = config or AdmissionConfig()
        self._clock = clock
        self.lag = lag or LoopLag(clock)
        """The event loop's lag (started by the server on its loop; zero until then)."""
        self.events = 0
        """Events (work units) in the backlog now."""
        self.bytes = 0
        self.requests = 0
        cfg = self.config
        self.cost = max(
            cfg.burst_budget / max(1, cfg.initial_events),
            1 / cfg.max_events_per_s if cfg.max_events_per_s else 0.0,
        )
        """Measured seconds of pipeline time per event (an assumption until `measured`)."""
        self.measured = False
        self.refused = 0
        self.refused_by: dict[str, int] = {"full": 0, "stalled": 0, "latency": 0}
        self.admitted = 0
        self.completed = 0
        self.last_refusal: float | None = None
        self._tickets: deque[Ticket] = deque()
        self._mark = clock()
        self._busy = 0.0
        """Busy time, each second weighted by how recent it is (in busy time)."""
        self._done = 0.0
        """Completed events, weighted the same way."""
        self.standing = False
        """A standing queue (sustained overload): the standing budget applies."""
        self._since: float | None = None
        """Since when the oldest request's age has been past the threshold that would
        flip `standing` (above the target while not standing, below half while standing)."""

    # --- the decision ---------------------------------------------------------------
    def enter(self, nbytes: int = 0) -> Ticket | Refusal:
        """Admit one request (counted as one event until `resize`), or say why not."""
        now = self._clock()
        self._tick(now)
        cfg = self.config
        budget = self.budget(now)
        if self.events + 1 > cfg.max_events or self.bytes + nbytes > cfg.max_bytes:
            return self._refuse(
                "full",
                f"backlog full ({self.events} events, {self.bytes // 1024} KiB held); "
                "retry after the Retry-After seconds",
            )
        oldest = self._oldest()
        if oldest is not None and now - oldest > cfg.burst_budget:
            return self._refuse(
                "stalled",
                f"oldest queued request has waited {(now - oldest) * 1000:.0f} ms; "
                "retry after the Retry-After seconds",
            )
        lag = self.lag.value(now)
        predicted = lag + (self.events + 1) * self.cost
        if predicted > budget and self.events > 0:  # an empty backlog always takes one
            return self._refuse(
                "latency",
                f"backlog of {self.events} events would take {predicted * 1000:.0f} ms "
                f"(event loop {lag * 1000:.0f} ms behind; budget {budget * 1000:.0f} ms); "
                "retry after the Retry-After seconds",
            )
        ticket = Ticket(now, nbytes)
        self._tickets.append(ticket)
        self.events += 1
        self.bytes += nbytes
        self.requests += 1
        self.admitted += 1
        return ticket

    def resize(self, ticket: Ticket, events: int, nbytes: int | None = None) -> None:
        """The request's real size once parsed (events = its items for the workers, ≥ 1)."""
        if not ticket.open:
            return
        self._tick(self._clock())
        events = max(1, events)
        self.events += events - ticket.events
        ticket.events = events
        if nbytes is not None:
            self.bytes += nbytes - ticket.nbytes
            ticket.nbytes = nbytes

    def leave(self, ticket: Ticket) -> None:
        """The request is answered (2xx or not): its share of the backlog is free."""
        if not ticket.open:
            return
        now = self._clock()
        self._tick(now)
        ticket.open = False
        self.events -= ticket.events
        self.bytes -= ticket.nbytes
        self.requests -= 1
        self._done += ticket.events
        self.completed += ticket.events
        if self.completed >= self._MEASURED_AFTER:
            self.cost = min(max(self._busy / self._done, 1e-6), 1.0)
            self.measured = True
        self._watch(now)  # the backlog as it is now, without this request

    def budget(self, now: float | None = None) -> float:
        """The predicted wait accepted now: the burst budget, or the standing one."""
        if now is None:
            self._tick(self._clock())
        return self.config.standing_budget if self.standing else self.config.burst_budget

    # --- bookkeeping ----------------------------------------------------------------
    def _tick(self, now: float) -> None:
        if self.events > 0 and now > self._mark:
            spent = now - self._mark
            fade = math.exp(-spent / self._TAU)
            self._busy = self._busy * fade + spent
            self._done *= fade
        self._mark = now
        self._watch(now)

    def _watch(self, now: float) -> None:
        # A standing queue, judged by what requests really wait (the oldest one's age),
        # like CoDel: above the target for a whole `standing_after`, and over only once
        # below half of it for as long (batches finish in clumps: one short dip, or one
        # hiccup of the machine, says nothing).
        oldest = self._oldest()
        age = self.lag.value(now) + (now - oldest if oldest is not None else 0.0)
        target, after = self.config.standing_budget, self.config.standing_after
        if not self.standing:
            if age <= target:
                self._since = None
            elif self._since is None:
                self._since = now
            elif now - self._since >= after:
                self.standing, self._since = True, None
        elif age >= target / 2:
            self._since = None
        elif self._since is None:
            self._since = now
        elif now - self._since >= after:
            self.standing, self._since = False, None

    def _oldest(self) -> float | None:
        while self._tickets and not self._tickets[0].open:
            self._tickets.popleft()
        return self._tickets[0].admitted if self._tickets else None

    def _refuse(self, kind: str, reason: str) -> Refusal:
        self.last_refusal = self._mark
        self.refused += 1
        self.refused_by[kind] += 1
        drain = self.events * self.cost
        return Refusal(max(1, min(60, math.ceil(drain))), reason)

    def stats(self) -> dict[str, Any]:
        """For /health: the backlog now, its measured cost, and what was refused."""
        now = self._clock()
        oldest = self._oldest()
        return {
            "events": self.events,
            "requests": self.requests,
            "bytes": self.bytes,
            "oldest_ms": round((now - oldest) * 1000, 1) if oldest is not None else 0.0,
            "cost_us_per_event": round(self.cost * 1e6, 1),
            "loop_lag_ms": round(self.lag.value(now) * 1000, 1),
            "loop_lag_max_ms": round(self.lag.max * 1000, 1),
            "predicted_ms": round(self.events * self.cost * 1000, 1),
            "budget_ms": round(self.budget(now) * 1000, 1),
            "standing": self.standing,
            "admitted": self.admitted,
            "limited": self.refused,
            "limiting": self.last_refusal is not None and now - self.last_refusal < 1.0,
            "limited_by": dict(self.refused_by),
            "max_events_per_s": self.config.max_events_per_s,
        }
