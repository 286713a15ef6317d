"""SentryPoller against the simulator: cold load, incremental polls, adaptivity, health."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from sxtriage.config import Settings
from sxtriage.models import IssueDelta, SourceHealth, Status
from sxtriage.sentry.client import IssueUpdate
from sxtriage.sentry.errors import ServerError
from sxtriage.sentry.poller import SentryPoller
from sxtriage.sim import lifecycle
from sxtriage.sim.server import SimServer
from tests.fixtures_sim import make_client


class Sink:
    def __init__(self) -> None:
        self.deltas: list[IssueDelta] = []
        self.health: list[SourceHealth] = []

    async def delta(self, d: IssueDelta) -> None:
        self.deltas.append(d)

    def on_health(self, h: SourceHealth) -> None:
        self.health.append(h)

    @property
    def upserts(self) -> list[str]:
        return [i.id for d in self.deltas for i in d.upserts]


def api_requests(server: SimServer) -> int:
    return len(server.requests)


async def until(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def test_cold_load_then_one_request_per_idle_poll() -> None:
    async with SimServer(n_issues=250, seed=5) as server:
        sink = Sink()
        async with make_client(server) as client:
            poller = SentryPoller(client, Settings(), sink.delta, sink.on_health)
            await poller.poll_now()
            unresolved = [i for i in server.state.issues.values() if i.status == "unresolved"]
            assert poller.loaded == len(unresolved) == len(set(sink.upserts))
            assert len(sink.deltas) == 3  # one delta per page, never one big snapshot
            assert any("loading…" in h.detail for h in sink.health)
            cold = api_requests(server)
            # the server probe, the org's projects (slug → id, once), then three pages
            assert cold == 5
            assert [r.path for r in server.requests[:2]] == [
                "/api/settings/",
                "/api/0/organizations/scenextras/projects/",
            ]
            assert all("project=1" in r.query for r in server.requests[2:5])
            assert await poller.poll_now() == 0
            assert api_requests(server) == cold + 1
            idle = server.requests[-1]
            assert "lastSeen" in idle.query and idle.bytes == 2  # "[]"
            server.tick(3)
            sink.deltas.clear()
            changed = await poller.poll_now()
            assert api_requests(server) == cold + 2
            touched = {i.id for i in server.state.issues.values() if i.last_seen > 0}
            assert 1 <= changed <= 3 and set(sink.upserts) <= {str(i) for i in touched}
            for issue in (i for d in sink.deltas for i in d.upserts):
                assert issue.count == server.state.issues[int(issue.id)].count
            assert await poller.poll_now() == 0


async def test_idle_poll_bytes_do_not_grow_with_open_issues() -> None:
    sizes = []
    for n in (20, 2000):
        async with SimServer(n_issues=n, seed=6) as server, make_client(server) as client:
            poller = SentryPoller(client, Settings(), lambda d: None)
            await poller.poll_now()
            before = len(server.requests)
            await poller.poll_now()
            assert len(server.requests) == before + 1
            sizes.append(server.requests[-1].bytes)
    assert sizes[0] == sizes[1] == 2


async def test_status_changes_and_deletions_arrive_at_reconcile(sim: SimServer) -> None:
    sink = Sink()
    async with make_client(sim) as client:
        poller = SentryPoller(client, Settings(), sink.delta, reconcile_every=0.0)
        await poller.poll_now()
        sink.deltas.clear()
        await client.update_issue("101", IssueUpdate(status="resolved"))
        sim.state.delete_issue(102)
        await poller.poll_now()
    upserts = {i.id: i for d in sink.deltas for i in d.upserts}
    assert upserts["101"].status is Status.RESOLVED
    assert [r for d in sink.deltas for r in d.removals] == ["102"]


async def test_regression_arrives_with_new_status(sim: SimServer) -> None:
    sink = Sink()
    async with make_client(sim) as client:
        poller = SentryPoller(client, Settings(), sink.delta)
        await poller.poll_now()
        resolved = next(i for i in sim.state.issues.values() if i.status == "resolved")
        sim.state.add_event(resolved, sim.state.now + 5)
        lifecycle.wake(sim.state, resolved, sim.state.now + 5)
        await poller.poll_now()
    issue = next(i for d in sink.deltas for i in d.upserts if i.id == str(resolved.id))
    assert issue.status is Status.UNRESOLVED and issue.substatus == "regressed"


async def test_interval_adapts(sim: SimServer) -> None:
    async with make_client(sim) as client:
        poller = SentryPoller(
            client, Settings(poll_interval=10), lambda d: None, min_interval=2, max_interval=40
        )
        await poller.poll_now()  # cold load: things changed
        assert poller.interval == 5
        for _ in range(12):
            await poller.poll_now()
        assert poller.interval == 40
        sim.tick(2)
        await poller.poll_now()
        assert poller.interval == 20


async def test_low_rate_limit_budget_slows_down() -> None:
    async with SimServer(faults=["ratelimit=2"]) as server, make_client(server) as client:
        poller = SentryPoller(
            client, Settings(poll_interval=10), lambda d: None, min_interval=1, max_interval=60
        )
        await poller.poll_now()
        assert client.rate_limit.remaining is not None and client.rate_limit.remaining < 2
        assert poller.interval >= 10


async def test_pause_and_resume(sim: SimServer) -> None:
    async with make_client(sim) as client:
        poller = SentryPoller(
            client, Settings(poll_interval=1), lambda d: None, min_interval=0.05, max_interval=0.1
        )
        poller.interval = 0.05
        task = asyncio.create_task(poller.run())
        try:
            await until(lambda: poller.polls >= 2, "two polls")
            poller.pause()
            assert poller.paused and poller.health.detail == "paused"
            async with poller._lock:  # a poll already in flight has landed
                count = len(sim.requests)
            await asyncio.sleep(0.3)  # long enough for several polls at 0.05 s
            assert len(sim.requests) == count
            poller.resume()
            await until(lambda: len(sim.requests) > count, "a poll after resume")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_invalid_token_backs_off_and_reports() -> None:
    now = [1000.0]
    async with SimServer(token="sntrys_good") as server:
        sink = Sink()
        async with make_client(server, token="sntrys_wrong") as client:
            poller = SentryPoller(
                client, Settings(), sink.delta, sink.on_health, min_interval=0.01,
                max_interval=0.05, clock=lambda: now[0],
            )  # fmt: skip
            task = asyncio.create_task(poller.run())
            await until(lambda: not poller.health.ok, "the refusal in health")
            await asyncio.sleep(0.3)  # a tight retry loop would show now
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        # the server probe, then one refused request: no tight retry loop
        assert [r.path for r in server.requests][1:] == [
            "/api/0/organizations/scenextras/projects/"
        ]
        assert not poller.health.ok and "sxtriage login" in (poller.health.error or "")
        assert "retrying in 60s" in poller.health.detail
        assert poller.stale and not sink.deltas


async def test_stale_after_three_intervals(sim: SimServer) -> None:
    now = [0.0]
    async with make_client(sim) as client:
        poller = SentryPoller(
            client, Settings(poll_interval=10), lambda d: None, clock=lambda: now[0]
        )
        assert poller.stale
        await poller.poll_now()
        assert not poller.stale and poller.health.ok and poller.health.last_success
        now[0] += 3 * poller.interval + 31
        assert poller.stale


async def test_interrupted_cold_load_is_restarted() -> None:
    async with SimServer(n_issues=250, seed=8, faults=["503@cursor=0:100:0*1"]) as server:
        sink = Sink()
        async with make_client(server, max_retries=0) as client:
            poller = SentryPoller(client, Settings(), sink.delta)
            with pytest.raises(ServerError):
                await poller.poll_now()  # page 1 arrived, page 2 failed
            assert len(sink.upserts) == 100
            await poller.poll_now()
        unresolved = {str(i.id) for i in server.state.issues.values() if i.status == "unresolved"}
        assert set(sink.upserts) == unresolved
        assert "lastSeen" not in server.requests[-1].query  # a full load again, not incremental


async def test_feed_converges_on_a_live_simulator() -> None:
    server = SimServer(n_issues=120, seed=10, live=True, live_interval=0.01)
    await server.start()
    feed: dict[str, object] = {}

    def apply(delta: IssueDelta) -> None:
        for issue in delta.upserts:
            feed[issue.id] = issue
        for issue_id in delta.removals:
            feed.pop(issue_id, None)

    try:
        async with make_client(server) as client:
            poller = SentryPoller(
                client, Settings(poll_interval=1), apply, min_interval=0.02, max_interval=0.05
            )
            poller.interval = 0.02
            task = asyncio.create_task(poller.run())
            await until(lambda: poller.polls > 5, "polls while events keep coming")
            server.live = False  # no more events
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await poller.poll_now()
        assert poller.polls > 5
        for sim_issue in server.state.issues.values():
            if sim_issue.status != "unresolved":
                continue
            got = feed[str(sim_issue.id)]
            assert got.count == sim_issue.count  # type: ignore[attr-defined]
            assert got.status is Status.UNRESOLVED  # type: ignore[attr-defined]
    finally:
        await server.stop()
