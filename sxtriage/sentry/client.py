"""Typed async client for Sentry's web API (sentry.io, self-hosted, or `sxtriage sim`).

One `httpx.AsyncClient` (HTTP/1.1 keep-alive, bearer token).  Cursor pagination follows
the `Link` header; `X-Sentry-Rate-Limit-*` headers are tracked and honoured before the
next request; 429 waits `Retry-After`; 5xx and timeouts are retried with jittered
exponential backoff; every failure ends as a typed `SentryError`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sxtriage import __version__
from sxtriage.config import ServiceConfig
from sxtriage.models import Event, Issue, Member, Project, Team, Trace
from sxtriage.sentry import wire
from sxtriage.sentry.errors import (
    BadResponse,
    NotFound,
    RateLimited,
    SentryError,
    SentryTimeout,
    SentryUnavailable,
    error_for_status,
)
from sxtriage.sentry.http import Page, RateLimitState, error_detail, parse_link_next, retry_after
from sxtriage.sentry.update import IssueUpdate

__all__ = [
    "IssueUpdate",
    "Page",
    "RateLimitState",
    "SentryClient",
    "SentryDetailSource",
    "parse_link_next",
]

log = logging.getLogger("sxtriage.sentry")
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
# What a schema-valid but semantically odd answer can raise while being converted.
_CONVERSION_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        return f"{loc}: {err['msg']}"
    return f"{type(exc).__name__}: {exc}"


USER_AGENT = f"sxtriage/{__version__} (+https://github.com/scenextras/sxtriage)"


class SentryClient:
    def __init__(
        self,
        base_url: str,
        org: str,
        token: str | None,
        *,
        services: dict[str, ServiceConfig] | None = None,
        timeout: float = 15,
        max_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_base: float = 0.5,
        max_retry_after: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.org = org
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_retry_after = max_retry_after
        self.rate_limit = RateLimitState()
        self.requests = 0
        self.bytes_received = 0
        self._clock = clock
        self._project_service: dict[str, str] = {}
        self._project_ids: dict[str, str] | None = None
        for name, svc in (services or {}).items():
            for slug in svc.projects:
                self._project_service[slug] = name
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> SentryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def project_service(self) -> dict[str, str]:
        return self._project_service

    # --- transport -----------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return min(8.0, self.backoff_base * (2**attempt)) * random.uniform(0.5, 1.5)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one request with rate-limit pacing and retries; raise a typed error."""
        url = path if path.startswith("/") else f"/api/0/{path}"
        attempt = 0
        while True:
            if wait := self.rate_limit.wait_needed(self._clock()):
                await asyncio.sleep(wait)
            try:
                self.requests += 1
                resp = await self._http.request(method, url, params=params, json=json_body)
            except httpx.TimeoutException:
                if idempotent and attempt < self.max_retries:
                    await asyncio.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise SentryTimeout(
                    f"Sentry did not answer {method} {url} in time; check the network "
                    f"or {self.base_url} (retrying on the next poll)"
                ) from None
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt < min(self.max_retries, 2):
                    await asyncio.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise SentryUnavailable(
                    f"cannot reach Sentry at {self.base_url} ({type(exc).__name__}); check "
                    "the URL (SENTRY_URL) and your network"
                ) from None
            self.bytes_received += len(resp.content)
            self.rate_limit.update(resp.headers)
            status = resp.status_code
            if status < 400:
                return resp
            if status == 429:
                self.rate_limit.throttled += 1
                wait = retry_after(resp)
                if attempt < self.max_retries and wait <= self.max_retry_after:
                    await asyncio.sleep(wait)
                    attempt += 1
                    continue
                raise RateLimited(
                    f"rate limited by Sentry on {url}; retry in {wait:.0f}s",
                    retry_after=wait,
                    detail=error_detail(resp),
                )
            if status >= 500 and idempotent and attempt < self.max_retries:
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1
                continue
            raise error_for_status(status, url=url, detail=error_detail(resp))

    async def _json(self, method: str, path: str, **kw: Any) -> tuple[Any, httpx.Response]:
        resp = await self.request(method, path, **kw)
        if resp.status_code == 204 or not resp.content:
            return None, resp
        try:
            return json.loads(resp.content), resp
        except (ValueError, UnicodeDecodeError):
            raise BadResponse(
                f"Sentry sent malformed JSON for {path}; if this persists, check the "
                "SENTRY_URL points at a Sentry API"
            ) from None

    def _items(self, raw: Any, model: type[M], path: str, convert: Callable[[M], R]) -> list[R]:
        """Validate and convert each item; a bad item is skipped and logged, not fatal."""
        if not isinstance(raw, list):
            raise BadResponse(f"expected a list from {path}, got {type(raw).__name__}")
        out: list[R] = []
        for i, item in enumerate(raw):
            try:
                out.append(convert(model.model_validate(item)))
            except (ValidationError, *_CONVERSION_ERRORS) as exc:
                log.warning("skipped item %d from %s: %s", i, path, _why(exc))
        return out

    def _one(self, raw: Any, model: type[M], path: str, convert: Callable[[M], R]) -> R:
        try:
            return convert(model.model_validate(raw))
        except (ValidationError, *_CONVERSION_ERRORS) as exc:
            raise BadResponse(f"unexpected answer from {path}: {_why(exc)}") from None

    def _org(self, rest: str) -> str:
        return f"organizations/{self.org}/{rest}"

    # --- issues --------------------------------------------------------------------

    async def list_issues(
        self,
        *,
        query: str = "is:unresolved",
        projects: list[str] | None = None,
        environment: list[str] | None = None,
        stats_period: str | None = None,
        sort: str = "date",
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Issue]:
        params: list[tuple[str, str]] = [
            ("query", query),
            ("sort", sort),
            ("limit", str(max(1, min(limit, 100)))),
        ]
        params += [("project", p) for p in projects or []]
        params += [("environment", e) for e in environment or []]
        if stats_period:
            params.append(("statsPeriod", stats_period))
        if cursor:
            params.append(("cursor", cursor))
        path = self._org("issues/")
        raw, resp = await self._json("GET", path, params=params)
        issues = self._items(raw, wire.WireIssue, path, self._to_issue)
        return Page(issues, parse_link_next(resp.headers.get("Link")))

    async def iter_issues(self, **kw: Any) -> AsyncIterator[Page[Issue]]:
        cursor = kw.pop("cursor", None)
        while True:
            page = await self.list_issues(cursor=cursor, **kw)
            yield page
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def get_issue(self, issue_id: str) -> Issue:
        path = self._org(f"issues/{issue_id}/")
        raw, _ = await self._json("GET", path)
        return self._one(raw, wire.WireIssue, path, self._to_issue)

    async def update_issue(self, issue_id: str, update: IssueUpdate) -> Issue:
        path = self._org(f"issues/{issue_id}/")
        raw, _ = await self._json("PUT", path, json_body=update.to_json())
        return self._one(raw, wire.WireIssue, path, self._to_issue)

    async def bulk_update(self, issue_ids: list[str], update: IssueUpdate) -> None:
        body = update.to_json()
        for i in range(0, len(issue_ids), 100):
            chunk = issue_ids[i : i + 100]
            await self.request(
                "PUT", self._org("issues/"), params=[("id", x) for x in chunk], json_body=body
            )

    async def add_note(self, issue_id: str, text: str) -> None:
        await self.request(
            "POST", f"issues/{issue_id}/comments/", json_body={"text": text}, idempotent=False
        )

    # --- events and traces ------------------------------------------------------------

    def _to_issue(self, w: wire.WireIssue) -> Issue:
        return wire.to_issue(w, self._project_service)

    def _to_event(self, w: wire.WireEvent) -> Event:
        return wire.to_event(w, self._project_service, self._slug_of(w.projectID))

    def _slug_of(self, project_id: str | None) -> str | None:
        return (self._project_ids or {}).get(project_id or "")

    async def _ensure_projects(self) -> None:
        if self._project_ids is None:
            try:
                projects = await self.list_projects()
            except SentryError:
                return
            self._project_ids = {p.id: p.slug for p in projects}

    async def get_event(self, issue_id: str, event_id: str) -> Event:
        await self._ensure_projects()
        path = self._org(f"issues/{issue_id}/events/{event_id}/")
        raw, _ = await self._json("GET", path)
        return self._one(raw, wire.WireEvent, path, self._to_event)

    async def latest_event(self, issue_id: str) -> Event:
        return await self.get_event(issue_id, "latest")

    async def list_events(
        self, issue_id: str, cursor: str | None = None, limit: int = 50
    ) -> Page[Event]:
        await self._ensure_projects()
        path = self._org(f"issues/{issue_id}/events/")
        params = [("per_page", str(limit))] + ([("cursor", cursor)] if cursor else [])
        raw, resp = await self._json("GET", path, params=params)
        events = self._items(raw, wire.WireEvent, path, self._to_event)
        return Page(events, parse_link_next(resp.headers.get("Link")))

    async def get_trace(self, trace_id: str) -> Trace:
        path = self._org(f"trace/{trace_id}/")
        raw, _ = await self._json("GET", path)
        if not isinstance(raw, list | dict):
            raise BadResponse(f"unexpected answer from {path}: not a list")
        try:
            return wire.to_trace(raw, trace_id, self._project_service)
        except (ValidationError, *_CONVERSION_ERRORS) as exc:
            raise BadResponse(f"unexpected answer from {path}: {_why(exc)}") from None

    async def resolve_event_id(self, event_id: str) -> str | None:
        try:
            raw, _ = await self._json("GET", self._org(f"eventids/{event_id}/"))
        except NotFound:
            return None
        group = raw.get("groupId") if isinstance(raw, dict) else None
        return str(group) if group is not None else None

    # --- org ------------------------------------------------------------------------

    async def _all(self, path: str, model: type[M], convert: Callable[[M], R]) -> list[R]:
        out: list[R] = []
        cursor: str | None = None
        while True:
            params = [("cursor", cursor)] if cursor else None
            raw, resp = await self._json("GET", path, params=params)
            out += self._items(raw, model, path, convert)
            cursor = parse_link_next(resp.headers.get("Link"))
            if not cursor:
                return out

    async def list_members(self) -> list[Member]:
        return await self._all(self._org("members/"), wire.WireMember, wire.to_member)

    async def list_teams(self) -> list[Team]:
        return await self._all(self._org("teams/"), wire.WireTeam, wire.to_team)

    async def list_projects(self) -> list[Project]:
        projects = await self._all(self._org("projects/"), wire.WireProjectRef, wire.to_project)
        self._project_ids = {p.id: p.slug for p in projects}
        return projects


class SentryDetailSource:
    """The UI's `DetailSource` for Sentry issues: wraps a `SentryClient`."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client

    async def latest_event(self, issue: Issue) -> Event | None:
        try:
            return await self.client.latest_event(issue.id)
        except NotFound:
            return None

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]:
        try:
            return (await self.client.list_events(issue.id, limit=limit)).items
        except NotFound:
            return []

    async def event(self, issue: Issue, event_id: str) -> Event | None:
        try:
            return await self.client.get_event(issue.id, event_id)
        except NotFound:
            return None

    async def trace(self, trace_id: str) -> Trace | None:
        try:
            return await self.client.get_trace(trace_id)
        except NotFound:
            return None
