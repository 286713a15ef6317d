"""Typed async client for Sentry's web API (sentry.io, self-hosted, GlitchTip, or `sxtriage sim`).

Every call names the Sentry file it follows; the request shapes a server wants (paths,
sort names, note body) come from its `Wire` (`sxtriage.sentry.dialect`), detected once by
`detect()`.  Services map to project *ids* (Sentry refuses slugs in `project=`), read from
`/organizations/{org}/projects/` and cached.  Transport concerns (auth, pacing, retries,
errors, the log line of each failed request) live in `sxtriage.sentry.transport`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sxtriage.config import ServiceConfig, Settings
from sxtriage.models import Event, Issue, Project, Trace
from sxtriage.sentry import dialect, wire
from sxtriage.sentry.capabilities import Capabilities, Feature
from sxtriage.sentry.errors import (
    BadResponse,
    NotFound,
    SentryError,
    UnknownProject,
    Unsupported,
)
from sxtriage.sentry.http import Page, RateLimitState, parse_link_next
from sxtriage.sentry.org import OrgEndpoints
from sxtriage.sentry.transport import Transport
from sxtriage.sentry.update import IssueUpdate

__all__ = [
    "IssueUpdate",
    "Page",
    "RateLimitState",
    "SentryClient",
    "parse_link_next",
]

log = logging.getLogger("sxtriage.sentry")
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
# What a schema-valid but semantically odd answer can raise while being converted.
_CONVERSION_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)
MAX_LIMIT = 100
"""Sentry's paginator caps a page at 100 (src/sentry/api/paginator.py, MAX_LIMIT)."""


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        return f"{loc}: {err['msg']}"
    return f"{type(exc).__name__}: {exc}"


