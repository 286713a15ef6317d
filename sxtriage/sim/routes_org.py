"""Org-level routes of the Sentry API simulator: org, members, teams, projects,
releases, saved issue views, trace, event-id and short-id lookups (and the note body)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sxtriage.sim import drf, params, responses, responses_org, validator
from sxtriage.sim.dataset import SimState
from sxtriage.sim.listing import fail, find_issue, get_state, ok, paginate, refuse
from sxtriage.sim.responses_event import event_json

_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
INVALID_EVENT_ID = (
    "Event ID must be a valid UUID hex (32-36 characters long, containing only digits, "
    "dashes, or a-f characters)"
)


def is_event_id(value: str) -> bool:
    """`src/sentry/utils/validators.py` `is_event_id`: `uuid.UUID` parses it (32 hex
    digits once dashes are dropped)."""
    return bool(_HEX32.match(value.replace("-", "")))


async def get_org(request: web.Request) -> web.Response:
    state = get_state(request)
    created = datetime(2025, 1, 6, tzinfo=UTC).isoformat()
    return ok({"id": "1", "slug": state.org, "name": "SceneXtras", "dateCreated": created})


async def list_members(request: web.Request) -> web.Response:
    state = get_state(request)
    return paginate(request, sorted(state.members), lambda m: responses_org.member_json(state, m))


async def list_teams(request: web.Request) -> web.Response:
    state = get_state(request)
    return paginate(request, sorted(state.teams), lambda t: responses_org.team_json(state, t))


async def list_projects(request: web.Request) -> web.Response:
    state = get_state(request)
    projects = sorted(state.projects.values(), key=lambda p: p.id)
    return paginate(request, projects, lambda p: responses_org.project_json(state, p))


# --- releases ------------------------------------------------------------------------------

STATS_PERIODS = ("1h", "24h", "1d", "48h", "2d", "7d", "14d", "30d", "90d")
"""`src/sentry/snuba/sessions.py` `STATS_PERIODS`."""
_CRASH_SORTS = ("crash_free_sessions", "crash_free_users", "sessions", "users")
_CRASH_SORTS += ("sessions_24h", "users_24h")


def _period_detail(key: str) -> str:
    return f"Invalid {key}. Valid choices are " + ", ".join(f"'{p}'" for p in STATS_PERIODS)


async def list_releases(request: web.Request) -> web.Response:
    """`src/sentry/api/endpoints/organization_releases.py` `get`."""
    state = get_state(request)
    q = request.query
    query, sort = q.get("query"), q.get("sort") or "date"
    health = q.get("health") == "1"
    if (q.get("summaryStatsPeriod") or "14d") not in STATS_PERIODS:
        refuse(400, _period_detail("summaryStatsPeriod"))
    health_period = q.get("healthStatsPeriod") or ("24h" if health else "")
    if health_period and health_period not in STATS_PERIODS:
        refuse(400, _period_detail("healthStatsPeriod"))
    if (q.get("healthStat") or "sessions") not in ("sessions", "users"):
        refuse(400, "invalid healthStat")
    status = q.get("status")
    if status and status not in ("open", "archived"):
        refuse(400, "invalid value for status")
    window = params.date_range(request, optional=True, prefix="Invalid date range: ")
    projects = {p.slug for p in params.projects(request, state)}
    envs = params.environments(request)
    if sort in _CRASH_SORTS and q.get("flatten") != "1":
        refuse(400, "sorting by crash statistics requires flattening (flatten=1)")
    if sort != "date" and sort not in _CRASH_SORTS:
        refuse(400, "invalid sort")
    found = [
        r
        for r in state.releases
        if r.project in projects
        and (not query or query.lower() in r.version.lower())
        and status != "archived"
        and (envs is None or any(i.project.slug == r.project for i in state.issues.values()))
        and (window is None or window[0] <= (r.released or r.created) <= window[1])
    ]
    found.sort(key=lambda r: (r.released or r.created, r.id), reverse=True)
    return paginate(request, found, lambda r: responses_org.release_json(state, r))


# --- saved issue views ----------------------------------------------------------------------

VIEW_SORTS = ("popularity", "-popularity", "visited", "-visited", "name", "-name")
VIEW_SORTS += ("created", "-created")


def _view_key(sort: str) -> Any:
    field = sort.lstrip("-")
    return {
        "popularity": lambda v: int(v.starred),
        "visited": lambda v: v.last_visited or 0.0,
        "name": lambda v: v.name.lower(),
        "created": lambda v: v.created,
    }[field]


async def list_views(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/organization_group_search_views.py` `get` (the
    caller is member 1): `createdBy` me|others, `sort` (repeated), `query`; starred
    views first."""
    state = get_state(request)
    q = request.query
    errors: dict[str, Any] = {}
    created_by = q.get("createdBy", "me")
    try:
        drf.choice(created_by, ("me", "others"))
    except drf.FieldError as exc:
        errors["createdBy"] = exc.detail
    sorts = q.getall("sort", []) or ["-visited"]
    bad = {str(n): [f'"{s}" is not a valid choice.'] for n, s in enumerate(sorts)}
    bad = {n: m for n, m in bad.items() if sorts[int(n)] not in VIEW_SORTS}
    if bad:
        errors["sort"] = bad
    if errors:
        return fail(400, errors)
    needle = (q.get("query") or "").strip().lower()
    views = [
        v
        for v in state.views
        if (
            v.owner_id == 1
            if created_by == "me"
            else v.owner_id != 1 and v.visibility == "organization"
        )
        and (not needle or needle in v.name.lower() or needle in v.query.lower())
    ]
    for sort in reversed(sorts):
        views.sort(key=_view_key(sort), reverse=sort.startswith("-"))
    views.sort(key=lambda v: not v.starred)
    return paginate(request, views, lambda v: responses_org.view_json(state, v))


