"""Server-Sent Events in Spotlight's format, with replay from SQLite.

Each committed envelope is one message::

    event: application/x-sentry-envelope
    id: <seq>
    data: [ENVELOPE_HEADER, [[ITEM_HEADER, PAYLOAD], ...]]

Issue changes go out as `event: application/vnd.sxtriage.issue+json` messages (no id,
so they never move a client's Last-Event-ID) *before* the envelope that caused them.
A subscriber that reconnects with `Last-Event-ID: N` first gets every issue changed
after N, then every envelope after N, from the database; a new subscriber without it
gets the last `replay_default` envelopes, like Spotlight's buffer.

A program that embeds the relay reads it without HTTP: `listen` hands it every batch
as it is published, in the same order (`relay/inproc.py` does the same replay from the
database as a reconnecting stream subscriber).  `envelope_events` reads an envelope's
data back as `Event`s, the one converter of both readers (`relay/client.py`,
`relay/inproc.py`); the data is untrusted: anything not shaped as expected is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from sxtriage.models import Event
from sxtriage.relay.normalize import to_event
from sxtriage.relay.persist import Published
from sxtriage.store import Store

Listener = Callable[[list[Published]], None]
"""An in-process subscriber: gets each published batch (an issue-only change is one
`Published` with seq 0 and no data) on the publishing thread; it must not block."""
ENVELOPE_EVENT = "application/x-sentry-envelope"
ISSUE_EVENT = "application/vnd.sxtriage.issue+json"
_PAGE = 500


def envelope_message(seq: int, data: str) -> bytes:
    return f"event: {ENVELOPE_EVENT}\nid: {seq}\ndata: {data}\n\n".encode()


def issue_message(data: str) -> bytes:
    return f"event: {ISSUE_EVENT}\ndata: {data}\n\n".encode()


class _Subscriber:
    """One reader's queue, bounded in messages and in bytes (an envelope can be 1 MB)."""

    __slots__ = ("bytes", "max_bytes", "overflowed", "queue")

    def __init__(self, size: int, max_bytes: int) -> None:
        self.queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(size)
        self.bytes = 0
        self.max_bytes = max_bytes
        self.overflowed = False

    def put(self, chunk: tuple[int, bytes]) -> bool:
        if self.bytes + len(chunk[1]) > self.max_bytes:
            return False
        try:
            self.queue.put_nowait(chunk)
        except asyncio.QueueFull:
            return False
        self.bytes += len(chunk[1])
        return True

    def get_nowait(self) -> tuple[int, bytes]:
        chunk = self.queue.get_nowait()
        self.bytes -= len(chunk[1])
        return chunk