class SentryClient(OrgEndpoints):
    def __init__(
        self,
        base_url: str,
        org: str,
        token: str | None,
        *,
        services: dict[str, ServiceConfig] | None = None,
        dialect_override: str = "auto",
        timeout: float = 15,
        max_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff_base: float = 0.5,
        max_retry_after: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.org = org
        self.wire = dialect.guess(self.base_url)
        self._dialect_override = dialect_override
        self._detected = False
        self.t = Transport(
            self.base_url,
            token,
            timeout=timeout,
            max_retries=max_retries,
            transport=transport,
            backoff_base=backoff_base,
            max_retry_after=max_retry_after,
            clock=clock,
            saas=dialect.is_saas(self.base_url),
        )
        self._project_service: dict[str, str] = {}
        for name, svc in (services or {}).items():
            for slug in svc.projects:
                self._project_service[slug] = name
        self._projects: list[Project] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> SentryClient | None:
        """The client for the configured org, or None when org or token is missing."""
        if not (settings.sentry_org and settings.sentry_token is not None):
            return None
        kw.setdefault("services", settings.services)
        return cls(
            settings.sentry_url,
            settings.sentry_org,
            settings.sentry_token.get_secret_value(),
            dialect_override=settings.server_dialect,
            **kw,
        )

    # --- lifecycle and shared state ---------------------------------------------------
    async def aclose(self) -> None:
        await self.t.aclose()

    async def __aenter__(self) -> SentryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def capabilities(self) -> Capabilities:
        return self.wire.capabilities

    @property
    def rate_limit(self) -> RateLimitState:
        return self.t.rate_limit

    @property
    def max_retries(self) -> int:
        return self.t.max_retries

    @property
    def requests(self) -> int:
        return self.t.requests

    @property
    def bytes_received(self) -> int:
        return self.t.bytes_received

    @property
    def project_service(self) -> dict[str, str]:
        return self._project_service

    async def detect(self) -> Capabilities:
        """Which server this is (once); the capabilities the rest of the code asks."""
        if not self._detected:
            self.wire = await dialect.detect(self.t.http, self.base_url, self._dialect_override)
            self.t.saas = self.wire.dialect is dialect.Dialect.SENTRY_SAAS
            self._detected = True
        return self.wire.capabilities

    def require(self, feature: Feature) -> None:
        if reason := self.capabilities.reason(feature):
            raise Unsupported(reason)

    async def _json(self, method: str, path: str, **kw: Any) -> tuple[Any, httpx.Response]:
        return await self.t.get_json(method, path, **kw)

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

    # --- projects: slugs ↔ ids -------------------------------------------------------------
    async def projects(self) -> list[Project]:
        """The org's projects, fetched once."""
        if self._projects is None:
            await self.list_projects()
        assert self._projects is not None
        return self._projects

    async def project_ids(self, slugs: list[str]) -> list[str]:
        """Numeric ids for project slugs; a slug the org lacks is an `UnknownProject`."""
        if not slugs:
            return []
        by_slug = {p.slug: p.id for p in await self.projects()}
        missing = [s for s in slugs if s not in by_slug]
        if missing:
            known = ", ".join(sorted(by_slug)) or "none"
            raise UnknownProject(
                f"org {self.org!r} has no project {missing[0]!r} (it has: {known}); fix "
                "[services] in config.toml or run `sxtriage config init`"
            )
        return [by_slug[s] for s in slugs]

    def _slug_of(self, project_id: str | None) -> str | None:
        for p in self._projects or []:
            if p.id == project_id:
                return p.slug
        return None

    async def _ensure_projects(self) -> None:
        if self._projects is None:
            try:
                await self.list_projects()
            except SentryError:
                return

    # --- issues --------------------------------------------------------------------
    async def list_issues(
        self,
        *,
        query: str = "is:unresolved",
        projects: list[str] | None = None,
        environment: list[str] | None = None,
        stats_period: str | None = None,
        group_stats_period: str | None = "24h",
        sort: str = "date",
        cursor: str | None = None,
        limit: int = MAX_LIMIT,
        ids: list[str] | None = None,
    ) -> Page[Issue]:
        """One page of the org's issues.

        Follows src/sentry/issues/endpoints/organization_group_index.py (GET): `project`
        must be numeric ids (src/sentry/api/bases/organization.py,
        get_requested_project_ids_unchecked), `groupStatsPeriod` one of '', 24h, 14d, auto,
        `expand=inbox` adds the For Review state, `limit` at most 100.
        """
        params: list[tuple[str, str]] = [
            ("query", query),
            ("sort", self.wire.sort(sort)),
            ("limit", str(max(1, min(limit, MAX_LIMIT)))),
        ]
        params += [("project", p) for p in await self.project_ids(projects or [])]
        params += [("environment", e) for e in environment or []]
        if ids:
            params += [(self.wire.list_ids_param, i) for i in ids]
            if not projects and self.wire.all_projects_param:
                params.append(("project", self.wire.all_projects_param))
        if stats_period:
            params.append(("statsPeriod", stats_period))
        if group_stats_period:
            params.append(("groupStatsPeriod", group_stats_period))
        if self.capabilities.has(Feature.INBOX):
            params.append(("expand", "inbox"))
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
        # src/sentry/issues/endpoints/group_details.py (GET); GlitchTip: /issues/{id}/ only.
        path = self.wire.issue_path(self.org, issue_id)
        raw, _ = await self._json("GET", path)
        return self._one(raw, wire.WireIssue, path, self._to_issue)

    def _check_update(self, update: IssueUpdate) -> dict[str, Any]:
        body = update.to_json()
        if self.wire.put_needs_status and "status" not in body:
            raise Unsupported(
                f"{self.capabilities.label} can only change an issue's status "
                f"(not {', '.join(sorted(body)) or 'nothing'})"
            )
        return body

    async def update_issue(self, issue_id: str, update: IssueUpdate) -> Issue:
        """Change one issue and return it as the server stored it.

        Follows src/sentry/issues/endpoints/group_details.py (PUT) →
        src/sentry/api/helpers/group_index/update.py (update_groups) and its validator
        src/sentry/api/helpers/group_index/validators/group.py (GroupValidator).
        """
        body = self._check_update(update)
        path = self.wire.issue_path(self.org, issue_id)
        raw, _ = await self._json("PUT", path, json_body=body)
        if isinstance(raw, dict) and "shortId" not in raw:
            # Sentry's group PUT answers the changed fields only: read the issue back.
            return await self.get_issue(issue_id)
        return self._one(raw, wire.WireIssue, path, self._to_issue)

    async def bulk_update(self, issue_ids: list[str], update: IssueUpdate) -> list[Issue]:
        """Change many issues (chunks of 100) and read them back as stored.

        Follows organization_group_index.py (PUT, `id` params) → update_groups.  Sentry
        mutates every issue matching the default search when none of the ids exists, so
        only ids the server still has are sent.
        """
        body = self._check_update(update)
        out: list[Issue] = []
        for i in range(0, len(issue_ids), MAX_LIMIT):
            chunk = [x.id for x in await self.issues_by_id(issue_ids[i : i + MAX_LIMIT])]
            if not chunk:
                continue
            await self.t.request(
                "PUT", self._org("issues/"), params=[("id", x) for x in chunk], json_body=body
            )
            out += await self.issues_by_id(chunk)
        return out

    async def issues_by_id(self, issue_ids: list[str]) -> list[Issue]:
        """The current state of these issues (the list's `group` / `id` selector)."""
        out: list[Issue] = []
        for i in range(0, len(issue_ids), MAX_LIMIT):
            chunk = issue_ids[i : i + MAX_LIMIT]
            page = await self.list_issues(query="", ids=chunk, limit=len(chunk))
            out += page.items
        return out

    async def add_note(self, issue_id: str, text: str) -> None:
        # src/sentry/issues/endpoints/group_notes.py + src/sentry/api/serializers/
        # rest_framework/group_notes.py (NoteSerializer: `text`, `mentions`);
        # GlitchTip: apps/issue_events/api/comments.py ({"data": {"text"}}).
        self.require(Feature.NOTES)
        path = self.wire.issue_path(self.org, issue_id, "comments/")
        await self.t.request("POST", path, json_body=self.wire.note_body(text), idempotent=False)

    # --- events and traces ------------------------------------------------------------
    def _to_issue(self, w: wire.WireIssue) -> Issue:
        return wire.to_issue(w, self._project_service)

    def _to_event(self, w: wire.WireEvent) -> Event:
        slug = self._slug_of(w.projectID)
        return wire.to_event(w, self._project_service, slug)

    async def get_event(self, issue_id: str, event_id: str) -> Event:
        # src/sentry/issues/endpoints/group_event_details.py (latest|oldest|recommended|id).
        await self._ensure_projects()
        path = self.wire.issue_path(self.org, issue_id, f"events/{event_id}/")
        raw, _ = await self._json("GET", path)
        return self._one(raw, wire.WireEvent, path, self._to_event)

    async def latest_event(self, issue_id: str) -> Event:
        return await self.get_event(issue_id, "latest")

    async def list_events(
        self, issue_id: str, cursor: str | None = None, limit: int = 50
    ) -> Page[Event]:
        # src/sentry/issues/endpoints/group_events.py (`full`, `per_page`, cursor).
        await self._ensure_projects()
        path = self.wire.issue_path(self.org, issue_id, "events/")
        params = [("per_page", str(max(1, min(limit, MAX_LIMIT))))]
        params += [("cursor", cursor)] if cursor else []
        raw, resp = await self._json("GET", path, params=params)
        events = self._items(raw, wire.WireEvent, path, self._to_event)
        return Page(events, parse_link_next(resp.headers.get("Link")))

    async def get_trace(self, trace_id: str) -> Trace:
        # src/sentry/api/endpoints/organization_trace.py (the span tree of one trace).
        self.require(Feature.TRACES)
        path = self._org(f"trace/{trace_id}/")
        raw, _ = await self._json("GET", path)
        if not isinstance(raw, list | dict):
            raise BadResponse(f"unexpected answer from {path}: not a list")
        try:
            return wire.to_trace(raw, trace_id, self._project_service)
        except (ValidationError, *_CONVERSION_ERRORS) as exc:
            raise BadResponse(f"unexpected answer from {path}: {_why(exc)}") from None

    async def resolve_event_id(self, event_id: str) -> str | None:
        """The issue id of an event id, or None."""
        if self.capabilities.has(Feature.EVENT_ID_LOOKUP) and self.wire.org_scoped_issue_paths:
            # src/sentry/api/endpoints/event_id_lookup.py
            try:
                raw, _ = await self._json("GET", self._org(f"eventids/{event_id}/"))
            except NotFound:
                return None
            group = raw.get("groupId") if isinstance(raw, dict) else None
            return str(group) if group is not None else None
        # GlitchTip: an event id as the issue list's query is a direct hit.
        page = await self.list_issues(query=event_id, limit=1)
        return page.items[0].id if page.items else None

    async def resolve_short_id(self, short_id: str) -> Issue | None:
        # src/sentry/issues/endpoints/short_id_lookup.py (ShortIdLookupEndpoint).
        self.require(Feature.SHORT_ID_LOOKUP)
        try:
            raw, _ = await self._json("GET", self._org(f"shortids/{short_id}/"))
        except NotFound:
            return None
        group = raw.get("group") if isinstance(raw, dict) else None
        if group is None:
            return None
        return self._one(group, wire.WireIssue, "shortids", self._to_issue)
