"""Forwarding (off by default) sends accepted envelopes on to an upstream DSN."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from sxtriage.config import Settings
from sxtriage.relay.forward import ForwardConfigError, parse_dsn
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import recorded


def test_parse_dsn() -> None:
    up = parse_dsn("api", "https://abc@o1.ingest.sentry.io/42")
    assert up.url == "https://o1.ingest.sentry.io/api/42/envelope/"
    assert "sentry_key=abc" in up.auth
    assert parse_dsn("api", "http://k@h:9000/sub/7").url == "http://h:9000/sub/api/7/envelope/"
    with pytest.raises(ForwardConfigError, match="KEY@HOST/PROJECT_ID"):
        parse_dsn("api", "https://sentry.io/7")


async def test_forwarding_to_another_relay(tmp_path: Path, relay: RelayServer) -> None:
    front = RelayServer(
        Settings(data_dir=tmp_path / "front"), workers=0, forward={"api": relay.dsn(1)}
    )
    await front.start(port=0)
    plain = RelayServer(Settings(data_dir=tmp_path / "x"), workers=0)
    assert plain.forwarder is None  # off by default
    plain.store.close()
    try:
        async with httpx.AsyncClient() as c:
            for rec in recorded("python-sentry-sdk") + recorded("node-sentry-node")[:1]:
                r = await c.post(front.url + rec.path, content=rec.body, headers=rec.headers)
                assert r.status_code == 200
        for _ in range(100):
            if front.forwarder and front.forwarder.forwarded >= 4:
                break
            await asyncio.sleep(0.05)
        assert front.forwarder is not None
        assert (front.forwarder.forwarded, front.forwarder.failed) == (4, 0)  # api only
        rows = await relay.store.query("SELECT COUNT(*) FROM events WHERE service='api'")
        assert rows[0][0] == 4
    finally:
        await front.stop()
