"""Forwarding (off by default) sends accepted envelopes on to an upstream DSN."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from sxtriage.config import ConfigError, Settings, load_settings
from sxtriage.relay.forward import ForwardConfigError, parse_dsn, retry_after
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import recorded


def test_parse_dsn() -> None:
    up = parse_dsn("api", "https://abc@o1.ingest.sentry.io/42")
    assert up.url == "https://o1.ingest.sentry.io/api/42/envelope/"
    assert "sentry_key=abc" in up.auth
    assert parse_dsn("api", "http://k@h:9000/sub/7").url == "http://h:9000/sub/api/7/envelope/"
    with pytest.raises(ForwardConfigError, match="KEY@HOST/PROJECT_ID"):
        parse_dsn("api", "https://sentry.io/7")


def test_retry_after_of_an_upstream_429() -> None:
    assert retry_after({"x-sentry-rate-limits": "5:error:key, 60::organization:q"}) == 60
    assert retry_after({"retry-after": "7"}) == 7
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 60  # default
    assert retry_after({}) == 60


async def test_forwarding_to_another_relay(tmp_path: Path, relay: RelayServer) -> None:
    # configured like a user would: [relay] forward = { api = "DSN" } in config.toml
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[relay]\nforward = {{ api = "{relay.dsn(1)}" }}\n')
    settings = load_settings(cfg, env={}, cli={"data_dir": tmp_path / "front"}).settings
    front = RelayServer(settings, workers=0)
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


@pytest.mark.parametrize(
    ("forward", "expected"),
    [
        ('{ billing = "https://k@h/1" }', "unknown service 'billing'"),
        ('{ api = "https://sentry.io/7" }', "https://KEY@HOST/PROJECT_ID"),
        ('{ api = "ftp://k@h/7" }', "https://KEY@HOST/PROJECT_ID"),
    ],
)
def test_bad_forward_config_is_one_line(tmp_path: Path, forward: str, expected: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[relay]\nforward = {forward}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={})
    assert expected in str(info.value)
    assert str(cfg) in str(info.value) and "relay_forward" in str(info.value)


async def test_upstream_429_is_honoured(tmp_path: Path) -> None:
    """An upstream that answers 429 gets nothing more for its Retry-After seconds."""
    from aiohttp import web

    hits: list[str] = []

    async def limited(request: web.Request) -> web.Response:
        hits.append(request.path)
        headers = {"Retry-After": "30", "X-Sentry-Rate-Limits": "30::organization:quota"}
        return web.json_response({"detail": "rate limited"}, status=429, headers=headers)

    app = web.Application()
    app.router.add_post("/api/{project}/envelope/", limited)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    settings = Settings(
        data_dir=tmp_path / "front", relay_forward={"api": f"http://k@127.0.0.1:{port}/9"}
    )
    front = RelayServer(settings, workers=0)
    await front.start(port=0)
    rec = recorded("python-sentry-sdk")[0]
    try:
        async with httpx.AsyncClient() as c:
            first = await c.post(front.url + rec.path, content=rec.body, headers=rec.headers)
            assert first.status_code == 200
            fwd = front.forwarder
            assert fwd is not None
            for _ in range(200):
                if fwd.limited:
                    break
                await asyncio.sleep(0.02)
            for _ in range(4):
                r = await c.post(front.url + rec.path, content=rec.body, headers=rec.headers)
                assert r.status_code == 200  # local ingest is not affected
        await asyncio.sleep(0.2)
        assert (fwd.limited, fwd.dropped, fwd.forwarded) == (1, 4, 0)
        assert hits == ["/api/9/envelope/"]
    finally:
        await front.stop()
        await runner.cleanup()
