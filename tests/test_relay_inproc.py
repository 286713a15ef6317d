"""The embedded relay read in-process (`InProcessRelay`): what the SSE stream gives a
`RelayClient` — the same events in the same order, the same issues, each issue before its
events, the same replay — without HTTP between relay and reader, and the detail /
local-triage answers straight from the store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx

from sxtriage.models import Event, IssueDelta, SourceHealth, Status
from sxtriage.relay.client import RelayClient
from sxtriage.relay.coalesce import FrameBatcher
from sxtriage.relay.inproc import InProcessRelay
from sxtriage.relay.persist import Published
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import error_envelope, recorded

PY = {r.name: r for r in recorded("python-sentry-sdk")}
Log = list[tuple[str, str, str]]
"""("issue", id, status) and ("event", event id, issue id) in arrival order."""


def _error_envelope(n: int) -> tuple[str, bytes]:
    return error_envelope(f"Inproc{n}Error", "in-process test")


async def _post(url: str, body: bytes, project: int = 1) -> None:
    async with httpx.AsyncClient() as c:
        resp = await c.post(f"{url}/api/{project}/envelope/?sentry_key=k", content=body)
    assert resp.status_code == 200, resp.text


async def _post_recorded(url: str, name: str) -> None:
    rec = PY[name]
    async with httpx.AsyncClient() as c:
        resp = await c.post(url + rec.path, content=rec.body, headers=rec.headers)
    assert resp.status_code == 200, resp.text


async def _until(check: Callable[[], bool], what: str, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _recorder(log: Log) -> tuple[Callable[[IssueDelta], None], Callable[[Event], None]]:
    def on_delta(delta: IssueDelta) -> None:
        log.extend(("issue", i.id, i.status.value) for i in delta.upserts)

    def on_event(event: Event) -> None:
        log.append(("event", event.event_id, event.issue_id or ""))

    return on_delta, on_event


async def test_in_process_reader_sees_what_the_stream_sees(relay: RelayServer) -> None:
    await _post_recorded(relay.url, "01")  # before either reader: in both snapshots
    streamed: Log = []
    inproc: Log = []
    health: list[SourceHealth] = []
    client = RelayClient(relay.url, timeout=5)
    reader = InProcessRelay(relay.broadcaster, relay.store)
    tasks = [
        asyncio.create_task(client.run(*_recorder(streamed), health.append)),
        asyncio.create_task(reader.run(*_recorder(inproc), health.append)),
    ]
    try:
        await _until(lambda: sum(h.ok for h in health) == 2, "both readers up")
        assert inproc == streamed and inproc[0][0] == "issue"  # the same snapshot
        ids = []
        for n in range(6):
            event_id, body = _error_envelope(n)
            ids.append(event_id)
            await _post(relay.url, body, project=n % 4 + 1)
        await _post_recorded(relay.url, "04")  # a transaction: an event without an issue
        done = set(ids)
        await _until(lambda: done <= {e[1] for e in inproc if e[0] == "event"}, "in-process")
        await _until(lambda: done <= {e[1] for e in streamed if e[0] == "event"}, "stream")
        await _until(lambda: len(streamed) == len(inproc), "the transaction on both")
        # Both deliver once per frame (a frame's issues merged, then its events), so how
        # issues and events interleave depends on timing; what they deliver does not.
        assert [e for e in inproc if e[0] == "event"] == [e for e in streamed if e[0] == "event"]
        assert {e for e in inproc if e[0] == "issue"} == {e for e in streamed if e[0] == "issue"}
        for log in (inproc, streamed):
            for kind, ident, issue_id in log:
                if kind == "event" and issue_id:  # its issue came first
                    assert ("issue", issue_id, "unresolved") in log[
                        : log.index((kind, ident, issue_id))
                    ]
        assert reader.position == int(
            relay.store.query_sync("SELECT MAX(seq) FROM envelopes")[0][0]
        )
    finally:
        for task in tasks:
            task.cancel()
        await client.aclose()


async def test_a_reader_that_falls_behind_catches_up_from_the_store(relay: RelayServer) -> None:
    """Its inbox holds one batch: while it is stuck, the rest overflow and are read back
    from the database, each exactly once, in seq order (as a reconnecting subscriber)."""
    log: Log = []
    gate = asyncio.Event()
    on_delta, record = _recorder(log)
    health: list[SourceHealth] = []

    async def on_event(event: Event) -> None:
        record(event)
        await gate.wait()  # the first event blocks the reader

    reader = InProcessRelay(relay.broadcaster, relay.store, inbox=1)
    task = asyncio.create_task(reader.run(on_delta, on_event, health.append))
    try:
        await _until(lambda: bool(health) and health[-1].ok, "the reader")
        ids = []
        for n in range(8):
            event_id, body = _error_envelope(n)
            ids.append(event_id)
            await _post(relay.url, body)
        await _until(lambda: reader._overflowed, "the inbox to overflow")
        gate.set()
        await _until(lambda: len([e for e in log if e[0] == "event"]) >= len(ids), "all events")
        await asyncio.sleep(0.1)  # nothing more may come
        events = [e[1] for e in log if e[0] == "event"]
        assert events == ids
        issues = {e[1] for e in log if e[0] == "issue"}
        assert {e[2] for e in log if e[0] == "event"} <= issues
    finally:
        task.cancel()


async def test_details_and_local_triage_from_the_store(relay: RelayServer) -> None:
    log: Log = []
    health: list[SourceHealth] = []
    reader = InProcessRelay(relay.broadcaster, relay.store)
    task = asyncio.create_task(reader.run(*_recorder(log), health.append))
    try:
        await _until(lambda: bool(health) and health[-1].ok, "the reader")
        for name in ("01", "02", "04"):
            await _post_recorded(relay.url, name)
        await _until(lambda: len([e for e in log if e[0] == "event"]) >= 2, "the events")
        issues = {i.id: i for i in await reader.list_issues()}
        err_id, issue_id = next((e[1], e[2]) for e in log if e[0] == "event" and e[2])
        issue = issues[issue_id]
        assert (await reader.latest_event(issue)).event_id == err_id  # type: ignore[union-attr]
        assert (await reader.event(issue, err_id)).event_id == err_id  # type: ignore[union-attr]
        assert [e.event_id for e in await reader.events(issue)] == [err_id]
        trace = await reader.trace("7c1a53b8428847aa962e3d5d5cada041")
        assert trace is not None and len(trace.spans) == 4
        assert await reader.trace("0" * 32) is None
        updated = await reader.update_issue(issue_id, status="resolved", assignee="jane@x.com")
        assert updated.status is Status.RESOLVED and updated.assignee == "jane@x.com"
        await _until(lambda: ("issue", issue_id, "resolved") in log, "the change on the feed")
        stored = json.loads(
            relay.store.query_sync(
                "SELECT data FROM issues WHERE source='relay' AND id=?", (issue_id,)
            )[0][0]
        )
        assert stored["status"] == "resolved"
    finally:
        task.cancel()


async def test_what_the_reader_has_is_not_delivered_twice(relay: RelayServer) -> None:
    """A batch published while the snapshot or a catch-up was read carries a seq the
    reader is already past: skipped, like the stream's Last-Event-ID cut-off; an issue
    change without an envelope (seq 0) always goes through."""
    for n in range(2):
        await _post(relay.url, _error_envelope(n)[1])
    rows = relay.store.query_sync("SELECT seq, data FROM envelopes ORDER BY seq")
    issue = relay.store.query_sync("SELECT data FROM issues WHERE source='relay' LIMIT 1")[0][0]
    log: Log = []
    reader = InProcessRelay(relay.broadcaster, relay.store)
    reader.position = int(rows[0][0])
    batch = [Published(int(seq), data, [issue]) for seq, data in rows]
    frames = FrameBatcher(*_recorder(log))
    await reader._deliver(batch, frames)
    await frames.flush()
    await reader._deliver([Published(0, "", [issue])], frames)
    await frames.flush()
    kinds = [k for k, _, _ in log]
    assert kinds == ["issue", "event", "issue"]  # the second envelope, then the seq-0 change
    assert reader.position == int(rows[1][0])
