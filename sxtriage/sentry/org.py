"""The org-level endpoints of the Sentry client: members, teams, projects, releases, views.

A mixin of `SentryClient` (it uses the client's transport helpers and project map).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from sxtriage.models import IssueView, Member, Project, Release, Team
from sxtriage.sentry import wire
from sxtriage.sentry.capabilities import Feature
from sxtriage.sentry.errors import NotFound
from sxtriage.sentry.http import parse_link_next
from sxtriage.sentry.transport import QueryParams

if TYPE_CHECKING:
    import httpx

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
MAX_LIMIT = 100


class OrgEndpoints:
    """Needs from the class it is mixed into: the members declared below."""

    _projects: list[Project] | None
    _project_service: dict[str, str]

    async def _json(self, method: str, path: str, **kw: Any) -> tuple[Any, httpx.Response]:
        raise NotImplementedError

    def _items(self, raw: Any, model: type[M], path: str, convert: Callable[[M], R]) -> list[R]:
        raise NotImplementedError

    def _org(self, rest: str) -> str:
        raise NotImplementedError

    def require(self, feature: Feature) -> None:
        raise NotImplementedError

    async def project_ids(self, slugs: list[str]) -> list[str]:
        raise NotImplementedError

    async def _ensure_projects(self) -> None:
        raise NotImplementedError

    def _slug_of(self, project_id: str | None) -> str | None:
        raise NotImplementedError

    # --- org ------------------------------------------------------------------------
    async def _all(
        self, path: str, model: type[M], convert: Callable[[M], R], params: QueryParams = None
    ) -> list[R]:
        out: list[R] = []
        cursor: str | None = None
        while True:
            page_params = list(params or []) + ([("cursor", cursor)] if cursor else [])
            raw, resp = await self._json("GET", path, params=page_params or None)
            out += self._items(raw, model, path, convert)
            cursor = parse_link_next(resp.headers.get("Link"))
            if not cursor:
                return out

    async def list_members(self) -> list[Member]:
        # src/sentry/core/endpoints/organization_member_index.py
        return await self._all(self._org("members/"), wire.WireMember, wire.to_member)

    async def list_teams(self) -> list[Team]:
        # src/sentry/core/endpoints/organization_teams.py
        return await self._all(self._org("teams/"), wire.WireTeam, wire.to_team)

    async def list_projects(self) -> list[Project]:
        # src/sentry/core/endpoints/organization_projects.py (`id`, `slug`, `platform`)
        projects = await self._all(self._org("projects/"), wire.WireProjectRef, wire.to_project)
        self._projects = projects
        return projects

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 50
    ) -> list[Release]:
        """The org's releases, newest first (optionally of one project slug).

        Follows src/sentry/api/endpoints/organization_releases.py (GET: `project` ids,
        `query` on the version, `per_page`).
        """
        self.require(Feature.RELEASES)
        params: list[tuple[str, str]] = [("per_page", str(max(1, min(limit, MAX_LIMIT))))]
        if project:
            params += [("project", p) for p in await self.project_ids([project])]
        if query:
            params.append(("query", query))
        path = self._org("releases/")
        raw, _ = await self._json("GET", path, params=params)
        return self._items(raw, wire.WireReleaseItem, path, wire.to_release)

    async def list_issue_views(self) -> list[IssueView]:
        """The org's saved issue views.

        Follows src/sentry/issues/endpoints/organization_group_search_views.py (GET).
        """
        self.require(Feature.ISSUE_VIEWS)
        await self._ensure_projects()
        path = self._org("group-search-views/")
        out: list[IssueView] = []
        seen: set[str] = set()
        # createdBy=me (the default) and the views other members shared with the org.
        for who in ("me", "others"):
            raw, _ = await self._json("GET", path, params=[("createdBy", who)])
            for view in self._items(raw, wire.WireIssueView, path, self._to_view):
                if view.id not in seen:
                    seen.add(view.id)
                    out.append(view)
        return out

    def _to_view(self, w: wire.WireIssueView) -> IssueView:
        return wire.to_view(w, self._project_service, self._slug_of)

    async def token_scopes(self) -> list[str] | None:
        """The scopes of the token (src/sentry/api/endpoints/index.py: `auth.scopes`)."""
        try:
            raw, _ = await self._json("GET", "/api/0/")
        except NotFound:
            return None
        auth = raw.get("auth") if isinstance(raw, dict) else None
        scopes = auth.get("scopes") if isinstance(auth, dict) else None
        if isinstance(scopes, list):
            return [str(s) for s in scopes]
        return None
