"""Pytest fixtures for the Sentry API simulator and the Sentry client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sxtriage.config import default_services
from sxtriage.sentry.client import SentryClient
from sxtriage.sim.server import SimServer


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    """The simulator with its realistic dataset, on an ephemeral loopback port."""
    server = SimServer(seed=1)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def make_client(server: SimServer, token: str | None = "sntrys_test", **kw: object) -> SentryClient:
    """A client for `server` with fast retries (tests must not wait for real backoff)."""
    opts: dict[str, object] = {"backoff_base": 0.01, "timeout": 5.0}
    opts.update(kw)
    return SentryClient(
        server.url,
        server.state.org,
        token,
        services=default_services(),
        **opts,  # type: ignore[arg-type]
    )


@pytest.fixture
async def sim_client(sim: SimServer) -> AsyncIterator[SentryClient]:
    client = make_client(sim)
    try:
        yield client
    finally:
        await client.aclose()
