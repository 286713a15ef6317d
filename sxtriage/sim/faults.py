"""Fault injection for the simulator, and its advertised rate limit.

A spec is `KIND[=ARG][@PATH][%RATE][*COUNT]`:

- KIND: 500 502 503 401 403 404 (that status), 429 (ARG = Retry-After seconds, default 1),
  timeout (hang ARG seconds, default 30), latency (ARG = milliseconds, then answer),
  badjson (truncated JSON body), drift (one item of a list answer gets a wrong type),
  ratelimit (ARG = requests allowed per one-second window, answered 429 beyond it).
- @PATH: only requests whose path (with its query string) contains this text.
- %RATE: percent of the matching requests (default 100).
- *COUNT: only the first COUNT matching requests, then the fault is spent.

`500*2` fails the next two requests; `latency=300@/issues/` slows issue lists;
`429=2%50` throttles half of all requests with Retry-After 2.
"""

from __future__ import annotations

import math
import random
import re
import time
from dataclasses import dataclass

_SPEC = re.compile(
    r"^(?P<kind>[a-z0-9]+)(?:=(?P<arg>[0-9.]+))?(?:@(?P<path>[^%*]+))?"
    r"(?:%(?P<rate>[0-9.]+))?(?:\*(?P<count>\d+))?$"
)
KINDS = {"500", "502", "503", "401", "403", "404", "429", "timeout", "latency", "badjson"}
KINDS |= {"drift", "ratelimit"}


class FaultSpecError(ValueError):
    pass


@dataclass
class Fault:
    kind: str
    arg: float | None = None
    path: str | None = None
    rate: float = 100.0
    remaining: int | None = None
    hits: int = 0

    @classmethod
    def parse(cls, spec: str) -> Fault:
        m = _SPEC.match(spec.strip().lower())
        if not m or m.group("kind") not in KINDS:
            raise FaultSpecError(
                f"bad fault {spec!r}; use KIND[=ARG][@PATH][%RATE][*COUNT] with KIND one of "
                f"{', '.join(sorted(KINDS))}"
            )
        arg = float(m.group("arg")) if m.group("arg") else None
        rate = float(m.group("rate")) if m.group("rate") else 100.0
        count = int(m.group("count")) if m.group("count") else None
        return cls(m.group("kind"), arg, m.group("path"), min(rate, 100.0), count)

    def matches(self, path: str, rng: random.Random) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.path and self.path not in path:
            return False
        return self.rate >= 100.0 or rng.uniform(0, 100) < self.rate


class RateWindow:
    """A fixed one-second window: `limit` requests, then 429 until the window ends."""

    def __init__(self, limit: int, window: float = 1.0, clock=time.time) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._start = 0.0
        self.used = 0
        self.rejected = 0
        self.max_in_window = 0

    def take(self) -> tuple[bool, int, float]:
        """(allowed, remaining, reset epoch)."""
        now = self._clock()
        if now - self._start >= self.window:
            self._start = math.floor(now / self.window) * self.window
            self.used = 0
        reset = self._start + self.window
        if self.used >= self.limit:
            self.rejected += 1
            return False, 0, reset
        self.used += 1
        self.max_in_window = max(self.max_in_window, self.used)
        return True, self.limit - self.used, reset


class FaultInjector:
    def __init__(self, specs: list[str] | None = None, *, seed: int = 0) -> None:
        self.faults: list[Fault] = []
        self.rng = random.Random(seed)
        self.rate = RateWindow(1000)
        for spec in specs or []:
            self.add(spec)

    def add(self, spec: str) -> Fault:
        fault = Fault.parse(spec)
        if fault.kind == "ratelimit":
            self.rate = RateWindow(int(fault.arg or 10))
        else:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()
        self.rate = RateWindow(1000)

    def pick(self, path: str) -> list[Fault]:
        """The faults that fire for this request (each one spent once)."""
        fired: list[Fault] = []
        for fault in self.faults:
            if fault.matches(path, self.rng):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                fired.append(fault)
        return fired
