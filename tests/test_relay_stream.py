"""The SSE stream: Spotlight's format, replay from Last-Event-ID, and RelayClient."""

from __future__ import annotations

import asyncio
import json

import httpx

from sxtriage.models import Event, IssueDelta, SourceHealth
from sxtriage.relay.client import RelayClient
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import recorded
from tests.test_relay_ingest import _collect

NODE = {r.name: r for r in recorded("node-sentry-node")}
PY = {r.name: r for r in recorded("python-sentry-sdk")}


async def _post(url: str, rec) -> httpx.Response:
    async with httpx.AsyncClient() as c:
        return await c.post(url + rec.path, content=rec.body, headers=rec.headers)


async def test_spotlight_sse_format(relay: RelayServer) -> None:
    reader = asyncio.create_task(_collect(relay.url, 1))
    await asyncio.sleep(0.1)
    assert (await _post(relay.url, NODE["03"])).status_code == 200
    messages = await asyncio.wait_for(reader, 10)
    issue_msgs = [m for m in messages if m[0] == "application/vnd.sxtriage.issue+json"]
    env_msgs = [m for m in messages if m[0] == "application/x-sentry-envelope"]
    assert len(issue_msgs) == 1 and len(env_msgs) == 1
    assert messages.index(issue_msgs[0]) < messages.index(env_msgs[0])
    _, ident, data = env_msgs[0]
    assert ident == "1" and issue_msgs[0][1] == ""
    header, items = json.loads(data)
    assert header["event_id"] == "e17746f2199544db8321a57366b2a729"
    assert [h["type"] for h, _ in items] == ["event"]
    assert items[0][1]["exception"]["values"][0]["type"] == "SyntaxError"


async def test_replay_from_last_event_id_and_default_buffer(relay: RelayServer) -> None:
    for name in ("01", "02", "03", "04", "05"):
        assert (await _post(relay.url, NODE[name])).status_code == 200
    resumed = await asyncio.wait_for(_collect(relay.url, 3, last_id="2"), 10)
    ids = [m[1] for m in resumed if m[0] == "application/x-sentry-envelope"]
    assert ids == ["3", "4", "5"]
    # issues changed after seq 2 come first
    assert resumed[0][0] == "application/vnd.sxtriage.issue+json"
    fresh = await asyncio.wait_for(_collect(relay.url, 5), 10)
    assert [m[1] for m in fresh] == ["1", "2", "3", "4", "5"]


async def test_post_stream_spotlight_ingest(relay: RelayServer) -> None:
    env = PY["03"].envelope.replace(b'"sent_at"', b'"dsn":"http://k@127.0.0.1/1","sent_at"', 1)
    async with httpx.AsyncClient() as c:
        r = await c.post(
            relay.url + "/stream",
            content=env,
            headers={"Content-Type": "application/x-sentry-envelope"},
        )
        assert r.status_code == 200
        issues = (await c.get(relay.url + "/local/issues/")).json()
    assert issues[0]["service"] == "api" and issues[0]["title"] == "TMDB API degraded: 3 retries"


async def test_relay_client_end_to_end(relay: RelayServer) -> None:
    deltas: list[IssueDelta] = []
    events: list[Event] = []
    health: list[SourceHealth] = []
    client = RelayClient(relay.url, timeout=5)
    assert (await _post(relay.url, PY["01"])).status_code == 200  # before subscribing
    task = asyncio.create_task(client.run(deltas.append, events.append, health.append))
    try:
        for _ in range(100):
            if health and health[-1].ok and deltas:
                break
            await asyncio.sleep(0.05)
        assert deltas[0].upserts[0].short_id == "API-LOCAL-1"  # the snapshot
        for name in ("02", "04"):
            assert (await _post(relay.url, PY[name])).status_code == 200
        for _ in range(100):
            if len(events) >= 2:
                break
            await asyncio.sleep(0.05)
        assert {e.type for e in events} == {"transaction", "error"}
        err = next(e for e in events if e.type == "error")
        assert err.issue_id and err.exceptions[-1].value.endswith("[email]")
        issues = {i.id: i for d in deltas for i in d.upserts}
        issue = issues[err.issue_id]
        assert (await client.latest_event(issue)).event_id == err.event_id
        assert (await client.event(issue, err.event_id)).title == err.title
        trace = await client.trace("7c1a53b8428847aa962e3d5d5cada041")
        assert trace is not None and len(trace.spans) == 4
        assert trace.spans[0].op == "http.server"
        updated = await client.update_issue(issue.id, status="resolved", assignee="jane@x.com")
        assert updated.status == "resolved" and updated.assignee == "jane@x.com"
        for _ in range(100):
            if any(i.status == "resolved" for d in deltas for i in d.upserts):
                break
            await asyncio.sleep(0.05)
        assert any(i.status == "resolved" for d in deltas for i in d.upserts)
        assert {i.id for i in await client.list_issues()} == set(issues)
    finally:
        task.cancel()
        await client.aclose()


async def test_relay_client_reconnects_and_resumes(relay_settings, tmp_path) -> None:
    server = RelayServer(relay_settings, workers=0)
    await server.start(port=0)
    port = server.port
    events: list[Event] = []
    health: list[SourceHealth] = []
    client = RelayClient(server.url, timeout=2, max_backoff=0.5)
    task = asyncio.create_task(client.run(lambda d: None, events.append, health.append))
    try:
        for _ in range(100):
            if health and health[-1].ok:
                break
            await asyncio.sleep(0.05)
        await _post(server.url, NODE["03"])
        for _ in range(100):
            if events:
                break
            await asyncio.sleep(0.05)
        await server.stop()
        for _ in range(100):
            if health and not health[-1].ok:
                break
            await asyncio.sleep(0.05)
        assert not health[-1].ok and "retrying" in (health[-1].error or "")
        # events committed while the client is away are replayed on reconnect
        server = RelayServer(relay_settings, workers=0)
        await server.start(port=port)
        await _post(server.url, NODE["04"])
        for _ in range(200):
            if len(events) >= 2:
                break
            await asyncio.sleep(0.05)
        assert [e.event_id for e in events] == [
            "e17746f2199544db8321a57366b2a729",
            "6b745ad56f6f4e7db33beefc5f0af27d",
        ]
        assert health[-1].ok
    finally:
        task.cancel()
        await client.aclose()
        await server.stop()