class Broadcaster:
    def __init__(
        self,
        store: Store,
        *,
        replay_default: int = 500,
        queue_size: int = 20_000,
        queue_bytes: int = 32 * 1024 * 1024,
        heartbeat: float = 15.0,
    ) -> None:
        self.store = store
        self.replay_default = replay_default
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        """What one subscriber may have waiting; past it, it is dropped (and resumes)."""
        self.heartbeat = heartbeat
        self._subs: set[_Subscriber] = set()
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop the stream subscribers run on (known once one connected)."""
        self.delivered = 0
        self._closing = asyncio.Event()

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Add an in-process subscriber; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, batch: Iterable[Published]) -> None:
        published = list(batch)
        for listener in list(self._listeners):
            listener(published)
        if not self._subs:
            return
        chunks: list[tuple[int, bytes]] = []
        for pub in published:
            head = b"".join(issue_message(i) for i in pub.issues)
            chunks.append((pub.seq, head + envelope_message(pub.seq, pub.data)))
        self._fan_out(chunks)

    def publish_issue(self, seq: int, issue_json: str) -> None:
        """An issue changed without an envelope (local triage); callable from any thread."""
        for listener in list(self._listeners):
            listener([Published(0, "", [issue_json])])
        # seq 0: never skipped by a subscriber's replay cut-off.
        chunk = (0, issue_message(issue_json))
        loop = self._loop
        if loop is None or _running_loop() is loop:
            self._fan_out([chunk])
        else:  # the stream subscribers' queues live on the relay's loop
            loop.call_soon_threadsafe(self._fan_out, [chunk])

    def _fan_out(self, chunks: list[tuple[int, bytes]]) -> None:
        for sub in list(self._subs):
            if sub.overflowed:
                continue
            for chunk in chunks:
                if not sub.put(chunk):
                    # A stalled reader: drop it; it reconnects with Last-Event-ID and
                    # catches up from the database.
                    sub.overflowed = True
                    break

    def close(self) -> None:
        self._closing.set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await resp.prepare(request)
        self._loop = asyncio.get_running_loop()
        sub = _Subscriber(self.queue_size, self.queue_bytes)
        self._subs.add(sub)
        try:
            last = _last_event_id(request)
            sent = await self._replay(resp, last)
            await self._live(resp, sub, sent)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._subs.discard(sub)
        return resp

    async def _replay(self, resp: web.StreamResponse, last: int | None) -> int:
        """Send what the subscriber missed; returns the last seq sent."""
        if last is None:
            rows = await self.store.query(
                "SELECT seq, data FROM envelopes ORDER BY seq DESC LIMIT ?",
                (self.replay_default,),
            )
            rows.reverse()
            for row in rows:
                await resp.write(envelope_message(row[0], row[1]))
            self.delivered += len(rows)
            if rows:
                return int(rows[-1][0])
            top = await self.store.query("SELECT COALESCE(MAX(seq), 0) FROM envelopes")
            return int(top[0][0])
        issues = await self.store.query(
            "SELECT data FROM issues WHERE source='relay' AND seq > ? ORDER BY seq", (last,)
        )
        if issues:
            await resp.write(b"".join(issue_message(r[0]) for r in issues))
        cursor = last
        while True:
            rows = await self.store.query(
                "SELECT seq, data FROM envelopes WHERE seq > ? ORDER BY seq LIMIT ?",
                (cursor, _PAGE),
            )
            if not rows:
                return cursor
            await resp.write(b"".join(envelope_message(r[0], r[1]) for r in rows))
            self.delivered += len(rows)
            cursor = int(rows[-1][0])

    async def _live(self, resp: web.StreamResponse, sub: _Subscriber, sent: int) -> None:
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            while not sub.overflowed:
                getter = asyncio.ensure_future(sub.queue.get())
                done, _ = await asyncio.wait(
                    {getter, closing}, timeout=self.heartbeat, return_when=asyncio.FIRST_COMPLETED
                )
                if closing in done:
                    getter.cancel()
                    return
                if getter not in done:
                    getter.cancel()
                    await resp.write(b": ping\n\n")
                    continue
                parts: list[bytes] = []
                seq, chunk = getter.result()
                sub.bytes -= len(chunk)
                while True:
                    if seq == 0 or seq > sent:
                        parts.append(chunk)
                        if seq:
                            sent = seq
                            self.delivered += 1
                    try:
                        seq, chunk = sub.get_nowait()
                    except asyncio.QueueEmpty:
                        break
                if parts:
                    await resp.write(b"".join(parts))
        finally:
            closing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await closing


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _last_event_id(request: web.Request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.query.get("lastEventId")
    if raw is None:
        return None
    try:
        return max(0, int(raw.strip()))
    except ValueError:
        return None  # a Spotlight UUID or garbage: treat as a fresh subscriber


# --- reading an envelope's data back ------------------------------------------------
Item = tuple[dict[str, Any], dict[str, Any]]
"""(item header, payload) of an event or transaction item."""


def envelope_items(data: str) -> tuple[dict[str, Any], list[Item]] | None:
    """The envelope header and its event / transaction items; None when it is not an
    envelope (raises ValueError on text that is not JSON)."""
    envelope = json.loads(data)
    if not isinstance(envelope, list) or len(envelope) != 2:
        return None
    header, entries = envelope
    items: list[Item] = []
    for entry in entries if isinstance(entries, list) else []:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)):
            continue
        ih, payload = entry
        if isinstance(ih, dict) and ih.get("type") in ("event", "transaction"):
            items.append((ih, payload))
    return (header if isinstance(header, dict) else {}), items


def service_of(header: Mapping[str, Any], projects: Mapping[int, str]) -> str:
    """Our relay names the service in the header; a Spotlight envelope has its DSN (the
    project id) or the release ("web@2.3.0")."""
    named = header.get("__sxtriage_service")
    if isinstance(named, str):
        return named
    dsn = header.get("dsn")
    if isinstance(dsn, str):
        tail = dsn.rstrip("/").rsplit("/", 1)[-1]
        if tail.isdigit() and int(tail) in projects:
            return projects[int(tail)]
    trace = header.get("trace") if isinstance(header.get("trace"), dict) else {}
    release = str(trace.get("release") or "")
    prefix = release.split("@", 1)[0]
    return prefix if prefix in projects.values() else "unknown"


def issue_id_of(item_header: Mapping[str, Any]) -> str | None:
    """The issue our relay grouped the event into (None for a transaction, or Spotlight)."""
    value = item_header.get("__sxtriage_issue_id")
    return value if isinstance(value, str) else None


Grouper = Callable[[dict[str, Any], str], str]
"""(event payload, service) → the issue id it groups into, for events no relay grouped."""


def envelope_events(
    data: str, projects: Mapping[int, str], *, group: Grouper | None = None
) -> list[Event]:
    """An envelope message's events and transactions as `Event`s, in item order; `group`
    gives an issue to each error event our relay did not group (a Spotlight sidecar's).
    Raises ValueError on text that is not JSON."""
    parsed = envelope_items(data)
    if parsed is None:
        return []
    header, items = parsed
    service = service_of(header, projects)
    events: list[Event] = []
    for ih, payload in items:
        issue_id = issue_id_of(ih)
        if issue_id is None and group is not None and payload.get("type") != "transaction":
            issue_id = group(payload, service)
        events.append(to_event(payload, service=service, issue_id=issue_id))
    return events
