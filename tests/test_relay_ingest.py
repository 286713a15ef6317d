"""Every recorded real-SDK payload is accepted, normalized, scrubbed and streamed."""

from __future__ import annotations

import asyncio
import gzip
import json
import sys

import httpx
import pytest

from sxtriage.config import Settings
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import recorded


async def _collect(url: str, n: int, last_id: str | None = None) -> list[tuple[str, str, str]]:
    """Read SSE messages (event, id, data) until `n` envelope messages arrived."""
    out: list[tuple[str, str, str]] = []
    headers = {"Last-Event-ID": last_id} if last_id else {}
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=10)) as c,
        c.stream("GET", url + "/stream", headers=headers) as resp,
    ):
        assert resp.headers["content-type"].startswith("text/event-stream")
        event = ident = ""
        async for line in resp.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("id: "):
                ident = line[4:]
            elif line.startswith("data: "):
                out.append((event, ident, line[6:]))
                event = ident = ""
                if sum(1 for m in out if m[0] == "application/x-sentry-envelope") >= n:
                    return out
    return out


async def _post_all(url: str) -> list[httpx.Response]:
    async with httpx.AsyncClient() as c:
        return [
            await c.post(url + rec.path, content=rec.body, headers=rec.headers)
            for rec in recorded()
        ]


async def test_every_recorded_payload_accepted_and_streamed(relay: RelayServer) -> None:
    n = len(recorded())
    reader = asyncio.create_task(_collect(relay.url, n))
    await asyncio.sleep(0.2)
    responses = await _post_all(relay.url)
    assert [r.status_code for r in responses] == [200] * n, [r.text for r in responses]
    messages = await asyncio.wait_for(reader, 15)
    envelopes = [json.loads(d) for e, _, d in messages if e == "application/x-sentry-envelope"]
    assert len(envelopes) == n
    items = [(h, p) for _, its in envelopes for h, p in its]
    kinds = {h["type"] for h, _ in items}
    assert {"event", "transaction", "span", "session"} <= kinds
    events = [p for h, p in items if h["type"] in ("event", "transaction")]
    # normalized by sentry_relay: "received" is added, tags become pairs, ids are set
    assert all("received" in p and p.get("event_id") for p in events)
    services = {env[0]["__sxtriage_service"] for env in envelopes}
    assert services == {"api", "web", "mobile", "search"}
    # errors carry the issue they were grouped into
    assert all(
        h.get("__sxtriage_issue_id") for h, p in items if h["type"] == "event" and "received" in p
    )
    # go's legacy /store/ events are there too
    assert any(p.get("platform") == "go" and p.get("type") == "error" for p in events)


async def test_pii_scrubbed_before_storage_and_stream(relay: RelayServer) -> None:
    rec = next(r for r in recorded("python-sentry-sdk") if r.name == "04")
    async with httpx.AsyncClient() as c:
        r = await c.post(relay.url + rec.path, content=rec.body, headers=rec.headers)
        assert r.status_code == 200
        ev = (await c.get(relay.url + f"/local/events/{r.json()['id']}/")).json()
    assert (
        ev["exceptions"][-1]["value"] == "Payment declined for card [creditcard], customer [email]"
    )
    assert ev["user"]["email"] == "[email]"
    row = (await relay.store.query("SELECT data FROM events WHERE event_id=?", (ev["event_id"],)))[
        0
    ]
    stored = json.loads(row[0])
    assert stored["extra"]["password"] == "[Filtered]"
    assert stored["extra"]["card_number"] == "[Filtered]"
    assert stored["extra"]["authorization"] == "[Filtered]"
    # Like Sentry, source context lines (code, not data) are kept as they are.
    for exc in stored["exception"]["values"]:
        for frame in exc["stacktrace"]["frames"]:
            for key in ("pre_context", "context_line", "post_context"):
                frame.pop(key, None)
    text = json.dumps(stored)
    assert "hunter2" not in text and "sk_live_abcdef123456" not in text
    assert "jane.doe@example.com" not in text and "4111 1111" not in text


