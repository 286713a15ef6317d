"""Request plumbing shared by the simulator's routes: JSON answers and Sentry's error
shapes, `Link` cursor pagination, and the issue-list query semantics (search, project,
environment, statsPeriod, sort)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from sxtriage.sim.dataset import SimIssue, SimProject, SimState
from sxtriage.sim.search import SearchError, compile_query

STATE: web.AppKey[SimState] = web.AppKey("state", SimState)
_PERIOD = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def fail(status: int, detail: Any) -> web.Response:
    body = detail if isinstance(detail, dict) else {"detail": detail}
    return web.json_response(body, status=status, dumps=dumps)


NOT_FOUND = "The requested resource does not exist"


def get_state(request: web.Request) -> SimState:
    state = request.app[STATE]
    org = request.match_info.get("org")
    if org is not None and org != state.org and org != "1":
        raise web.HTTPNotFound(text=dumps({"detail": NOT_FOUND}), content_type="application/json")
    return state


def int_param(request: web.Request, name: str, default: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise web.HTTPBadRequest(
            text=dumps({"detail": f"{name} must be a positive integer"}),
            content_type="application/json",
        )
    return max(1, min(int(raw), hi))


def paginate(
    request: web.Request, items: Sequence[Any], serialize: Callable[[Any], Any], per_page: int
) -> web.Response:
    cursor = request.query.get("cursor") or "0:0:0"
    try:
        offset = int(cursor.split(":")[1])
    except (IndexError, ValueError):
        return fail(400, f"Invalid cursor parameter: {cursor!r}")
    page = items[offset : offset + per_page]
    has_next = offset + per_page < len(items)

    def link(off: int, rel: str, results: bool) -> str:
        cur = f"0:{off}:{1 if rel == 'previous' else 0}"
        url = request.url.update_query({"cursor": cur})
        return f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cur}"'

    header = ", ".join(
        (
            link(max(0, offset - per_page), "previous", offset > 0),
            link(offset + per_page, "next", has_next),
        )
    )
    return ok([serialize(x) for x in page], headers={"Link": header})


def _projects(state: SimState, values: list[str]) -> set[str] | None:
    wanted = [v for v in values if v and v != "-1"]
    if not wanted:
        return None
    out: set[str] = set()
    for v in wanted:
        p = state.projects.get(v) or (state.projects_by_id.get(int(v)) if v.isdigit() else None)
        if p is None:
            raise web.HTTPBadRequest(
                text=dumps({"detail": f"Invalid project: {v!r} is not a project of {state.org}"}),
                content_type="application/json",
            )
        out.add(p.slug)
    return out


_SORTS: dict[str, Callable[[SimIssue], Any]] = {
    "date": lambda i: (i.last_seen, i.id),
    "new": lambda i: (i.first_seen, i.id),
    "freq": lambda i: (i.count, i.id),
    "user": lambda i: (i.user_count, i.id),
}


def matching(
    request: web.Request, state: SimState, *, project: SimProject | None, default_query: str
) -> list[SimIssue]:
    q = request.query
    query = q.get("query", default_query)
    now = time.time()
    # Continuation pages reuse the first page's result (like a cursor over a snapshot)
    # while nothing changed, so paging through 10k issues is not 100 full scans.
    key = (
        state.version,
        project.slug if project else None,
        query,
        tuple(q.getall("project", [])),
        tuple(q.getall("environment", [])),
        q.get("statsPeriod"),
        q.get("sort", "date"),
    )
    cached = state.list_cache.get(key)
    if cached is not None and q.get("cursor") and now - cached[0] < 30.0:
        return cached[1]
    result = _scan(request, state, project=project, query=query, now=now)
    if len(state.list_cache) > 32:
        state.list_cache.clear()
    state.list_cache[key] = (now, result)
    return result


def _scan(
    request: web.Request, state: SimState, *, project: SimProject | None, query: str, now: float
) -> list[SimIssue]:
    q = request.query
    try:
        pred = compile_query(state, query, now=now)
    except SearchError as exc:
        raise web.HTTPBadRequest(
            text=dumps({"detail": f"Invalid search query: {exc}"}), content_type="application/json"
        ) from None
    slugs = {project.slug} if project else _projects(state, q.getall("project", []))
    envs = set(q.getall("environment", [])) or None
    since = None
    if period := q.get("statsPeriod"):
        m = _PERIOD.match(period)
        if m:
            since = now - int(m.group(1)) * _UNITS[m.group(2)]
    if q.get("shortIdLookup") == "1" and query.strip():
        hit = [i for i in state.issues.values() if i.short_id.lower() == query.strip().lower()]
        if hit:
            return hit
    out = [
        i
        for i in state.issues.values()
        if (slugs is None or i.project.slug in slugs)
        and (envs is None or i.environment in envs)
        and (since is None or i.last_seen >= since)
        and pred(i)
    ]
    out.sort(key=_SORTS.get(q.get("sort", "date"), _SORTS["date"]), reverse=True)
    return out


def find_issue(state: SimState, issue_id: str) -> SimIssue:
    issue = state.issues.get(int(issue_id)) if issue_id.isdigit() else None
    if issue is None:
        for candidate in state.issues.values():
            if candidate.short_id.lower() == issue_id.lower():
                return candidate
        raise web.HTTPNotFound(text=dumps({"detail": NOT_FOUND}), content_type="application/json")
    return issue


async def json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text=dumps({"detail": "Malformed request: the body is not JSON"}),
            content_type="application/json",
        ) from None
