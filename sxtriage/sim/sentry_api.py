"""Routes of the Sentry API simulator (aiohttp), under `/api/0/`.

Same paths, query semantics, `Link` cursors and error shapes as Sentry's web API for the
endpoints sxtriage and sentry-cli use.  Handlers read and change `app["state"]`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sxtriage.sim import mutations, responses
from sxtriage.sim.dataset import SimIssue, SimProject, SimState
from sxtriage.sim.search import SearchError, compile_query

STATE: web.AppKey[SimState] = web.AppKey("state", SimState)
_PERIOD = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_HEX = re.compile(r"^[0-9a-fA-F]{32}$")


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def fail(status: int, detail: Any) -> web.Response:
    body = detail if isinstance(detail, dict) else {"detail": detail}
    return web.json_response(body, status=status, dumps=dumps)


NOT_FOUND = "The requested resource does not exist"


def _state(request: web.Request) -> SimState:
    state = request.app[STATE]
    org = request.match_info.get("org")
    if org is not None and org != state.org and org != "1":
        raise web.HTTPNotFound(text=dumps({"detail": NOT_FOUND}), content_type="application/json")
    return state


def _int(request: web.Request, name: str, default: int, hi: int) -> int:
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


def _issue(state: SimState, issue_id: str) -> SimIssue:
    issue = state.issues.get(int(issue_id)) if issue_id.isdigit() else None
    if issue is None:
        for candidate in state.issues.values():
            if candidate.short_id.lower() == issue_id.lower():
                return candidate
        raise web.HTTPNotFound(text=dumps({"detail": NOT_FOUND}), content_type="application/json")
    return issue


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(
            text=dumps({"detail": "Malformed request: the body is not JSON"}),
            content_type="application/json",
        ) from None


# --- issues ---------------------------------------------------------------------------------


async def list_org_issues(request: web.Request) -> web.Response:
    state = _state(request)
    issues = matching(request, state, project=None, default_query="is:unresolved")
    return paginate(
        request, issues, lambda i: responses.issue_json(state, i), _int(request, "limit", 100, 100)
    )


async def list_project_issues(request: web.Request) -> web.Response:
    state = _state(request)
    project = _project(state, request.match_info["project"])
    issues = matching(request, state, project=project, default_query="is:unresolved")
    return paginate(
        request,
        issues,
        lambda i: responses.issue_json(state, i, "project"),
        _int(request, "limit", 100, 100),
    )


def _project(state: SimState, ident: str) -> SimProject:
    p = state.projects.get(ident) or (
        state.projects_by_id.get(int(ident)) if ident.isdigit() else None
    )
    if p is None:
        raise web.HTTPNotFound(text=dumps({"detail": NOT_FOUND}), content_type="application/json")
    return p


async def _bulk(request: web.Request, project: SimProject | None) -> web.Response:
    state = _state(request)
    body = await _body(request)
    try:
        changes = mutations.validate(state, body)
    except mutations.MutationError as exc:
        return fail(400, {exc.field: [str(exc)]})
    ids = request.query.getall("id", [])
    if ids:
        targets = []
        for raw in ids:
            issue = state.issues.get(int(raw)) if raw.isdigit() else None
            if issue is not None and (project is None or issue.project is project):
                targets.append(issue)
    else:
        default = "" if project is not None else "is:unresolved"
        targets = matching(request, state, project=project, default_query=default)[:1000]
    if not targets:
        return web.Response(status=204)
    for issue in targets:
        mutations.apply(issue, changes)
    state.version += 1
    if project is not None:
        issue = targets[0]
        return ok(
            {
                "isPublic": False,
                "status": issue.status,
                "statusDetails": responses._status_details(issue),
            }
        )
    return ok(mutations.echo(state, changes))


async def bulk_org_issues(request: web.Request) -> web.Response:
    return await _bulk(request, None)


async def bulk_project_issues(request: web.Request) -> web.Response:
    state = _state(request)
    return await _bulk(request, _project(state, request.match_info["project"]))


async def get_issue(request: web.Request) -> web.Response:
    state = _state(request)
    return ok(responses.issue_json(state, _issue(state, request.match_info["issue"]), "detail"))


async def put_issue(request: web.Request) -> web.Response:
    state = _state(request)
    issue = _issue(state, request.match_info["issue"])
    try:
        changes = mutations.validate(state, await _body(request))
    except mutations.MutationError as exc:
        return fail(400, {exc.field: [str(exc)]})
    mutations.apply(issue, changes)
    state.version += 1
    return ok(responses.issue_json(state, issue, "detail"))


async def delete_issue(request: web.Request) -> web.Response:
    state = _state(request)
    issue = _issue(state, request.match_info["issue"])
    state.delete_issue(issue.id)
    return web.Response(status=202)


async def post_note(request: web.Request) -> web.Response:
    state = _state(request)
    issue = _issue(state, request.match_info["issue"])
    body = await _body(request)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return fail(400, {"text": ["This field may not be blank."]})
    note = state.add_note(issue, text)
    user = state.members[note["user_id"]]
    return ok(
        {
            "id": note["id"],
            "type": "note",
            "data": note["data"],
            "dateCreated": responses.iso(note["ts"]),
            "user": {"id": str(user.id), "name": user.name, "email": user.email},
        },
        status=201,
    )


async def list_notes(request: web.Request) -> web.Response:
    state = _state(request)
    issue = _issue(state, request.match_info["issue"])
    notes = state.notes.get(issue.id, [])
    return ok([{"id": n["id"], "type": "note", "data": n["data"]} for n in notes])


# --- events, traces -------------------------------------------------------------------------


async def list_events(request: web.Request) -> web.Response:
    state = _state(request)
    issue = _issue(state, request.match_info["issue"])
    events = list(reversed(issue.events))
    full = request.query.get("full") in ("1", "true")
    if full:
        return paginate(
            request,
            events,
            lambda e: responses.event_json(state, issue, e),
            _int(request, "per_page", 50, 100),
        )
    return paginate(
        request,
        events,
        lambda e: responses.event_summary_json(issue, e),
        _int(request, "per_page", 50, 100),
    )


async def get_event(request: web.Request) -> web.Response:
    state = _state(request)
    issue = _issue(state, request.match_info["issue"])
    which = request.match_info["event"]
    if not issue.events:
        return fail(404, "No events for this issue")
    if which in ("latest", "recommended"):
        ev = issue.events[-1]
    elif which == "oldest":
        ev = issue.events[0]
    else:
        found = state.events.get(which.lower())
        if found is None or found.issue_id != issue.id:
            return fail(404, "Event not found")
        ev = found
    return ok(responses.event_json(state, issue, ev))


async def event_id_lookup(request: web.Request) -> web.Response:
    state = _state(request)
    event_id = request.match_info["event"].lower()
    if not _HEX.match(event_id):
        return fail(400, "event_id must be 32 hex characters")
    ev = state.events.get(event_id)
    if ev is None or ev.issue_id not in state.issues:
        return fail(404, "An event with this ID could not be found.")
    issue = state.issues[ev.issue_id]
    return ok(
        {
            "organizationSlug": state.org,
            "projectSlug": issue.project.slug,
            "groupId": str(issue.id),
            "eventId": ev.event_id,
            "event": responses.event_json(state, issue, ev),
        }
    )


async def short_id_lookup(request: web.Request) -> web.Response:
    state = _state(request)
    issue = _issue(state, request.match_info["short_id"])
    return ok(
        {
            "organizationSlug": state.org,
            "projectSlug": issue.project.slug,
            "groupId": str(issue.id),
            "shortId": issue.short_id,
            "group": responses.issue_json(state, issue, "detail"),
        }
    )


async def get_trace(request: web.Request) -> web.Response:
    state = _state(request)
    return ok(responses.trace_json(state, request.match_info["trace"].lower()))


# --- org ------------------------------------------------------------------------------------


async def get_org(request: web.Request) -> web.Response:
    state = _state(request)
    created = datetime(2025, 1, 6, tzinfo=UTC).isoformat()
    return ok({"id": "1", "slug": state.org, "name": "SceneXtras", "dateCreated": created})


async def list_members(request: web.Request) -> web.Response:
    state = _state(request)
    ids = sorted(state.members)
    return paginate(request, ids, lambda m: responses.member_json(state, m), 100)


async def list_teams(request: web.Request) -> web.Response:
    state = _state(request)
    ids = sorted(state.teams)
    return paginate(
        request, ids, lambda t: responses.team_json(state, t), _int(request, "per_page", 100, 100)
    )


async def list_projects(request: web.Request) -> web.Response:
    state = _state(request)
    projects = sorted(state.projects.values(), key=lambda p: p.id)
    return paginate(request, projects, lambda p: responses.project_json(state, p), 100)


def add_routes(app: web.Application) -> None:
    org = "/api/0/organizations/{org}"
    one = org + "/issues/{issue}"
    proj = "/api/0/projects/{org}/{project}/issues/"
    app.router.add_get(org + "/", get_org)
    app.router.add_get(org + "/issues/", list_org_issues)
    app.router.add_put(org + "/issues/", bulk_org_issues)
    for base in (one, "/api/0/issues/{issue}"):
        app.router.add_get(base + "/", get_issue)
        app.router.add_put(base + "/", put_issue)
        app.router.add_delete(base + "/", delete_issue)
        for leaf in ("/comments/", "/notes/"):
            app.router.add_post(base + leaf, post_note)
            app.router.add_get(base + leaf, list_notes)
    app.router.add_get(one + "/events/", list_events)
    app.router.add_get(one + "/events/{event}/", get_event)
    app.router.add_get(org + "/eventids/{event}/", event_id_lookup)
    app.router.add_get(org + "/shortids/{short_id}/", short_id_lookup)
    app.router.add_get(org + "/trace/{trace}/", get_trace)
    app.router.add_get(org + "/members/", list_members)
    app.router.add_get(org + "/teams/", list_teams)
    app.router.add_get(org + "/projects/", list_projects)
    app.router.add_get(proj, list_project_issues)
    app.router.add_put(proj, bulk_project_issues)
