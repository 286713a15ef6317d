"""The simulator's JSON answers, shaped like Sentry's (and valid against its OpenAPI
schema): issues, events, traces, members, teams, projects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sxtriage.sim.dataset import SimEvent, SimIssue, SimProject, SimState
from sxtriage.sim.templates import Fr, crumb_json

JOINED = "2025-01-06T09:00:00Z"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def actor_json(state: SimState, actor: str | None) -> dict[str, Any] | None:
    if not actor:
        return None
    kind, _, ident = actor.partition(":")
    if kind == "team" and (team := state.teams.get(int(ident))):
        return {"type": "team", "id": str(team.id), "name": team.slug}
    if kind == "user" and (m := state.members.get(int(ident))):
        return {"type": "user", "id": str(m.id), "name": m.name, "email": m.email}
    return None


def project_ref(p: SimProject) -> dict[str, Any]:
    return {"id": str(p.id), "name": p.slug, "slug": p.slug, "platform": p.platform}


def _status_details(issue: SimIssue) -> dict[str, Any]:
    d = {k: v for k, v in issue.status_details.items() if v is not None}
    d.pop("ignoreDuration", None)
    if issue.ignore_until is not None:
        d["ignoreUntil"] = iso(issue.ignore_until)
    return d


def _metadata(issue: SimIssue) -> dict[str, Any]:
    top = issue.template.chain[-1]
    frame = top.frames[-1]
    return {"type": top.type, "value": top.value, "filename": frame.filename}


def _stats(issue: SimIssue, now: float) -> list[list[float]]:
    hour = int(now // 3600) * 3600
    buckets = [0] * 24
    for ev in issue.events:
        idx = 23 - int((hour - ev.ts) // 3600) if ev.ts <= hour + 3600 else 23
        if 0 <= idx < 24:
            buckets[idx] += 1
    return [[float(hour - (23 - i) * 3600), float(n)] for i, n in enumerate(buckets)]


def issue_json(
    state: SimState, issue: SimIssue, variant: Literal["list", "detail", "project"] = "list"
) -> dict[str, Any]:
    base = f"https://{state.org}.sentry.io/issues/{issue.id}/"
    tpl = issue.template
    handled = all(e.handled for e in tpl.chain)
    last, first = iso(issue.last_seen), iso(issue.first_seen)
    out: dict[str, Any] = {
        "id": str(issue.id),
        "shareId": None,
        "shortId": issue.short_id,
        "title": issue.title,
        "culprit": tpl.culprit,
        "permalink": base,
        "logger": None,
        "level": issue.level,
        "status": issue.status,
        "statusDetails": _status_details(issue),
        "isPublic": False,
        "project": project_ref(issue.project),
        "type": "error",
        "metadata": _metadata(issue),
        "numComments": issue.num_comments,
        "assignedTo": actor_json(state, issue.assigned),
        "isBookmarked": issue.bookmarked,
        "isSubscribed": False,
        "subscriptionDetails": None,
        "hasSeen": issue.has_seen,
        "annotations": [],
        "count": str(issue.count),
        "userCount": issue.user_count,
        "firstSeen": first,
        "lastSeen": last,
        "stats": {"24h": _stats(issue, state.now)},
    }
    if variant == "project":
        return out
    out |= {
        "substatus": issue.substatus,
        "platform": issue.project.platform,
        "priority": issue.priority,
        "priorityLockedAt": None,
        "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "issueType": "error",
        "issueCategory": "error",
        "isUnhandled": not handled,
        "derivedData": {
            "blocker": "",
            "progress": "",
            "status": "",
            "viewCount": 0,
            "hasOpenFixPr": False,
            "isAssigned": issue.assigned is not None,
            "hasRootCause": False,
            "lastCompletedAutofixStep": "",
            "lastProgressedAt": None,
        },
        "integrationIssues": [],
        "sentryAppIssues": [],
        "latestEventHasAttachments": False,
    }
    if variant == "detail":
        release = issue.project.release
        out |= {
            "activity": [],
            "participants": [],
            "seenBy": [],
            "userReportCount": 0,
            "tags": [],
            "firstRelease": {"version": issue.first_release} if issue.first_release else None,
            "lastRelease": {"version": release},
            "inbox": None,
            "owners": None,
        }
        return out
    team = state.team_by_slug(tpl.team or issue.project.team)
    out |= {
        "filtered": None,
        "lifetime": {"count": str(issue.count), "userCount": issue.user_count},
        "sessionCount": 0,
        "inbox": {
            "date_added": first,
            "reason": 0,
            "reason_details": dict.fromkeys(
                ("until", "count", "window", "user_count", "user_window")
            ),
        },
        "owners": {
            "type": "ownershipRule",
            "owner": f"team:{team.id if team else 1}",
            "date_added": first,
        },
        "matchingEventId": None,
        "matchingEventEnvironment": None,
    }
    return out


# --- events ------------------------------------------------------------------------------


def _frame_json(f: Fr) -> dict[str, Any]:
    start = f.lineno - 2
    return {
        "filename": f.filename,
        "absPath": f.filename,
        "module": f.module,
        "package": None,
        "platform": None,
        "instructionAddr": None,
        "symbolAddr": None,
        "function": f.function,
        "rawFunction": None,
        "symbol": None,
        "context": [[start + i, line] for i, line in enumerate(f.lines)],
        "lineNo": f.lineno,
        "colNo": None,
        "inApp": f.in_app,
        "trust": None,
        "errors": None,
        "lock": None,
        "sourceLink": None,
        "vars": {"user_id": "4821"} if f.in_app else None,
    }


def _user(ev: SimEvent) -> dict[str, Any]:
    return {
        "id": str(ev.user_id),
        "email": None,
        "username": f"user{ev.user_id}",
        "ip_address": None,
        "name": None,
        "geo": None,
        "data": None,
    }


def _tags(issue: SimIssue, ev: SimEvent) -> list[dict[str, str]]:
    tags = {
        "environment": ev.environment,
        "level": issue.level,
        "release": ev.release,
        "transaction": issue.template.transaction,
        "handled": "yes" if all(e.handled for e in issue.template.chain) else "no",
        **issue.template.tags,
    }
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def event_summary_json(issue: SimIssue, ev: SimEvent) -> dict[str, Any]:
    return {
        "id": ev.event_id,
        "event.type": "error",
        "groupID": str(issue.id),
        "eventID": ev.event_id,
        "projectID": str(issue.project.id),
        "message": issue.title,
        "title": issue.title,
        "location": issue.template.chain[-1].frames[-1].filename,
        "culprit": issue.template.culprit,
        "user": _user(ev),
        "tags": _tags(issue, ev),
        "platform": issue.project.platform,
        "dateCreated": iso(ev.ts),
        "crashFile": None,
        "metadata": _metadata(issue),
    }


def _entries(issue: SimIssue, ev: SimEvent) -> list[dict[str, Any]]:
    tpl = issue.template
    values = [
        {
            "type": exc.type,
            "value": exc.value,
            "module": exc.module,
            "mechanism": {"type": exc.mechanism, "handled": exc.handled},
            "threadId": None,
            "rawStacktrace": None,
            "stacktrace": {
                "frames": [_frame_json(f) for f in exc.frames],
                "framesOmitted": None,
                "registers": None,
                "hasSystemFrames": any(not f.in_app for f in exc.frames),
            },
        }
        for exc in tpl.chain
    ]
    entries: list[dict[str, Any]] = [
        {"type": "exception", "data": {"values": values, "hasSystemFrames": True}},
        {"type": "breadcrumbs", "data": {"values": crumb_json(tpl.crumbs, ev.ts)}},
    ]
    if tpl.url:
        entries.append(
            {
                "type": "request",
                "data": {
                    "method": tpl.method,
                    "url": tpl.url,
                    "query": [],
                    "fragment": None,
                    "data": None,
                    "headers": [["Accept", "application/json"], ["User-Agent", "okhttp/4.12"]],
                    "cookies": [],
                    "env": None,
                    "inferredContentType": None,
                    "apiTarget": None,
                },
            }
        )
    return entries


def event_json(state: SimState, issue: SimIssue, ev: SimEvent) -> dict[str, Any]:
    idx = next(i for i, e in enumerate(issue.events) if e.event_id == ev.event_id)
    prev_id = issue.events[idx - 1].event_id if idx > 0 else None
    next_id = issue.events[idx + 1].event_id if idx + 1 < len(issue.events) else None
    sdk = {
        "python": "sentry.python.fastapi",
        "javascript-react": "sentry.javascript.react",
        "react-native": "sentry.javascript.react-native",
        "go": "sentry.go",
    }[issue.project.platform]
    out = event_summary_json(issue, ev)
    out.pop("event.type")
    out |= {
        "type": "error",
        "dateReceived": iso(ev.ts + 0.4),
        "size": 6144,
        "entries": _entries(issue, ev),
        "dist": None,
        "sdk": {"name": sdk, "version": "2.75.0"},
        "context": {},
        "contexts": {
            "trace": {
                "trace_id": ev.trace_id,
                "span_id": ev.span_id,
                "op": "http.server",
                "type": "trace",
            },
            "runtime": {"name": issue.project.platform, "type": "runtime"},
        },
        "packages": {},
        "errors": [],
        "occurrence": None,
        "_meta": {},
        "fingerprints": ["{{ default }}"],
        "release": {
            "version": ev.release,
            "dateCreated": JOINED,
            "dateReleased": None,
            "status": "open",
            "ref": None,
            "url": None,
        },
        "userReport": None,
        "sdkUpdates": [],
        "resolvedWith": [],
        "nextEventID": next_id,
        "previousEventID": prev_id,
    }
    return out


# --- org -----------------------------------------------------------------------------------


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
