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


_PLATFORM_CONTEXTS: dict[str, dict[str, dict[str, str]]] = {
    "python": {
        "runtime": {"name": "CPython", "version": "3.12.7", "type": "runtime"},
        "os": {"name": "Linux", "version": "6.8", "type": "os"},
    },
    "javascript-react": {
        "browser": {"name": "Chrome", "version": "131.0", "type": "browser"},
        "os": {"name": "macOS", "version": "15.1", "type": "os"},
    },
    "react-native": {
        "device": {"family": "iOS", "model": "iPhone15,2", "type": "device"},
        "os": {"name": "iOS", "version": "18.1", "type": "os"},
        "app": {"app_version": "3.8.1", "app_build": "412", "type": "app"},
    },
    "go": {
        "runtime": {"name": "go", "version": "go1.23.3", "type": "runtime"},
        "os": {"name": "linux", "type": "os"},
    },
}


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
            **_PLATFORM_CONTEXTS[issue.project.platform],
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