async def test_message_text_scrubbed(relay: RelayServer) -> None:
    event = {
        "event_id": "a" * 32,
        "message": "refund to 4111 1111 1111 1111 for bob@example.com ssn 078-05-1120",
        "extra": {"auth": "Bearer abcdef0123456789abcdef", "api_token": "t0k3n"},
        "request": {"headers": {"Authorization": "Bearer abcdef0123456789", "Cookie": "s=1"}},
    }
    async with httpx.AsyncClient() as c:
        r = await c.post(
            relay.url + "/api/1/store/?sentry_key=k",
            content=gzip.compress(json.dumps(event).encode()),
            headers={"Content-Encoding": "gzip"},
        )
        assert r.status_code == 200, r.text
        ev = (await c.get(relay.url + f"/local/events/{'a' * 32}/")).json()
    assert ev["message"] == "refund to [creditcard] for [email] ssn [us-ssn]"
    text = json.dumps(ev)
    assert "abcdef0123456789" not in text and "t0k3n" not in text and "s=1" not in text


@pytest.mark.parametrize("encoding", ["deflate", "br"])
async def test_other_encodings(relay: RelayServer, encoding: str) -> None:
    import zlib

    import brotli

    rec = next(r for r in recorded("node-sentry-node") if r.name == "03")
    body = zlib.compress(rec.envelope) if encoding == "deflate" else brotli.compress(rec.envelope)
    async with httpx.AsyncClient() as c:
        r = await c.post(relay.url + rec.path, content=body, headers={"Content-Encoding": encoding})
    assert r.status_code == 200, r.text


async def test_live_python_sdk(relay: RelayServer) -> None:
    import sentry_sdk
    from sentry_sdk.utils import event_from_exception

    def send() -> None:
        client = sentry_sdk.Client(
            dsn=relay.dsn(1), default_integrations=False, release="api@9.9.9"
        )
        try:
            raise ValueError("card 5555 5555 5555 4444 rejected")
        except ValueError:
            event, hint = event_from_exception(sys.exc_info(), client_options=client.options)
            client.capture_event(event, hint=hint, scope=sentry_sdk.Scope(client=client))
        client.flush(timeout=5)
        client.close()

    await asyncio.to_thread(send)
    async with httpx.AsyncClient() as c:
        for _ in range(50):
            issues = (await c.get(relay.url + "/local/issues/")).json()
            if issues:
                break
            await asyncio.sleep(0.1)
    assert len(issues) == 1
    issue = issues[0]
    assert issue["service"] == "api" and issue["short_id"] == "API-LOCAL-1"
    assert issue["title"] == "ValueError: card [creditcard] rejected"
    assert issue["release"] == "api@9.9.9"


async def test_cors_preflight_and_headers(relay: RelayServer) -> None:
    async with httpx.AsyncClient() as c:
        r = await c.options(relay.url + "/api/2/envelope/")
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "*"
        assert "x-sentry-auth" in r.headers["access-control-allow-headers"]


async def test_duplicate_event_counted_once(relay: RelayServer) -> None:
    rec = next(r for r in recorded("node-sentry-node") if r.name == "04")
    async with httpx.AsyncClient() as c:
        for _ in range(3):
            assert (await c.post(relay.url + rec.path, content=rec.body)).status_code == 200
        issues = (await c.get(relay.url + "/local/issues/")).json()
    assert [i["count"] for i in issues] == [1]


async def test_health(relay: RelayServer) -> None:
    async with httpx.AsyncClient() as c:
        body = (await c.get(relay.url + "/health")).json()
    assert body["status"] == "ok" and body["subscribers"] == 0 and body["db_bytes"] > 0
    assert body["scrub_workers"] == 2 and body["scrub_restarts"] == 0


async def test_process_pool_relay(relay_settings: Settings) -> None:
    """The default configuration: scrubbing in worker processes."""
    server = RelayServer(relay_settings, workers=1)
    await server.start(port=0)
    try:
        responses = await _post_all(server.url)
        assert all(r.status_code == 200 for r in responses)
        rows = await server.store.query("SELECT COUNT(*) FROM events WHERE type != 'span'")
        assert rows[0][0] == 14
    finally:
        await server.stop()
