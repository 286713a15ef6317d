"""Routes of the Sentry API simulator (aiohttp), under `/api/0/`: the issue endpoints.

Same paths, parameters, refusals (status + `detail`), `Link` cursors and answer fields as
Sentry's code for the endpoints sxtriage and sentry-cli use — see
`docs/sentry-endpoints.md`.  Org-level endpoints live in `routes_org.py`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sxtriage.sim import mutations, params, responses, routes_org, validator
from sxtriage.sim.dataset import SimIssue, SimProject, SimState
from sxtriage.sim.listing import (
    NOT_FOUND,
    STATE,
    direct_hit,
    dumps,
    fail,
    find_issue,
    get_state,
    json_body,
    matching,
    ok,
    paginate,
    refuse,
    short_id_hit,
)
from sxtriage.sim.responses_event import event_json, event_summary_json
from sxtriage.sim.search import has_event_conditions

__all__ = ["STATE", "add_routes", "dumps"]

DEFAULT_QUERY = "is:unresolved issue.priority:[high, medium]"
"""`src/sentry/api/helpers/group_index/index.py` `DEFAULT_QUERY`: used when the request
has no `query` parameter at all (`query=` means everything)."""
BULK_LIMIT = 1000
"""`src/sentry/api/helpers/group_index/__init__.py` `BULK_MUTATION_LIMIT`."""

# --- issue lists --------------------------------------------------------------------------


async def list_org_issues(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/organization_group_index.py` `get`."""
    state = get_state(request)
    q = request.query
    window = params.date_range(request)
    expand, collapse = set(q.getall("expand", [])), set(q.getall("collapse", []))
    period = params.group_stats_period(request)
    params.environments(request)
    projects = params.projects(request, state)
    query = q.get("query", "").strip()

    def serialize(i: SimIssue) -> dict[str, Any]:
        return responses.issue_json(
            state,
            i,
            "stream",
            stats_period=period,
            expand=expand,
            collapse=collapse,
            filtered=has_event_conditions(q.get("query", DEFAULT_QUERY)),
            window=window,
        )

    if query:
        hits = direct_hit(state, query, projects)
        if not hits and q.get("shortIdLookup") == "1":
            hit = short_id_hit(state, query)
            hits = [hit] if hit else []
        if hits:
            body = [serialize(i) for i in hits]
            return ok(body, headers={"X-Sentry-Direct-Hit": "1"})
    groups = q.getall("group", [])
    if groups:
        if not all(g.strip().lstrip("+-").isdigit() for g in groups):
            return fail(400, "Group ids must be integers")
        slugs = {p.slug for p in projects}
        wanted = [state.issues.get(int(g)) for g in groups]
        return ok([serialize(i) for i in wanted if i is not None and i.project.slug in slugs])
    limit = params.issue_limit(request)
    params.cursor_offset(request)
    issues = matching(request, state, projects=projects, default_query=DEFAULT_QUERY, window=window)
    return paginate(request, issues, serialize, limit, hits=True)


def _project(state: SimState, ident: str) -> SimProject:
    p = state.projects.get(ident) or (
        state.projects_by_id.get(int(ident)) if ident.isdigit() else None
    )
    if p is None:
        refuse(404, NOT_FOUND)
    return p


