"""The simulator's org-level answers (members, teams, projects) and traces, shaped like
Sentry's and valid against its OpenAPI schema."""

from __future__ import annotations

from typing import Any

from sxtriage.sim.dataset import SimEvent, SimProject, SimState
from sxtriage.sim.org_data import SimRelease, SimView
from sxtriage.sim.timefmt import JOINED, iso


def member_json(state: SimState, member_id: int) -> dict[str, Any]:
    m = state.members[member_id]
    user = {
        "id": str(m.id),
        "name": m.name,
        "username": m.username,
        "email": m.email,
        "avatarUrl": "",
        "isActive": True,
        "isSuspended": False,
        "hasPasswordAuth": True,
        "isManaged": False,
        "dateJoined": JOINED,
        "lastLogin": None,
        "has2fa": True,
        "lastActive": None,
        "isSuperuser": False,
        "isStaff": False,
        "experiments": {},
        "emails": [{"id": str(m.id), "email": m.email, "is_verified": True}],
    }
    flags = dict.fromkeys(
        (
            "idp:provisioned",
            "idp:role-restricted",
            "sso:linked",
            "sso:invalid",
            "member-limit:restricted",
            "partnership:restricted",
        ),
        False,
    )
    return {
        "id": str(m.id),
        "email": m.email,
        "name": m.name,
        "user": user,
        "orgRole": m.role,
        "pending": False,
        "expired": False,
        "flags": flags,
        "dateCreated": JOINED,
        "inviteStatus": "approved",
        "inviterName": None,
    }


def team_json(state: SimState, team_id: int) -> dict[str, Any]:
    t = state.teams[team_id]
    members = sum(1 for m in state.members.values() if t.slug in m.teams)
    return {
        "id": str(t.id),
        "slug": t.slug,
        "name": t.name,
        "dateCreated": JOINED,
        "isMember": t.slug in state.members[1].teams,
        "teamRole": None,
        "flags": {"idp:provisioned": False},
        "access": ["event:read", "event:write", "project:read"],
        "hasAccess": True,
        "isPending": False,
        "memberCount": members,
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
    }


_PROJECT_FLAGS = [
    "hasFeedbacks",
    "hasFlags",
    "hasInsightsAgentMonitoring",
    "hasInsightsAppStart",
    "hasInsightsAssets",
    "hasInsightsCaches",
    "hasInsightsDb",
    "hasInsightsHttp",
    "hasInsightsMCP",
    "hasInsightsQueues",
    "hasInsightsScreenLoad",
    "hasInsightsVitals",
    "hasLogs",
    "hasMinifiedStackTrace",
    "hasMonitors",
    "hasNewFeedbacks",
    "hasProfiles",
    "hasReplays",
    "hasSessions",
    "hasTraceMetrics",
    "hasUserReports",
]


def project_json(state: SimState, p: SimProject) -> dict[str, Any]:
    team = state.team_by_slug(p.team)
    team_ref = {"id": str(team.id), "name": team.name, "slug": team.slug} if team else None
    return {
        "id": str(p.id),
        "slug": p.slug,
        "name": p.slug,
        "platform": p.platform,
        "dateCreated": JOINED,
        "isBookmarked": False,
        "isMember": True,
        "features": ["issue-stream"],
        "firstEvent": JOINED,
        "firstTransactionEvent": True,
        "access": ["event:read", "event:write"],
        "hasAccess": True,
        **dict.fromkeys(_PROJECT_FLAGS, False),
        "team": team_ref,
        "teams": [team_ref] if team_ref else [],
        "platforms": [p.platform],
        "environments": ["production", "staging"],
        "latestRelease": {"version": p.release},
    }


def release_json(state: SimState, r: SimRelease) -> dict[str, Any]:
    """`src/sentry/api/serializers/models/release.py` `ReleaseSerializer`."""
    p = state.projects[r.project]
    package, _, rest = r.version.partition("@")
    raw, _, build = rest.partition("+")
    issues = [i for i in state.issues.values() if i.project.slug == r.project]
    new = sum(1 for i in issues if i.first_release == r.version)
    seen = [e.ts for i in issues for e in i.events if e.release == r.version]
    return {
        "id": r.id,
        "version": r.version,
        "shortVersion": rest or r.version,
        "versionInfo": {
            "package": package if rest else None,
            "version": {"raw": raw or r.version},
            "description": rest or r.version,
            "buildHash": None,
        },
        "ref": None,
        "url": None,
        "dateReleased": iso(r.released) if r.released else None,
        "dateCreated": iso(r.created),
        "data": {},
        "newGroups": new,
        "owner": None,
        "commitCount": 0,
        "lastCommit": None,
        "deployCount": 0,
        "lastDeploy": None,
        "authors": [],
        "projects": [
            {
                "id": p.id,
                "slug": p.slug,
                "name": p.slug,
                "newGroups": new,
                "platform": p.platform,
                "platforms": [p.platform],
                "hasHealthData": False,
            }
        ],
        "firstEvent": iso(min(seen)) if seen else None,
        "lastEvent": iso(max(seen)) if seen else None,
        "currentProjectMeta": {},
        "userAgent": None,
        "status": "open",
        "build": build or None,
    }


