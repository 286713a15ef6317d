"""Auth errors, size limits, decompression bombs, and malformed input over HTTP."""

from __future__ import annotations

import gzip
import json
import random

import httpx
import pytest

from sxtriage.config import Settings
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import recorded

GOOD = next(r for r in recorded("node-sentry-node") if r.name == "04")


async def test_missing_key_is_401_json(relay: RelayServer) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.post(relay.url + "/api/2/envelope/", content=GOOD.envelope)
    assert r.status_code == 401
    assert "sentry_key" in r.json()["detail"]


async def test_unknown_project_is_403(relay: RelayServer) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.post(relay.url + "/api/99/envelope/?sentry_key=k", content=GOOD.envelope)
    assert r.status_code == 403
    assert "relay_project_ids" in r.json()["detail"]


async def test_configured_keys_enforced(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "d", relay_keys=["goodkey"])
    server = RelayServer(settings, workers=0)
    await server.start(port=0)
    try:
        async with httpx.AsyncClient() as c:
            bad = await c.post(server.url + "/api/2/envelope/?sentry_key=nope", content=b"{}")
            ok = await c.post(
                server.url + "/api/2/envelope/",
                content=GOOD.envelope,
                headers={"X-Sentry-Auth": "Sentry sentry_key=goodkey, sentry_version=7"},
            )
        assert bad.status_code == 403 and bad.json()["detail"].startswith("unknown sentry_key")
        assert ok.status_code == 200
    finally:
        await server.stop()


async def test_non_loopback_bind_refused_without_keys(tmp_path) -> None:
    from sxtriage.config import ConfigError

    server = RelayServer(Settings(data_dir=tmp_path / "d"), workers=0)
    with pytest.raises(ConfigError, match="not loopback"):
        await server.start(host="0.0.0.0", port=0)
    server.store.close()


@pytest.fixture
def small_settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "d", relay_max_event_bytes=4096, relay_max_envelope_bytes=64 * 1024
    )


async def test_limits_413(small_settings: Settings) -> None:
    server = RelayServer(small_settings, workers=0)
    await server.start(port=0)
    url = server.url + "/api/2/envelope/?sentry_key=k"
    try:
        big_event = json.dumps({"message": "x" * 5000}).encode()
        env = b'{}\n{"type":"event"}\n' + big_event + b"\n"
        huge = b"{}\n" + b'{"type":"session"}\n{}\n' * 10_000
        bomb = gzip.compress(b'{}\n{"type":"session"}\n' + b" " * 50_000_000)
        async with httpx.AsyncClient() as c:
            r1 = await c.post(url, content=env)
            r2 = await c.post(url, content=huge)
            r3 = await c.post(url, content=bomb, headers={"Content-Encoding": "gzip"})
            many = b"{}\n" + b'{"type":"session"}\n{}\n' * 1001
            r4 = await c.post(
                url, content=gzip.compress(many), headers={"Content-Encoding": "gzip"}
            )
            ok = await c.post(server.url + GOOD.path, content=GOOD.body)
        for r in (r1, r2, r3, r4):
            assert r.status_code == 413, r.text
            assert "limit" in r.json()["detail"] or "items" in r.json()["detail"]
        assert ok.status_code == 200  # still serving
        rows = await server.store.query("SELECT COUNT(*) FROM envelopes")
        assert rows[0][0] == 1
    finally:
        await server.stop()


def _malformed(rng: random.Random) -> bytes:
    """Bodies that are never a valid envelope."""
    base = GOOD.envelope
    kind = rng.randrange(8)
    if kind == 0:  # truncated inside a length-declared item
        return b'{}\n{"type":"event","length":500}\n' + base[: rng.randrange(0, 499)]
    if kind == 1:  # wrong length: longer payload than declared
        return b'{}\n{"type":"event","length":3}\n{"a":1}\n'
    if kind == 2:  # invalid JSON header
        return b"{" + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 50))) + b"\n"
    if kind == 3:  # non-UTF-8 event
        return b'{}\n{"type":"event"}\n\xff\xfe' + bytes(rng.randrange(128, 256) for _ in range(20))
    if kind == 4:  # deep nesting
        depth = rng.randrange(200, 5000)
        return b'{}\n{"type":"event"}\n' + b"[" * depth + b"]" * depth + b"\n"
    if kind == 5:  # header not an object
        return rng.choice([b"[]\n", b"1\n", b'"x"\n', b"null\n"]) + base
    if kind == 6:  # item without type
        return b'{}\n{"length":2}\n{}\n'
    return b'{}\n{"type":"event"}\n{"exception": ' + base[:40] + b"\n"  # broken event JSON


async def test_malformed_bodies_always_4xx_and_nothing_written(relay: RelayServer) -> None:
    rng = random.Random(1234)
    url = relay.url + "/api/2/envelope/?sentry_key=k"
    async with httpx.AsyncClient() as c:
        for _ in range(300):
            body = _malformed(rng)
            r = await c.post(url, content=body)
            assert 400 <= r.status_code < 500, (body[:80], r.status_code, r.text)
            detail = r.json()["detail"]
            assert detail and "\n" not in detail
        r = await c.post(url, content=b"\x1f\x8b garbage", headers={"Content-Encoding": "gzip"})
        assert r.status_code == 400 and "gzip" in r.json()["detail"]
        r = await c.post(url, content=b"{}", headers={"Content-Encoding": "zstd9"})
        assert r.status_code == 400 and "Content-Encoding" in r.json()["detail"]
        assert (await c.post(relay.url + GOOD.path, content=GOOD.body)).status_code == 200
    for table, expected in (("envelopes", 1), ("events", 1), ("issues", 1)):
        rows = await relay.store.query(f"SELECT COUNT(*) FROM {table}")
        assert rows[0][0] == expected, table


async def test_legacy_store_bodies_base64_and_zlib(relay: RelayServer) -> None:
    """Old Raven SDKs post base64(zlib(JSON)) or base64(JSON) to /store/, as Sentry
    Relay accepts; a bomb inside stays bounded and garbage gets one line."""
    import base64
    import zlib

    url = relay.url + "/api/4/store/?sentry_key=k"
    events = []
    for n in range(2):
        events.append({"event_id": f"{n + 1:032x}", "message": f"raven legacy {n}"})
    bodies = [
        base64.b64encode(zlib.compress(json.dumps(events[0]).encode())),
        base64.b64encode(json.dumps(events[1]).encode()),
    ]
    async with httpx.AsyncClient() as c:
        for body in bodies:
            r = await c.post(url, content=body, headers={"Content-Type": "text/plain"})
            assert r.status_code == 200, r.text
        r = await c.post(url, content=b"%%% not base64 %%%")
        assert r.status_code == 400 and "\n" not in r.json()["detail"]
        bomb = base64.b64encode(zlib.compress(b"{" + b" " * (200 * 1024 * 1024) + b"}"))
        r = await c.post(url, content=bomb)
        assert r.status_code == 413
    rows = await relay.store.query("SELECT data FROM events ORDER BY received")
    texts = [json.loads(row[0])["logentry"]["formatted"] for row in rows]
    assert texts == ["raven legacy 0", "raven legacy 1"]
