"""Request plumbing shared by the simulator's routes: JSON answers, Sentry's pagination
(`Link` cursors), issue lookup and the issue-list search (query, projects, environments,
date range, sort) with Sentry's refusals."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web

from sxtriage.sim import params
from sxtriage.sim.dataset import SimIssue, SimProject, SimState
from sxtriage.sim.params import NOT_FOUND, refuse
from sxtriage.sim.search import SearchError, compile_query

STATE: web.AppKey[SimState] = web.AppKey("state", SimState)

__all__ = ["NOT_FOUND", "STATE", "dumps", "fail", "ok", "paginate", "refuse"]


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def fail(status: int, detail: Any) -> web.Response:
    body = detail if isinstance(detail, dict) else {"detail": detail}
    return web.json_response(body, status=status, dumps=dumps)


def get_state(request: web.Request) -> SimState:
    state = request.app[STATE]
    org = request.match_info.get("org")
    if org is not None and org != state.org and org != "1":
        refuse(404, NOT_FOUND)
    return state


def paginate(
    request: web.Request,
    items: Sequence[Any],
    serialize: Callable[[Any], Any],
    per_page: int | None = None,
    *,
    hits: bool = False,
) -> web.Response:
    """`src/sentry/api/base.py` `paginate` + `add_cursor_headers`: `per_page` (or the
    given page size), `cursor` = `value:offset:is_prev`, `Link` previous/next."""
    size = params.per_page(request) if per_page is None else per_page
    offset, _ = params.cursor_offset(request)
    page = items[offset : offset + size]
    has_next = offset + size < len(items)

    def link(off: int, rel: str, results: bool) -> str:
        cur = f"0:{off}:{1 if rel == 'previous' else 0}"
        url = request.url.update_query({"cursor": cur})
        return f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cur}"'

    headers = {
        "Link": ", ".join(
            (
                link(max(0, offset - size), "previous", offset > 0),
                link(offset + size, "next", has_next),
            )
        )
    }
    if hits:
        headers["X-Hits"] = str(len(items))
        headers["X-Max-Hits"] = "1000"
    return ok([serialize(x) for x in page], headers=headers)


# --- the issue search ------------------------------------------------------------------


def _trend(i: SimIssue) -> tuple[float, int]:
    return (math.log(max(i.count, 1)) * 600 + i.last_seen, i.id)


_SORTS: dict[str, Callable[[SimIssue], Any]] = {
    "date": lambda i: (i.last_seen, i.id),
    "new": lambda i: (i.first_seen, i.id),
    "freq": lambda i: (i.count, i.id),
    "user": lambda i: (i.user_count, i.id),
    "trends": _trend,
    "recommended": _trend,
    "recommended_v2": _trend,
    "progress": lambda i: (i.last_seen, i.id),
    "inbox": lambda i: (i.inbox[1] if i.inbox else 0.0, i.id),
}


def search_error(exc: SearchError) -> str:
    """`src/sentry/api/helpers/group_index/index.py` `parse_and_convert_issue_search_query`."""
    return f"Error parsing search query: {exc}"


def matching(
    request: web.Request,
    state: SimState,
    *,
    projects: list[SimProject],
    default_query: str,
    window: tuple[float, float] | None,
    sort: str | None = None,
) -> list[SimIssue]:
    """The issues the list would page through (errors raise Sentry's 400s)."""
    q = request.query
    query = q.get("query", default_query).strip()
    now = time.time()
    # Continuation pages reuse the first page's result (like a cursor over a snapshot)
    # while nothing changed, so paging through 10k issues is not 100 full scans.
    key = (
        state.version,
        tuple(p.slug for p in projects),
        query,
        tuple(q.getall("environment", [])),
        window and (round(window[0] / 60), round(window[1] / 60)),
        sort or q.get("sort", "date"),
    )
    cached = state.list_cache.get(key)
    if cached is not None and q.get("cursor") and now - cached[0] < 30.0:
        return cached[1]
    result = _scan(request, state, projects=projects, query=query, now=now, window=window)
    sort = sort or params.issue_sort(request)
    if sort == "inbox" and "is:for_review" not in query.split():
        refuse(400, "Sort key 'inbox' only supported for inbox search")
    result.sort(key=_SORTS[sort], reverse=True)
    if len(state.list_cache) > 32:
        state.list_cache.clear()
    state.list_cache[key] = (now, result)
    return result


def _scan(
    request: web.Request,
    state: SimState,
    *,
    projects: list[SimProject],
    query: str,
    now: float,
    window: tuple[float, float] | None,
) -> list[SimIssue]:
    try:
        pred = compile_query(state, query, now=now)
    except SearchError as exc:
        refuse(400, search_error(exc))
    slugs = {p.slug for p in projects}
    envs = params.environments(request)
    start, end = window or (0.0, math.inf)
    return [
        i
        for i in state.issues.values()
        if i.project.slug in slugs
        and (envs is None or i.environment in envs)
        and i.last_seen >= start
        and i.first_seen <= end
        and pred(i)
    ]


def direct_hit(state: SimState, query: str, projects: list[SimProject]) -> list[SimIssue]:
    """A query that is an event id answers the issue holding it
    (`organization_group_index.py`, `normalize_event_id`)."""
    text = query.strip().lower().replace("-", "")
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        return []
    ev = state.events.get(text)
    issue = state.issues.get(ev.issue_id) if ev else None
    return [issue] if issue is not None else []


def short_id_hit(state: SimState, query: str) -> SimIssue | None:
    """`get_by_short_id` with `shortIdLookup=1` (any project of the org)."""
    text = query.strip().lower()
    return next((i for i in state.issues.values() if i.short_id.lower() == text), None)


def find_issue(state: SimState, issue_id: str, *, in_org: bool = True) -> SimIssue:
    """`src/sentry/issues/endpoints/bases/group.py` + `get_group_with_redirect`: numeric
    ids everywhere; a short id only under `/organizations/{org}/issues/`."""
    if issue_id.isdigit():
        issue = state.issues.get(int(issue_id))
    elif in_org:
        issue = short_id_hit(state, issue_id)
    else:
        issue = None
    if issue is None:
        refuse(404, NOT_FOUND)
    return issue


async def json_body(request: web.Request) -> Any:
    """DRF's `JSONParser`: an empty body is `{}`; bad JSON → 400 "JSON parse error - …"."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        refuse(400, f"JSON parse error - {exc}")
    except ValueError as exc:
        refuse(400, f"JSON parse error - {exc}")
