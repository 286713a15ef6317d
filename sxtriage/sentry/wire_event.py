"""Sentry's event and trace payloads (pydantic, lenient) and their domain models.

Follows src/sentry/api/serializers/models/event.py (EventSerializer: `entries` of type
exception / breadcrumbs / request / spans / message) and src/sentry/api/endpoints/
organization_trace.py (the span tree).  GlitchTip's event list is snake_case
(apps/issue_events/schema.py): both spellings are read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from sxtriage.models import Breadcrumb, Event, ExceptionValue, Frame, Level, Source, Span, Trace
from sxtriage.sentry.wire_base import Wire, either

# --- events -------------------------------------------------------------------------


class WireTag(Wire):
    key: str
    value: str | None = None


class WireRelease(Wire):
    version: str | None = None


class WireEvent(Wire):
    """Sentry's event (camelCase); GlitchTip's list answers snake_case names."""

    id: str
    eventID: str | None = either("eventID", "event_id")
    groupID: str | None = either("groupID", "group_id")
    projectID: str | None = either("projectID", "project_id")
    title: str = ""
    message: str | None = None
    culprit: str | None = None
    platform: str | None = None
    type: str | None = Field(default=None, alias="type")
    event_type: str | None = Field(default=None, alias="event.type")
    dateCreated: datetime | None = either("dateCreated", "date_created")
    dateReceived: datetime | None = either("dateReceived", "date_received")
    entries: list[Any] = Field(default_factory=list)
    contexts: dict[str, Any] | None = None
    tags: list[WireTag] = Field(default_factory=list)
    user: dict[str, Any] | None = None
    release: WireRelease | None = None
    dist: str | None = None
    sdk: dict[str, Any] | None = None
    fingerprints: list[str] = Field(default_factory=list)
    nextEventID: str | None = None
    previousEventID: str | None = None


def _ts(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None


def _frame(raw: dict[str, Any]) -> Frame:
    lineno = raw.get("lineNo", raw.get("lineno"))
    pre: list[str] = []
    post: list[str] = []
    line: str | None = raw.get("context_line")
    for item in raw.get("context") or []:
        if not isinstance(item, list | tuple) or len(item) != 2:
            continue
        no, text = item
        text = "" if text is None else str(text)
        if not isinstance(no, int) or not isinstance(lineno, int) or no == lineno:
            line = text if line is None else line
        elif no < lineno:
            pre.append(text)
        else:
            post.append(text)
    vars_ = raw.get("vars")
    return Frame(
        filename=raw.get("filename"),
        abs_path=raw.get("absPath", raw.get("abs_path")),
        function=raw.get("function"),
        module=raw.get("module"),
        lineno=lineno if isinstance(lineno, int) else None,
        colno=raw.get("colNo", raw.get("colno")),
        in_app=bool(raw.get("inApp", raw.get("in_app", False))),
        context_line=line,
        pre_context=pre,
        post_context=post,
        vars=vars_ if isinstance(vars_, dict) else {},
    )


def _exceptions(data: dict[str, Any]) -> list[ExceptionValue]:
    out: list[ExceptionValue] = []
    for v in data.get("values") or []:
        if not isinstance(v, dict):
            continue
        frames = ((v.get("stacktrace") or {}).get("frames")) or []
        out.append(
            ExceptionValue(
                type=v.get("type"),
                value=v.get("value"),
                module=v.get("module"),
                mechanism=v.get("mechanism") if isinstance(v.get("mechanism"), dict) else None,
                frames=[_frame(f) for f in frames if isinstance(f, dict)],
            )
        )
    return out


def _breadcrumbs(data: dict[str, Any]) -> list[Breadcrumb]:
    out: list[Breadcrumb] = []
    for b in data.get("values") or []:
        if not isinstance(b, dict):
            continue
        out.append(
            Breadcrumb(
                timestamp=_ts(b.get("timestamp")),
                type=b.get("type"),
                category=b.get("category"),
                level=Level.parse(b.get("level") or "info"),
                message=b.get("message"),
                data=b.get("data") if isinstance(b.get("data"), dict) else {},
            )
        )
    return out


def _spans(data: Any, trace_id: str | None, project: str | None) -> list[Span]:
    out: list[Span] = []
    for s in data if isinstance(data, list) else []:
        if not isinstance(s, dict):
            continue
        start, end = _ts(s.get("start_timestamp")), _ts(s.get("timestamp"))
        if start is None or not s.get("span_id"):
            continue
        out.append(
            Span(
                span_id=str(s["span_id"]),
                trace_id=str(s.get("trace_id") or trace_id or ""),
                parent_span_id=s.get("parent_span_id"),
                op=s.get("op"),
                description=s.get("description"),
                start=start,
                end=end or start,
                status=s.get("status"),
                project=project,
            )
        )
    return out


def to_event(w: WireEvent, project_service: dict[str, str], project_slug: str | None) -> Event:
    tags = {t.key: t.value or "" for t in w.tags}
    contexts = w.contexts or {}
    trace = contexts.get("trace") if isinstance(contexts.get("trace"), dict) else {}
    ev_type = w.type or w.event_type or "error"
    event = Event(
        event_id=w.eventID or w.id,
        issue_id=w.groupID,
        source=Source.SENTRY,
        service=project_service.get(project_slug or "", project_slug or ""),
        project=project_slug,
        timestamp=w.dateCreated or datetime.now(UTC),
        received=w.dateReceived,
        level=Level.parse(tags.get("level", "error")),
        type=ev_type if ev_type in ("error", "default", "transaction", "csp") else "other",
        title=w.title,
        message=w.message or None,
        culprit=w.culprit,
        platform=w.platform,
        tags=tags,
        contexts=contexts,
        user=w.user or {},
        release=(w.release.version if w.release else None) or tags.get("release"),
        dist=w.dist,
        environment=tags.get("environment"),
        transaction=tags.get("transaction"),
        trace_id=trace.get("trace_id"),
        span_id=trace.get("span_id"),
        fingerprint=w.fingerprints,
        sdk=w.sdk or {},
        next_event_id=w.nextEventID,
        previous_event_id=w.previousEventID,
    )
    for entry in w.entries:
        if not isinstance(entry, dict):
            continue
        kind, data = entry.get("type"), entry.get("data")
        if kind == "exception" and isinstance(data, dict):
            event.exceptions = _exceptions(data)
        elif kind == "breadcrumbs" and isinstance(data, dict):
            event.breadcrumbs = _breadcrumbs(data)
        elif kind == "request" and isinstance(data, dict):
            event.request = data
        elif kind == "spans":
            event.spans = _spans(data, event.trace_id, project_slug)
        elif kind == "message" and isinstance(data, dict) and not event.message:
            event.message = data.get("formatted") or data.get("message")
    return event


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def trace_spans(
    nodes: list[Any], trace_id: str, project_service: dict[str, str], parent: str | None = None
) -> list[Span]:
    """Flatten the trace endpoint's span tree (errors attached to their span).

    A malformed node is skipped (with its subtree); the rest of the trace is kept.
    """
    out: list[Span] = []
    for node in nodes:
        if not isinstance(node, dict) or node.get("event_type") != "span":
            continue
        start = _ts(node.get("start_timestamp"))
        span_id = _opt_str(node.get("event_id"))
        if start is None or not span_id:
            continue
        slug = _opt_str(node.get("project_slug"))
        linked = [x for k in ("errors", "occurrences") if isinstance(x := node.get(k), list)]
        issue_ids = [
            str(e["issue_id"])
            for group in linked
            for e in group
            if isinstance(e, dict) and isinstance(e.get("issue_id"), int | str)
        ]
        try:
            span = Span(
                span_id=span_id,
                trace_id=trace_id,
                parent_span_id=_opt_str(node.get("parent_span_id")) or parent,
                op=_opt_str(node.get("op")),
                description=_opt_str(node.get("description")) or _opt_str(node.get("name")),
                start=start,
                end=_ts(node.get("end_timestamp")) or start,
                status=_opt_str(node.get("status")),
                service=project_service.get(slug or "", slug),
                project=slug,
                event_id=_opt_str(node.get("transaction_id")),
                issue_ids=issue_ids,
            )
        except ValueError:
            continue
        out.append(span)
        children = node.get("children")
        if isinstance(children, list):
            out.extend(trace_spans(children, trace_id, project_service, span_id))
    return out


def to_trace(raw: Any, trace_id: str, project_service: dict[str, str]) -> Trace:
    nodes = raw if isinstance(raw, list) else (raw or {}).get("transactions", [])
    if not isinstance(nodes, list):
        nodes = []
    return Trace(trace_id=trace_id, spans=trace_spans(nodes, trace_id, project_service))
