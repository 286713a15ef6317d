"""The simulator's event answers (`SimpleEventSerializer`, `EventSerializer` and
`wrap_event_response` in `src/sentry/api/serializers/models/event.py` and
`src/sentry/issues/endpoints/project_event_details.py`)."""

from __future__ import annotations

from typing import Any

from sxtriage.sim.dataset import SimEvent, SimIssue, SimState
from sxtriage.sim.responses import metadata
from sxtriage.sim.templates import Fr, crumb_json
from sxtriage.sim.timefmt import JOINED, iso


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
        "metadata": metadata(issue),
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
