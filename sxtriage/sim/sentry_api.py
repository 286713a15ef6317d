"""Routes of the Sentry API simulator (aiohttp), under `/api/0/`.

Same paths, query semantics, `Link` cursors and error shapes as Sentry's web API for the
endpoints sxtriage and sentry-cli use.  Handlers read and change `app["state"]`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp import web

from sxtriage.sim import mutations, responses, responses_org
from sxtriage.sim.dataset import SimProject, SimState
from sxtriage.sim.listing import (
    NOT_FOUND,
    STATE,
    dumps,
    fail,
    find_issue,
    get_state,
    int_param,
    json_body,
    matching,
    ok,
    paginate,
)

__all__ = ["STATE", "add_routes", "dumps"]

_HEX = re.compile(r"^[0-9a-fA-F]{32}$")

# --- issues ---------------------------------------------------------------------------------


async def list_org_issues(request: web.Request) -> web.Response:
    state = get_state(request)
    issues = matching(request, state, project=None, default_query="is:unresolved")
    return paginate(
        request,
        issues,
        lambda i: responses.issue_json(state, i),
        int_param(request, "limit", 100, 100),
    )


async def list_project_issues(request: web.Request) -> web.Response:
    state = get_state(request)
    project = _project(state, request.match_info["project"])
    issues = matching(request, state, project=project, default_query="is:unresolved")
    return paginate(
        request,
        issues,
        lambda i: responses.issue_json(state, i, "project"),
        int_param(request, "limit", 100, 100),
    )


def _project(state: SimState, ident: str) -> SimProject:
    p = state.projects.get(ident) or (
        state.projects_by_id.get(int(ident)) if ident.isdigit() else None
    )
    if p is None:
        raise web.HTTPNotFound(text=dumps({"detail": NOT_FOUND}), content_type="application/json")
    return p


async def _bulk(request: web.Request, project: SimProject | None) -> web.Response:
    state = get_state(request)
    body = await json_body(request)
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
    state = get_state(request)
    return await _bulk(request, _project(state, request.match_info["project"]))


async def get_issue(request: web.Request) -> web.Response:
    state = get_state(request)
    return ok(responses.issue_json(state, find_issue(state, request.match_info["issue"]), "detail"))


async def put_issue(request: web.Request) -> web.Response:
    state = get_state(request)
    issue = find_issue(state, request.match_info["issue"])
    try:
        changes = mutations.validate(state, await json_body(request))
    except mutations.MutationError as exc:
        return fail(400, {exc.field: [str(exc)]})
    mutations.apply(issue, changes)
    state.version += 1
    return ok(responses.issue_json(state, issue, "detail"))


async def delete_issue(request: web.Request) -> web.Response:
    state = get_state(request)
    issue = find_issue(state, request.match_info["issue"])
    state.delete_issue(issue.id)
    return web.Response(status=202)


async def post_note(request: web.Request) -> web.Response:
    state = get_state(request)
    issue = find_issue(state, request.match_info["issue"])
    body = await json_body(request)
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
    state = get_state(request)
    issue = find_issue(state, request.match_info["issue"])
    notes = state.notes.get(issue.id, [])
    return ok([{"id": n["id"], "type": "note", "data": n["data"]} for n in notes])


# --- events, traces -------------------------------------------------------------------------


async def list_events(request: web.Request) -> web.Response:
    state = get_state(request)
    issue = find_issue(state, request.match_info["issue"])
    events = list(reversed(issue.events))
    full = request.query.get("full") in ("1", "true")
    if full:
        return paginate(
            request,
            events,
            lambda e: responses.event_json(state, issue, e),
            int_param(request, "per_page", 50, 100),
        )
    return paginate(
        request,
        events,
        lambda e: responses.event_summary_json(issue, e),
        int_param(request, "per_page", 50, 100),
    )


async def get_event(request: web.Request) -> web.Response:
    state = get_state(request)
    issue = find_issue(state, request.match_info["issue"])
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
    state = get_state(request)
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
    state = get_state(request)
    issue = find_issue(state, request.match_info["short_id"])
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
    state = get_state(request)
    return ok(responses_org.trace_json(state, request.match_info["trace"].lower()))


# --- org ------------------------------------------------------------------------------------


async def get_org(request: web.Request) -> web.Response:
    state = get_state(request)
    created = datetime(2025, 1, 6, tzinfo=UTC).isoformat()
    return ok({"id": "1", "slug": state.org, "name": "SceneXtras", "dateCreated": created})


async def list_members(request: web.Request) -> web.Response:
    state = get_state(request)
    ids = sorted(state.members)
    return paginate(request, ids, lambda m: responses_org.member_json(state, m), 100)


async def list_teams(request: web.Request) -> web.Response:
    state = get_state(request)
    ids = sorted(state.teams)
    return paginate(
        request,
        ids,
        lambda t: responses_org.team_json(state, t),
        int_param(request, "per_page", 100, 100),
    )


async def list_projects(request: web.Request) -> web.Response:
    state = get_state(request)
    projects = sorted(state.projects.values(), key=lambda p: p.id)
    return paginate(request, projects, lambda p: responses_org.project_json(state, p), 100)


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
