"""The relay's local JSON endpoints (`/local/...`): issues, events, traces, local triage.

Bodies are `models.*` dumped with `model_dump(mode="json")`.  Reads run in the store's
reader threads; a `PUT` is one store transaction, then a live issue message on the stream.
The queries are functions of the store, so a program embedding the relay reads the same
answers without HTTP (`relay/inproc.py`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from sxtriage.models import Event, Issue, Span, Status, Trace
from sxtriage.relay.normalize import _span, spans_of, to_event
from sxtriage.relay.stream import Broadcaster
from sxtriage.store import Store


class IssueUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    assignee: str | None = None


def _error(status: int, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


def _limit(request: web.Request, default: int = 50) -> int:
    try:
        return max(1, min(1000, int(request.query.get("limit", default))))
    except ValueError:
        return default


async def relay_issues(store: Store) -> tuple[int, list[str]]:
    """The stream position (last envelope seq) and every local issue's JSON, newest first.

    The position is read first: an issue changed meanwhile comes again from the stream."""
    top = await store.query("SELECT COALESCE(MAX(seq), 0) FROM envelopes")
    rows = await store.query("SELECT data FROM issues WHERE source='relay' ORDER BY last_seen DESC")
    return int(top[0][0]), [r[0] for r in rows]


async def issue_events(store: Store, issue_id: str, limit: int = 50) -> list[Event]:
    rows = await store.query(
        "SELECT service, issue_id, data FROM events WHERE issue_id=? "
        "ORDER BY received DESC LIMIT ?",
        (issue_id, limit),
    )
    return [_event(r) for r in rows]


async def event_by_id(store: Store, event_id: str) -> Event | None:
    rows = await store.query(
        "SELECT service, issue_id, data FROM events WHERE event_id=? AND type != 'span'",
        (event_id,),
    )
    return _event(rows[0]) if rows else None


async def trace_by_id(store: Store, trace_id: str) -> Trace | None:
    rows = await store.query(
        "SELECT service, issue_id, type, data FROM events WHERE trace_id=? "
        "ORDER BY timestamp LIMIT 2000",
        (trace_id,),
    )
    return build_trace(trace_id, rows) if rows else None


async def update_issue(store: Store, issue_id: str, update: IssueUpdate) -> tuple[int, str] | None:
    """Change a local issue's status / assignee in one transaction; returns (the stream
    position, the issue's new JSON) to publish, or None when there is no such issue."""
    fields = update.model_dump(exclude_unset=True)

    def apply(conn: sqlite3.Connection) -> tuple[int, str] | None:
        row = conn.execute(
            "SELECT data FROM issues WHERE source='relay' AND id=?", (issue_id,)
        ).fetchone()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        if "status" in fields:
            data["status"] = fields["status"].value if fields["status"] else "unresolved"
            data.pop("substatus", None)
        if "assignee" in fields:
            data["assignee"] = fields["assignee"] or None
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM envelopes").fetchone()[0]
        text = json.dumps(data, separators=(",", ":"))
        conn.execute(
            "UPDATE issues SET status=?, data=?, seq=? WHERE source='relay' AND id=?",
            (data["status"], text, seq, issue_id),
        )
        return int(seq), text

    return await store.transact(apply)


def add_routes(app: web.Application, store: Store, broadcaster: Broadcaster) -> None:
    async def list_issues(request: web.Request) -> web.Response:
        top, issues = await relay_issues(store)
        body = "[" + ",".join(issues) + "]"
        return web.Response(
            text=body, content_type="application/json", headers={"X-Relay-Seq": str(top)}
        )

    async def get_issue(request: web.Request) -> web.Response:
        rows = await store.query(
            "SELECT data FROM issues WHERE source='relay' AND id=?", (request.match_info["id"],)
        )
        if not rows:
            return _error(404, "no such local issue; it may have been pruned")
        return web.Response(text=rows[0][0], content_type="application/json")

    async def put_issue(request: web.Request) -> web.Response:
        try:
            update = IssueUpdate.model_validate_json(await request.read())
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "body"
            return _error(400, f'{where}: {err["msg"]}; send {{"status": …, "assignee": …}}')
        result = await update_issue(store, request.match_info["id"], update)
        if result is None:
            return _error(404, "no such local issue; it may have been pruned")
        broadcaster.publish_issue(*result)
        return web.Response(text=result[1], content_type="application/json")

    async def get_issue_events(request: web.Request) -> web.Response:
        events = await issue_events(store, request.match_info["id"], _limit(request))
        return web.json_response([e.model_dump(mode="json") for e in events])

    async def get_event(request: web.Request) -> web.Response:
        event = await event_by_id(store, request.match_info["event_id"])
        if event is None:
            return _error(404, "no such event in the relay's store")
        return web.json_response(event.model_dump(mode="json"))

    async def get_trace(request: web.Request) -> web.Response:
        trace = await trace_by_id(store, request.match_info["trace_id"])
        if trace is None:
            return _error(404, "no events of this trace in the relay's store")
        return web.json_response(trace.model_dump(mode="json"))

    app.router.add_get("/local/issues/", list_issues)
    app.router.add_get("/local/issues/{id}/", get_issue)
    app.router.add_put("/local/issues/{id}/", put_issue)
    app.router.add_get("/local/issues/{id}/events/", get_issue_events)
    app.router.add_get("/local/events/{event_id}/", get_event)
    app.router.add_get("/local/traces/{trace_id}/", get_trace)


def _event(row: sqlite3.Row) -> Event:
    data = json.loads(row["data"])
    return to_event(data, service=row["service"], issue_id=row["issue_id"])


def build_trace(trace_id: str, rows: list[sqlite3.Row]) -> Trace:
    """Spans of transactions and streamed spans; error events mark the span they ran in."""
    spans: dict[str, Span] = {}
    errors: list[tuple[str, str]] = []
    for row in rows:
        data = json.loads(row["data"])
        service = row["service"]
        if row["type"] == "span":
            for raw in data.get("items") or [] if isinstance(data, dict) else []:
                if isinstance(raw, dict):
                    span = _span(raw, service=service, event_id=None)
                    if span:
                        spans.setdefault(span.span_id, span)
        elif row["type"] == "transaction":
            for span in spans_of(data, service):
                spans[span.span_id] = span
        elif row["issue_id"]:
            trace = (data.get("contexts") or {}).get("trace") or {}
            if isinstance(trace, dict) and trace.get("span_id"):
                errors.append((str(trace["span_id"]), row["issue_id"]))
    for span_id, issue_id in errors:
        if span_id in spans and issue_id not in spans[span_id].issue_ids:
            spans[span_id].issue_ids.append(issue_id)
    ordered = sorted(spans.values(), key=lambda s: s.start)
    return Trace(trace_id=trace_id, spans=ordered)


def issue_from_json(text: str | bytes) -> Issue:
    return Issue.model_validate_json(text)
