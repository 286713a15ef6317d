"""The four simulated services, end to end through a real relay."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sxtriage.relay.server import RelayServer
from sxtriage.sim.traffic import SCENARIOS, TrafficGenerator


async def _issues(url: str) -> list[dict]:
    async with httpx.AsyncClient() as c:
        return (await c.get(url + "/local/issues/")).json()


async def _wait_events(relay: RelayServer, n: int) -> int:
    for _ in range(100):
        rows = await relay.store.query("SELECT COUNT(*) FROM events WHERE type != 'span'")
        if rows[0][0] >= n:
            return rows[0][0]
        await asyncio.sleep(0.1)
    return rows[0][0]


async def test_burst_reaches_all_four_services(relay: RelayServer) -> None:
    gen = TrafficGenerator(relay.url, seed=7)
    try:
        await gen.burst(40)
        assert await _wait_events(relay, 40) >= 40
        assert gen.errors == 0 and gen.sent == 40
    finally:
        await gen.stop()
    services = {i["service"] for i in await _issues(relay.url)}
    assert services == {"api", "web", "mobile", "search"}


async def test_bad_release_shares_one_trace_across_services(relay: RelayServer) -> None:
    gen = TrafficGenerator(relay.url, seed=3)
    try:
        line = await gen.trigger("bad-release")
        assert line.startswith("bad-release:")
        await _wait_events(relay, 18)
    finally:
        await gen.stop()
    rows = await relay.store.query(
        "SELECT trace_id, GROUP_CONCAT(DISTINCT service) FROM events "
        "WHERE type IN ('error','default') "
        "AND release IN ('web@2.3.0','api@1.4.2','search@0.11.0') "
        "GROUP BY trace_id"
    )
    assert len(rows) == 3
    for _trace_id, services in rows:
        assert set(services.split(",")) == {"web", "api", "search"}
    async with httpx.AsyncClient() as c:
        trace = (await c.get(relay.url + f"/local/traces/{rows[0][0]}/")).json()
    assert {s["service"] for s in trace["spans"]} >= {"api", "search"}


async def test_payment_failures_scrubbed_and_grouped(relay: RelayServer) -> None:
    gen = TrafficGenerator(relay.url, seed=1)
    try:
        await gen.trigger("payment-failures")
        await _wait_events(relay, 10)
    finally:
        await gen.stop()
    issues = await _issues(relay.url)
    assert len(issues) == 1 and issues[0]["count"] == 10
    assert issues[0]["title"] == "CardError: Payment declined for card [creditcard]"


async def test_regression_scenario(relay: RelayServer) -> None:
    gen = TrafficGenerator(relay.url, seed=2)
    try:
        await gen.trigger("regression")
        await _wait_events(relay, 2)
        await asyncio.sleep(0.3)
    finally:
        await gen.stop()
    issue = (await _issues(relay.url))[0]
    assert issue["status"] == "unresolved" and issue.get("substatus") == "regressed"
    assert issue["release"] == "api@1.4.3"


async def test_every_scenario_runs(relay: RelayServer) -> None:
    gen = TrafficGenerator(relay.url, seed=5)
    try:
        for name in SCENARIOS:
            assert (await gen.trigger(name)).startswith(name)
        with pytest.raises(ValueError, match="unknown scenario"):
            await gen.trigger("nope")
    finally:
        await gen.stop()
    assert gen.errors == 0


async def test_rate_loop(relay: RelayServer) -> None:
    gen = TrafficGenerator(relay.url, rate=50, seed=9, services=("web", "search"))
    await gen.start()
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while gen.sent < 10 and gen.errors == 0:
            assert asyncio.get_running_loop().time() < deadline, f"{gen.sent} sent in 30 s"
            await asyncio.sleep(0.02)
    finally:
        await gen.stop()
    assert gen.sent >= 10 and gen.errors == 0