# --- lookups and traces ---------------------------------------------------------------------


async def event_id_lookup(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/organization_eventid.py` (Sentry rate-limits it 1/s)."""
    state = get_state(request)
    event_id = request.match_info["event"]
    if not is_event_id(event_id):
        return fail(400, INVALID_EVENT_ID)
    ev = state.events.get(event_id.lower().replace("-", ""))
    if ev is None or ev.issue_id not in state.issues:
        refuse(404, params.NOT_FOUND)
    issue = state.issues[ev.issue_id]
    return ok(
        {
            "organizationSlug": state.org,
            "projectSlug": issue.project.slug,
            "groupId": str(issue.id),
            "eventId": ev.event_id,
            "event": event_json(state, issue, ev),
        }
    )


async def short_id_lookup(request: web.Request) -> web.Response:
    """`src/sentry/issues/endpoints/organization_shortid.py`."""
    state = get_state(request)
    issue = find_issue(state, request.match_info["short_id"])
    return ok(
        {
            "organizationSlug": state.org,
            "projectSlug": issue.project.slug,
            "groupId": str(issue.id),
            "shortId": issue.short_id,
            "group": responses.issue_json(state, issue, "base"),
        }
    )


async def get_trace(request: web.Request) -> web.Response:
    """`src/sentry/api/endpoints/organization_trace.py` (`OrganizationTraceEndpoint`)."""
    state = get_state(request)
    error_id = request.query.get("errorId")
    if error_id is not None and not is_event_id(error_id):
        refuse(400, f"eventId: {error_id} needs to be a valid uuid")
    params.date_range(request, optional=True, prefix="Invalid date range: ")
    roots = responses_org.trace_json(state, request.match_info["trace"].lower().replace("-", ""))
    return paginate(request, roots, lambda r: r)


# --- notes ---------------------------------------------------------------------------------


def note_fields(state: SimState, body: Any) -> tuple[str, list[dict[str, Any]] | None]:
    """`NoteSerializer` (`src/sentry/api/serializers/rest_framework/group_notes.py`):
    `text` (required CharField), `mentions` (optional list of actors)."""
    if not isinstance(body, dict):
        kind = type(body).__name__
        raise validator.Invalid(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    errors: dict[str, Any] = {}
    text = ""
    if "text" not in body:
        errors["text"] = [drf.REQUIRED]
    else:
        try:
            text = drf.char(body["text"])
        except drf.FieldError as exc:
            errors["text"] = exc.detail
    mentions: list[dict[str, Any]] | None = None
    if "mentions" in body:
        raw = body["mentions"]
        if not isinstance(raw, list):
            name = {str: "str", dict: "dict", int: "int"}.get(type(raw), type(raw).__name__)
            errors["mentions"] = [f'Expected a list of items but got type "{name}".']
        else:
            mentions, bad = [], {}
            for n, item in enumerate(raw):
                try:
                    actor = validator.actor(state, item)
                except drf.FieldError as exc:
                    bad[str(n)] = exc.detail
                    continue
                if actor:
                    kind, _, ident = actor.partition(":")
                    mentions.append({"id": int(ident), "actor_type": kind.title(), "slug": None})
            if bad:
                errors["mentions"] = bad
    if errors:
        raise validator.Invalid(errors)
    return text, mentions


def add_routes(app: web.Application) -> None:
    org = "/api/0/organizations/{org}"
    hexid = "(?:\\d+|[A-Fa-f0-9-]{32,36})"
    app.router.add_get(org + "/", get_org)
    app.router.add_get(org + "/members/", list_members)
    app.router.add_get(org + "/teams/", list_teams)
    app.router.add_get(org + "/projects/", list_projects)
    app.router.add_get(org + "/releases/", list_releases)
    app.router.add_get(org + "/group-search-views/", list_views)
    app.router.add_get(org + "/eventids/{event:" + hexid + "}/", event_id_lookup)
    app.router.add_get(org + "/shortids/{short_id}/", short_id_lookup)
    app.router.add_get(org + "/trace/{trace:" + hexid + "}/", get_trace)
