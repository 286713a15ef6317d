"""Client behaviour under injected faults: retries, typed errors, skipped bad items."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from sxtriage.sentry.client import SentryClient
from sxtriage.sentry.errors import (
    AuthError,
    BadResponse,
    NotFound,
    PermissionDenied,
    SentryError,
    SentryTimeout,
    SentryUnavailable,
    ServerError,
    error_for_status,
)
from sxtriage.sim.faults import Fault, FaultSpecError
from sxtriage.sim.server import SimServer
from tests.fixtures_sim import make_client


async def test_429_retry_after_is_honoured(sim: SimServer, sim_client: SentryClient) -> None:
    sim.faults.add("429=0.3@/issues/*1")
    started = time.monotonic()
    page = await sim_client.list_issues()
    assert page.items
    assert time.monotonic() - started >= 0.3
    assert sim_client.rate_limit.throttled == 1
    assert [r.status for r in sim.requests] == [429, 200]


async def test_advertised_limit_is_never_exceeded() -> None:
    async with SimServer(faults=["ratelimit=4"]) as server:
        async with make_client(server) as client:
            for _ in range(10):
                await client.list_teams()
        assert server.faults.rate.max_in_window <= 4
        assert server.faults.rate.rejected <= 1  # paced by X-Sentry-Rate-Limit-Remaining
        assert sum(1 for r in server.requests if r.status == 200) == 10


async def test_5xx_retried_with_backoff_then_typed_error(
    sim: SimServer, sim_client: SentryClient
) -> None:
    sim.faults.add("503*2")
    assert await sim_client.list_teams()
    assert [r.status for r in sim.requests] == [503, 503, 200]
    sim.faults.clear()
    sim.faults.add("502")  # HTML body, forever
    with pytest.raises(ServerError) as info:
        await sim_client.list_teams()
    assert info.value.status == 502 and "502" in str(info.value)
    assert sum(1 for r in sim.requests if r.status == 502) == 1 + sim_client.max_retries


async def test_timeout_becomes_sentry_timeout(sim: SimServer) -> None:
    sim.faults.add("timeout=3@/teams/")
    async with make_client(sim, timeout=0.2, max_retries=1) as client:
        started = time.monotonic()
        with pytest.raises(SentryTimeout) as info:
            await client.list_teams()
    assert time.monotonic() - started < 2.0
    assert "did not answer" in str(info.value)


async def test_invalid_token_is_an_auth_error() -> None:
    async with SimServer(token="sntrys_good") as server:
        async with make_client(server, token="sntrys_bad") as client:
            with pytest.raises(AuthError) as info:
                await client.list_issues()
        async with make_client(server, token="sntrys_good") as client:
            assert (await client.list_issues()).items
    assert info.value.status == 401 and "sxtriage login" in str(info.value)
    assert next(r.status for r in server.requests) == 401


async def test_403_404_and_unknown_names(sim: SimServer, sim_client: SentryClient) -> None:
    sim.faults.add("403@/members/")
    with pytest.raises(PermissionDenied) as denied:
        await sim_client.list_members()
    assert "scope" in str(denied.value)
    with pytest.raises(NotFound) as missing:
        await sim_client.get_issue("999999")
    assert "999999" in str(missing.value)
    async with SimServer() as other:
        other_client = SentryClient(other.url, "no-such-org", "t", backoff_base=0.01)
        async with other_client:
            with pytest.raises(NotFound) as org:
                await other_client.list_issues()
    assert "no-such-org" in str(org.value)
    with pytest.raises(SentryError) as project:
        await sim_client.list_issues(projects=["payments-api"])
    assert "payments-api" in str(project.value)


async def test_schema_drift_skips_one_item(
    sim: SimServer, sim_client: SentryClient, caplog: pytest.LogCaptureFixture
) -> None:
    sim.faults.add("drift@/issues/*1")
    with caplog.at_level(logging.WARNING, logger="sxtriage.sentry"):
        page = await sim_client.list_issues(query="")
    assert len(page.items) == len(sim.state.issues) - 1
    assert any("skipped item 0" in r.getMessage() for r in caplog.records)


async def test_malformed_json_is_bad_response(sim: SimServer, sim_client: SentryClient) -> None:
    sim.faults.add("badjson@/issues/*1")
    with pytest.raises(BadResponse) as info:
        await sim_client.list_issues()
    assert "malformed JSON" in str(info.value)
    assert (await sim_client.list_issues()).items


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = SentryClient(f"http://127.0.0.1:{port}", "scenextras", "t", backoff_base=0.01)
    async with client:
        with pytest.raises(SentryUnavailable) as info:
            await client.list_issues()
    assert "SENTRY_URL" in str(info.value)


async def test_latency_fault_delays_but_succeeds(sim: SimServer, sim_client: SentryClient) -> None:
    sim.faults.add("latency=150@/teams/")
    started = time.monotonic()
    assert await sim_client.list_teams()
    assert time.monotonic() - started >= 0.15


def test_fault_spec_parsing() -> None:
    f = Fault.parse("429=2@/issues/%50*3")
    assert (f.kind, f.arg, f.path, f.rate, f.remaining) == ("429", 2.0, "/issues/", 50.0, 3)
    with pytest.raises(FaultSpecError) as info:
        Fault.parse("explode")
    assert "KIND" in str(info.value)


def test_error_messages_stay_on_one_line() -> None:
    err = error_for_status(404, url="organizations/x/issues/1/", detail="gone\n\x1b[31mred")
    assert isinstance(err, NotFound) and "\n" not in str(err) and "\x1b" not in str(err)
    assert "gone [31mred" in str(err) and "config show" in str(err)
