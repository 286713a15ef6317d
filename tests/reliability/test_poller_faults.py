"""The Sentry fault matrix against a *running* poller (client-level behaviour is covered
by tests/test_sentry_faults.py): 5xx bursts, 429 with Retry-After, slow answers,
timeouts, connection refused and a 401 mid-shift.  In every case the poll loop keeps
running, its health names the problem, it recovers by itself once the fault ends, new
issues arrive again, and the simulator's advertised rate limit is never exceeded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from sxtriage.config import Settings
from sxtriage.models import IssueDelta, SourceHealth
from sxtriage.sentry.poller import SentryPoller
from sxtriage.sim import lifecycle
from sxtriage.sim.sentry_api import STATE
from sxtriage.sim.server import SimServer
from tests.fixtures_sim import make_client

LIMIT = 8  # requests per second the simulator advertises and enforces
TOKEN = "sntrys_shift_token"


@dataclass
class Watch:
    deltas: list[IssueDelta] = field(default_factory=list)
    health: list[SourceHealth] = field(default_factory=list)

    def on_delta(self, delta: IssueDelta) -> None:
        self.deltas.append(delta)

    def on_health(self, health: SourceHealth) -> None:
        self.health.append(health)

    def ids(self, since: int = 0) -> set[str]:
        return {i.id for d in self.deltas[since:] for i in d.upserts}


async def until(predicate: Callable[[], bool], what: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not predicate():
        assert loop.time() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@dataclass
class Shift:
    """A simulator, a client and a poller running as the TUI runs it."""

    sim: SimServer
    watch: Watch
    poller: SentryPoller
    task: asyncio.Task[None]
    port: int

    async def restart_sim(self) -> None:
        """The same Sentry comes back on the same address (state carried over)."""
        state, faults = self.sim.state, self.sim.faults
        self.sim = SimServer(token=TOKEN, faults=[f"ratelimit={LIMIT}"])
        self.sim.state, self.sim.faults = state, faults
        self.sim.app[STATE] = state
        await self.sim.start(port=self.port)


async def stop_sim(shift: Shift) -> None:
    await shift.sim.stop()


async def fault(shift: Shift, spec: str) -> None:
    shift.sim.faults.add(spec)


FAULTS: dict[str, tuple[Callable[[Shift], Awaitable[None]], str | None]] = {
    # name: (start the fault, words the health error must contain; None: stays healthy)
    "5xx burst": (lambda s: fault(s, "503*4"), "503"),
    "502 html burst": (lambda s: fault(s, "502*4"), "502"),
    "429 retry-after": (lambda s: fault(s, "429=1*2"), "rate limited"),
    "slow answers": (lambda s: fault(s, "latency=250*6"), None),
    "timeouts": (lambda s: fault(s, "timeout=3*2"), "did not answer"),
    "connection refused": (stop_sim, "cannot reach"),
    "401 mid-shift": (lambda s: fault(s, "401*2"), "sxtriage login"),
}


@pytest.mark.parametrize("name", list(FAULTS))
async def test_poller_survives_and_recovers(name: str) -> None:
    start_fault, words = FAULTS[name]
    sim = SimServer(n_issues=150, token=TOKEN, faults=[f"ratelimit={LIMIT}"], seed=3)
    await sim.start()
    port = int(sim.url.rsplit(":", 1)[1])
    # 1 s: "slow answers" (250 ms) must stay healthy on a busy machine; "timeouts" hang 3 s
    client = make_client(sim, token=TOKEN, timeout=1.0, max_retries=1, max_retry_after=0.5)
    watch = Watch()
    poller = SentryPoller(
        client,
        Settings(poll_interval=1.0),
        watch.on_delta,
        watch.on_health,
        min_interval=0.05,
        max_interval=0.15,
        error_floor=0.3,
    )
    shift = Shift(sim, watch, poller, asyncio.create_task(poller.run()), port)
    try:
        await until(lambda: poller.loaded > 0 and poller.health.ok, "the cold load")
        await start_fault(shift)
        if words is None:
            polls = poller.polls
            await until(lambda: poller.polls >= polls + 3, "slow polls")
            assert poller.health.ok
        else:
            await until(lambda: not poller.health.ok, "the fault in health")
            error = poller.health.error or ""
            assert words in error and "\n" not in error, error
            assert "retrying in" in poller.health.detail
            if name == "connection refused":
                await asyncio.sleep(0.5)
                await shift.restart_sim()
        await until(lambda: poller.health.ok, "recovery", within=15)
        assert not shift.task.done(), "the poll loop died"
        # new issues flow again after the fault
        seen = len(watch.deltas)
        touched = {str(i.id) for i in lifecycle.tick(shift.sim.state, 4)}
        await until(lambda: touched <= watch.ids(seen), "new events after recovery")
        assert poller.health.ok and poller.health.error is None
        assert not poller.stale
        rate = shift.sim.faults.rate
        assert rate.max_in_window <= LIMIT
        assert rate.rejected <= 1, f"{rate.rejected} requests over the advertised limit"
    finally:
        shift.task.cancel()
        await asyncio.gather(shift.task, return_exceptions=True)
        await client.aclose()
        await shift.sim.stop()


async def test_rate_limit_holds_under_a_busy_shift() -> None:
    """Many changes, short intervals: the poller paces itself by the rate-limit headers."""
    async with SimServer(n_issues=400, faults=["ratelimit=4"], seed=9) as sim:
        watch = Watch()
        async with make_client(sim) as client:
            poller = SentryPoller(
                client, Settings(poll_interval=1.0), watch.on_delta, watch.on_health,
                min_interval=0.01, max_interval=0.02,
            )  # fmt: skip
            task = asyncio.create_task(poller.run())
            try:
                for _ in range(25):
                    sim.tick(3)
                    await asyncio.sleep(0.1)
                await until(lambda: poller.polls > 10, "polls")
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        assert sim.faults.rate.max_in_window <= 4
        assert sim.faults.rate.rejected <= 1
        assert poller.health.ok and len(sim.requests) > 12


@pytest.mark.slow
async def test_random_fault_storm_then_calm() -> None:
    """Twenty seconds of random faults mixed with traffic, then calm: fully recovered."""
    import random

    rng = random.Random()
    specs = ["503*3", "502*2", "429=1*2", "latency=200*3", "timeout=2*2", "401*1", "badjson*1"]
    async with SimServer(n_issues=300, faults=[f"ratelimit={LIMIT}"], seed=4) as sim:
        watch = Watch()
        async with make_client(sim, timeout=0.4, max_retries=1, max_retry_after=0.5) as client:
            poller = SentryPoller(
                client, Settings(poll_interval=1.0), watch.on_delta, watch.on_health,
                min_interval=0.05, max_interval=0.15, error_floor=0.3,
            )  # fmt: skip
            task = asyncio.create_task(poller.run())
            try:
                for _ in range(40):
                    sim.faults.add(rng.choice(specs))
                    sim.tick(rng.randint(0, 3))
                    await asyncio.sleep(0.5)
                sim.faults.faults.clear()
                await until(lambda: poller.health.ok, "recovery", within=20)
                seen = len(watch.deltas)
                touched = {str(i.id) for i in lifecycle.tick(sim.state, 3)}
                await until(lambda: touched <= watch.ids(seen), "new events after the storm")
                assert not task.done()
                assert any(not h.ok for h in watch.health)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        assert sim.faults.rate.max_in_window <= LIMIT
        assert sim.faults.rate.rejected <= 1
