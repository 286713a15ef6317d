"""RelayClient: the TUI's view of a relay — ours, or a real Spotlight sidecar.

It subscribes to `GET /stream` (SSE), reconnects with backoff and resumes with
`Last-Event-ID`, and turns messages into `IssueDelta`s (source=RELAY) and `Event`s,
delivered at most once per frame (`coalesce.py`: a frame's issue changes merged into one
delta, then its events).
Against our relay, issues come grouped from the server (`/local/...` endpoints give the
snapshot and details).  A Spotlight sidecar has no `/local/` endpoints: then the client
groups events itself with `grouping.py` and answers detail queries from memory.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

from sxtriage.models import Event, Issue, IssueDelta, Source, SourceHealth, Trace, utcnow
from sxtriage.relay import grouping
from sxtriage.relay.coalesce import FRAME, FrameBatcher, call_sink
from sxtriage.relay.normalize import summarize
from sxtriage.relay.stream import ENVELOPE_EVENT, ISSUE_EVENT, envelope_events
from sxtriage.sinks import DeltaSink, EventSink, HealthSink

DEFAULT_PROJECTS = {1: "api", 2: "web", 3: "mobile", 4: "search"}
_MEMORY = 5000


class RelayClientError(Exception):
    """A local-endpoint call failed; the message is one line naming the fix."""


class RelayClient:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10,
        projects: Mapping[int, str] | None = None,
        max_backoff: float = 10.0,
        frame: float = FRAME,
    ) -> None:
        self.url = url.rstrip("/")
        self.frame = frame
        """Seconds: what arrives within one is delivered as one delta (`coalesce.py`)."""
        self.timeout = timeout
        self.projects = dict(projects or DEFAULT_PROJECTS)
        self.max_backoff = max_backoff
        self.health = SourceHealth(name="relay", ok=False, detail="connecting")
        self.spotlight: bool | None = None
        """None until known; True when the other end is a Spotlight sidecar."""
        self.last_event_id: str | None = None
        self.received = 0
        self._http: httpx.AsyncClient | None = None
        # Spotlight mode: issues grouped here, recent events kept for details.
        self._issues: dict[str, dict[str, Any]] = {}
        self._events: OrderedDict[str, Event] = OrderedDict()
        self._users: set[tuple[str, str]] = set()
        self._counters: dict[str, int] = {}
        self._backoff = 0.25

    # --- plumbing -------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _get(self, path: str, **params: Any) -> Any:
        try:
            resp = await self._client().get(self.url + path, params=params or None)
        except httpx.HTTPError as exc:
            raise RelayClientError(
                f"relay at {self.url} unreachable ({exc}); is it running?"
            ) from None
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise RelayClientError(f"relay answered {resp.status_code} for {path}")
        return resp.json()

    # --- the live stream ------------------------------------------------------------
    async def run(
        self,
        on_delta: DeltaSink,
        on_event: EventSink | None = None,
        on_health: HealthSink | None = None,
    ) -> None:
        batch = FrameBatcher(on_delta, on_event, source=Source.RELAY, frame=self.frame)
        self._backoff = 0.25
        try:
            while True:
                try:
                    if self.last_event_id is None and self.spotlight is not True:
                        await self._snapshot(batch)
                    await self._stream(batch, on_health)
                    raise RelayClientError("the relay closed the stream")
                except asyncio.CancelledError:
                    raise
                except (httpx.HTTPError, SSEError, RelayClientError, ValueError) as exc:
                    await batch.flush()  # what the stream gave before it broke
                    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    await self._set_health(
                        on_health, ok=False, error=f"{text}; retrying in {self._backoff:.1f}s"
                    )
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, self.max_backoff)
        finally:
            batch.cancel()

    async def _stream(self, batch: FrameBatcher, on_health: HealthSink | None) -> None:
        headers = {"Last-Event-ID": self.last_event_id} if self.last_event_id else {}
        timeout = httpx.Timeout(self.timeout, read=None)
        async with aconnect_sse(
            self._client(), "GET", self.url + "/stream", headers=headers, timeout=timeout
        ) as source:
            if source.response.status_code != 200:
                raise RelayClientError(
                    f"GET /stream answered {source.response.status_code}; "
                    "is this a relay or Spotlight sidecar?"
                )
            await self._set_health(on_health, ok=True, detail=self._mode())
            self._backoff = 0.25
            async for sse in source.aiter_sse():
                self._dispatch(sse.event, sse.data, batch)
                if sse.id:
                    self.last_event_id = sse.id
                await batch.settle()

    def _mode(self) -> str:
        return "spotlight sidecar" if self.spotlight else f"streaming from {self.url}"

    async def _set_health(
        self, sink: HealthSink | None, *, ok: bool, detail: str = "", error: str | None = None
    ) -> None:
        self.health = SourceHealth(
            name="relay",
            ok=ok,
            last_success=utcnow() if ok else self.health.last_success,
            error=error,
            detail=detail or self.health.detail,
        )
        await call_sink(sink, self.health)

    async def _snapshot(self, batch: FrameBatcher) -> None:
        try:
            resp = await self._client().get(self.url + "/local/issues/")
        except httpx.HTTPError as exc:
            raise RelayClientError(f"relay at {self.url} unreachable ({exc})") from None
        if resp.status_code == 404:
            self.spotlight = True  # no local endpoints: a Spotlight sidecar
            return
        if resp.status_code != 200:
            raise RelayClientError(f"GET /local/issues/ answered {resp.status_code}")
        self.spotlight = False
        issues = [Issue.model_validate(i) for i in resp.json()]
        self.last_event_id = resp.headers.get("X-Relay-Seq") or "0"
        await batch.flush()  # the snapshot is one delivery of its own, whatever its size
        await call_sink(batch.on_delta, IssueDelta(source=Source.RELAY, upserts=issues))

    def _dispatch(self, kind: str, data: str, batch: FrameBatcher) -> None:
        """One stream message into the batch (delivered by its `settle`)."""
        if kind == ISSUE_EVENT:
            issue = Issue.model_validate_json(data)
            batch.upsert([issue])
            return
        if kind != ENVELOPE_EVENT:
            return
        upserts: dict[str, Issue] = {}

        def group(payload: dict[str, Any], service: str) -> str:
            issue = self._group_locally(payload, service)
            upserts[issue.id] = issue
            return issue.id

        events = envelope_events(data, self.projects, group=group if self.spotlight else None)
        self.received += len(events)
        batch.upsert(upserts.values())
        for event in events:
            if self.spotlight:
                self._remember(event)
            batch.event(event)

    def _group_locally(self, payload: dict[str, Any], service: str) -> Issue:
        summary = summarize(payload, service)
        if summary.get("received") is None:
            summary["received"] = utcnow().timestamp()
        issue_id = summary["issue_id"]
        current = self._issues.get(issue_id)
        short = ""
        if current is None:
            self._counters[service] = self._counters.get(service, 0) + 1
            short = grouping.short_id(service, self._counters[service])
        user = summary.get("user")
        new_user = bool(user) and (issue_id, user) not in self._users
        if user:
            self._users.add((issue_id, user))
        data = grouping.apply_event(
            current, summary, service=service, short=short, new_user=new_user
        )
        self._issues[issue_id] = data
        return Issue.model_validate(data)

    def _remember(self, event: Event) -> None:
        self._events[event.event_id] = event
        while len(self._events) > _MEMORY:
            self._events.popitem(last=False)

    # --- DetailSource ---------------------------------------------------------------
    async def latest_event(self, issue: Issue) -> Event | None:
        events = await self.events(issue, limit=1)
        return events[0] if events else None

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]:
        if self.spotlight:
            found = [e for e in reversed(self._events.values()) if e.issue_id == issue.id]
            return found[:limit]
        data = await self._get(f"/local/issues/{issue.id}/events/", limit=limit)
        return [Event.model_validate(e) for e in data or []]

    async def event(self, issue: Issue, event_id: str) -> Event | None:
        if self.spotlight:
            return self._events.get(event_id)
        data = await self._get(f"/local/events/{event_id}/")
        return Event.model_validate(data) if data else None

    async def trace(self, trace_id: str) -> Trace | None:
        if self.spotlight:
            spans = [s for e in self._events.values() if e.trace_id == trace_id for s in e.spans]
            return (
                Trace(trace_id=trace_id, spans=sorted(spans, key=lambda s: s.start))
                if spans
                else None
            )
        data = await self._get(f"/local/traces/{trace_id}/")
        return Trace.model_validate(data) if data else None

    async def list_issues(self) -> list[Issue]:
        if self.spotlight:
            return [Issue.model_validate(i) for i in self._issues.values()]
        data = await self._get("/local/issues/")
        return [Issue.model_validate(i) for i in data or []]

    async def update_issue(
        self, issue_id: str, *, status: str | None = None, assignee: str | None = None
    ) -> Issue:
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status
        if assignee is not None:
            body["assignee"] = assignee or None
        if self.spotlight:
            data = self._issues.get(issue_id)
            if data is None:
                raise RelayClientError(f"no local issue {issue_id}; refresh the feed")
            data.update(body)
            return Issue.model_validate(data)
        try:
            resp = await self._client().put(self.url + f"/local/issues/{issue_id}/", json=body)
        except httpx.HTTPError as exc:
            raise RelayClientError(f"relay at {self.url} unreachable ({exc}); retry") from None
        if resp.status_code != 200:
            detail = resp.json().get("detail", "") if resp.content else ""
            raise RelayClientError(f"relay refused the update ({resp.status_code}): {detail}")
        return Issue.model_validate_json(resp.content)