def note_json(state: SimState, note: dict[str, Any]) -> dict[str, Any]:
    """An activity of type note (`src/sentry/api/serializers/models/activity.py`)."""
    return {
        "id": note["id"],
        "user": member_json(state, note["user_id"])["user"],
        "sentry_app": None,
        "type": "note",
        "data": note["data"],
        "dateCreated": iso(note["ts"]),
    }


def view_json(state: SimState, v: SimView) -> dict[str, Any]:
    """`src/sentry/api/serializers/models/groupsearchview.py` `GroupSearchViewSerializer`."""
    return {
        "id": str(v.id),
        "name": v.name,
        "query": v.query,
        "querySort": v.query_sort,
        "projects": [] if v.all_projects else list(v.projects),
        "isAllProjects": v.all_projects,
        "environments": list(v.environments),
        "timeFilters": {"period": v.period, "start": None, "end": None, "utc": None},
        "visibility": v.visibility,
        "starred": v.starred,
        "stars": 1 if v.starred else 0,
        "createdBy": member_json(state, v.owner_id)["user"],
        "lastVisited": iso(v.last_visited) if v.last_visited else None,
        "dateCreated": iso(v.created),
        "dateUpdated": iso(v.created),
    }


# --- traces --------------------------------------------------------------------------------

_TX = {
    "web": ("pageload", "/chat/scene/:id"),
    "mobile": ("ui.load", "ChatScreen"),
    "api": ("http.server", "POST /v1/chat"),
    "search": ("http.server", "GET /v1/search"),
}
_ORDER = ("web", "mobile", "api", "search")


def _span(
    *,
    span_id: str,
    tx_id: str,
    project: SimProject,
    op: str,
    name: str,
    start: float,
    end: float,
    parent: str | None,
    is_tx: bool,
    errors: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "event_id": span_id,
        "transaction_id": tx_id,
        "project_id": project.id,
        "project_slug": project.slug,
        "transaction": _TX[project.slug][1],
        "description": name,
        "name": name,
        "op": op,
        "event_type": "span",
        "is_transaction": is_tx,
        "start_timestamp": start,
        "end_timestamp": end,
        "duration": round((end - start) * 1000.0, 3),
        "parent_span_id": parent,
        "children": [],
        "errors": errors,
        "occurrences": [],
        "measurements": {},
        "browser_web_vital": {},
        "mobile_app_vital": {},
        "profile_id": "",
        "profiler_id": "",
        "sdk_name": "sentry.python" if project.platform == "python" else "sentry.javascript",
    }


def trace_json(state: SimState, trace_id: str) -> list[dict[str, Any]]:
    """web/mobile → api → search: one transaction per project, errors on their span."""
    events = state.traces.get(trace_id, [])
    by_project: dict[str, list[SimEvent]] = {}
    for ev in events:
        issue = state.issues.get(ev.issue_id)
        if issue is not None:
            by_project.setdefault(issue.project.slug, []).append(ev)
    if not by_project:
        return []
    t0 = min(ev.ts for ev in events) - 0.8
    roots: list[dict[str, Any]] = []
    parent: dict[str, Any] | None = None
    for depth, slug in enumerate(s for s in _ORDER if s in by_project):
        project = state.projects[slug]
        op, name = _TX[slug]
        errs = []
        for ev in by_project[slug]:
            issue = state.issues[ev.issue_id]
            errs.append(
                {
                    "event_id": ev.event_id,
                    "issue_id": issue.id,
                    "issue_type": 1,
                    "short_id": issue.short_id,
                    "culprit": issue.template.culprit,
                    "description": issue.title,
                    "level": issue.level,
                    "event_type": "error",
                    "project_id": project.id,
                    "project_slug": slug,
                    "transaction": name,
                    "start_timestamp": ev.ts,
                }
            )
        start, end = t0 + depth * 0.05, t0 + 2.0 - depth * 0.3
        tx_id = by_project[slug][0].span_id.rjust(32, "0")
        node = _span(
            span_id=by_project[slug][0].span_id,
            tx_id=tx_id,
            project=project,
            op=op,
            name=name,
            start=start,
            end=end,
            parent=parent["event_id"] if parent else None,
            is_tx=True,
            errors=errs,
        )
        child_op = "db" if slug == "api" else "http.client"
        node["children"].append(
            _span(
                span_id=f"{abs(hash((trace_id, slug))) % (1 << 64):016x}",
                tx_id=tx_id,
                project=project,
                op=child_op,
                name=f"{child_op} {name}",
                start=start + 0.01,
                end=start + 0.2,
                parent=node["event_id"],
                is_tx=False,
                errors=[],
            )
        )
        if parent is None:
            roots.append(node)
        else:
            parent["children"].append(node)
        parent = node
    return roots