async def list_project_issues(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/project_group_index.py` `get`."""
    state = get_state(request)
    project = _project(state, request.match_info["project"])
    period = params.project_stats_period(request)
    query = request.query.get("query", "").strip()

    def serialize(i: SimIssue) -> dict[str, Any]:
        return responses.issue_json(state, i, "project", stats_period=period)

    if query:
        hits = [i for i in direct_hit(state, query, [project]) if i.project is project]
        if not hits and request.query.get("shortIdLookup") == "1":
            hit = short_id_hit(state, query)
            hits = [hit] if hit and hit.project is project else []
        if hits:
            return ok([serialize(i) for i in hits], headers={"X-Sentry-Direct-Hit": "1"})
    env = request.query.get("environment")
    if env is not None and env not in params.ENVIRONMENTS:
        return ok([])
    limit = params.issue_limit(request)
    params.cursor_offset(request)
    issues = matching(request, state, projects=[project], default_query=DEFAULT_QUERY, window=None)
    return paginate(request, issues, serialize, limit, hits=True)


# --- mutations ------------------------------------------------------------------------------


def _search_targets(request: web.Request, state: SimState, projects: list[SimProject]) -> list:
    try:
        found = matching(
            request, state, projects=projects, default_query=DEFAULT_QUERY, window=None
        )
    except web.HTTPBadRequest:
        refuse(400, "Invalid query. Error getting group ids and group list")
    return found[:BULK_LIMIT]


async def _update(
    request: web.Request, state: SimState, targets: list[SimIssue]
) -> web.Response | dict[str, Any]:
    """`update_groups`: 204 when nothing matched, else validate and apply."""
    if not targets:
        return web.Response(status=204)
    body = await json_body(request)
    projects = list({i.project.slug: i.project for i in targets}.values())
    try:
        validated = validator.validate(state, body, projects)
        result = mutations.update(state, targets, validated)
    except validator.Invalid as exc:
        return fail(400, exc.errors)
    except mutations.Refused as exc:
        return fail(exc.status, exc.body)
    return result or {}


async def bulk_org_issues(request: web.Request) -> web.Response:
    """`organization_group_index.py` `put` → `update.py` `update_groups_with_search_fn`:
    the `id`s (numbers), else — also when none of them exists — the issues matching
    `query` (default `DEFAULT_QUERY`), at most 1000."""
    state = get_state(request)
    projects = params.projects(request, state)
    params.environments(request)
    ids = request.query.getall("id", [])
    if not all(i.strip().lstrip("+-").isdigit() for i in ids):
        return fail(500, "Internal Error")  # `int(id)` raises in Sentry's endpoint
    slugs = {p.slug for p in projects}
    targets = [
        issue
        for raw in dict.fromkeys(int(i) for i in ids)
        if (issue := state.issues.get(raw)) is not None and issue.project.slug in slugs
    ]
    if not targets:
        targets = _search_targets(request, state, projects)
    result = await _update(request, state, targets)
    return result if isinstance(result, web.Response) else ok(result)


async def bulk_project_issues(request: web.Request) -> web.Response:
    """`project_group_index.py` `put`: ids or short ids, else the search (`DEFAULT_QUERY`)."""
    state = get_state(request)
    project = _project(state, request.match_info["project"])
    ids = request.query.getall("id", [])
    numeric = [int(i) for i in ids if i.isdigit()]
    if numeric:
        picked = [state.issues.get(i) for i in dict.fromkeys(numeric)]
        targets = [i for i in picked if i is not None and i.project is project]
    else:
        targets = []
        for raw in ids:
            hit = short_id_hit(state, raw)
            if hit is None:
                return fail(500, "Internal Error")  # `Group.DoesNotExist` escapes
            if hit.project is project:
                targets.append(hit)
    if not targets:
        targets = _search_targets(request, state, [project])
    result = await _update(request, state, targets)
    return result if isinstance(result, web.Response) else ok(result)


# --- one issue ------------------------------------------------------------------------------


def _issue(request: web.Request) -> tuple[SimState, SimIssue]:
    state = get_state(request)
    in_org = "org" in request.match_info
    return state, find_issue(state, request.match_info["issue"], in_org=in_org)


async def get_issue(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/group_details.py` `get`."""
    state, issue = _issue(request)
    params.environments(request)
    expand = set(request.query.getall("expand", []))
    return ok(responses.issue_json(state, issue, "detail", expand=expand))


async def put_issue(request: web.Request) -> web.Response:
    """`group_details.py` `put`: the bulk mutation for this one issue, then the issue."""
    state, issue = _issue(request)
    result = await _update(request, state, [issue])
    if isinstance(result, web.Response):
        return result
    fresh = state.issues.get(issue.id)
    if fresh is None:
        return web.Response(status=204)
    return ok(responses.issue_json(state, fresh, "base"))


async def delete_issue(request: web.Request) -> web.Response:
    state, issue = _issue(request)
    state.delete_issue(issue.id)
    return web.Response(status=202)


# --- events ----------------------------------------------------------------------------------


async def list_events(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/group_events.py`: newest first, `per_page` ≤ 100."""
    state, issue = _issue(request)
    wanted = set(request.query.getall("environment", []))
    if wanted and not wanted <= set(params.ENVIRONMENTS):
        return ok([])
    window = params.date_range(request, optional=True)
    start, end = window or (0.0, float("inf"))
    events = [
        e
        for e in reversed(issue.events)
        if start <= e.ts <= end and (not wanted or e.environment in wanted)
    ]
    full = request.query.get("full") in ("1", "true")

    def serialize(e: Any) -> dict[str, Any]:
        return event_json(state, issue, e) if full else event_summary_json(issue, e)

    return paginate(request, events, serialize)


_EVENT_MISSING = (
    "Event not found. The event ID may be incorrect, or its age exceeded the retention period."
)
_NO_MATCH = "No matching event found. Try changing the environments, date range, or query."


async def get_event(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/group_event_details.py`."""
    state, issue = _issue(request)
    envs = params.environments(request)
    params.date_range(request, optional=True, message="Invalid date range")
    which = request.match_info["event"]
    pool = [e for e in issue.events if envs is None or e.environment in envs]
    if which in ("latest", "recommended", "oldest"):
        if not pool:
            return fail(404, _NO_MATCH)
        ev = pool[0] if which == "oldest" else pool[-1]
        return ok(event_json(state, issue, ev))
    found = state.events.get(which.lower().replace("-", ""))
    if found is None or found.issue_id != issue.id:
        return fail(404, _EVENT_MISSING)
    return ok(event_json(state, issue, found))


# --- notes -------------------------------------------------------------------------------------


async def post_note(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/group_notes.py` + `NoteSerializer`."""
    from sxtriage.sim.responses_org import note_json

    state, issue = _issue(request)
    body = await json_body(request)
    try:
        text, mentions = routes_org.note_fields(state, body)
    except validator.Invalid as exc:
        return fail(400, exc.errors)
    data: dict[str, Any] = {"text": text}
    if mentions is not None:
        data["mentions"] = mentions
    if state.duplicate_note(issue, data):
        return fail(400, "You have already posted that comment.")
    note = state.add_note(issue, text)
    note["data"] = data
    return ok(note_json(state, note), status=201)


async def list_notes(request: web.Request) -> web.Response:
    from sxtriage.sim.responses_org import note_json

    state, issue = _issue(request)
    notes = list(reversed(state.notes.get(issue.id, [])))
    return paginate(request, notes, lambda n: note_json(state, n))


def add_routes(app: web.Application) -> None:
    org = "/api/0/organizations/{org}"
    proj = "/api/0/projects/{org}/{project}/issues/"
    event = "{event:(?:latest|oldest|recommended|\\d+|[A-Fa-f0-9-]{32,36})}"
    app.router.add_get(org + "/issues/", list_org_issues)
    app.router.add_put(org + "/issues/", bulk_org_issues)
    for base in (org + "/{kind:issues|groups}/{issue}", "/api/0/{kind:issues|groups}/{issue}"):
        app.router.add_get(base + "/", get_issue)
        app.router.add_put(base + "/", put_issue)
        app.router.add_delete(base + "/", delete_issue)
        for leaf in ("/comments/", "/notes/"):
            app.router.add_post(base + leaf, post_note)
            app.router.add_get(base + leaf, list_notes)
        app.router.add_get(base + "/events/", list_events)
        app.router.add_get(base + "/events/" + event + "/", get_event)
    app.router.add_get(proj, list_project_issues)
    app.router.add_put(proj, bulk_project_issues)
    routes_org.add_routes(app)
