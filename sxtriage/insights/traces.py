"""What one event says about its trace: the trace id (normalized, from the event or its
trace context) and the failing span it reveals (an error's own span, a transaction's
earliest failing span).  Event data is untrusted: `printable` makes it safe to show."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sxtriage.models import Event

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
OK_STATUSES = {None, "", "ok", "unset", "unknown"}
_MAX_TEXT = 200


def printable(value: object, limit: int = _MAX_TEXT) -> str:
    """Untrusted text for display: control characters (ESC, newlines…) as visible escapes."""
    text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalize_trace_id(value: object) -> str | None:
    """32 hex digits (dashes and case ignored), not all zero; else None."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("-", "")
    if not _HEX32.match(text) or text == "0" * 32:
        return None
    return text


def event_trace_id(event: Event) -> str | None:
    trace = event.contexts.get("trace") if isinstance(event.contexts, dict) else None
    from_context = trace.get("trace_id") if isinstance(trace, dict) else None
    return normalize_trace_id(event.trace_id) or normalize_trace_id(from_context)


@dataclass(slots=True)
class SpanFailure:
    """The earliest failing span of one service within one trace."""

    service: str
    op: str
    description: str
    status: str
    start: float
    """Event-time epoch seconds: only compared within one trace."""

    def label(self) -> str:
        parts = [p for p in (self.op, self.description) if p]
        return printable(f"{' '.join(parts) or 'span'} ({self.status})", 120)


def failing_span(event: Event, service: str) -> list[SpanFailure]:
    """The failing spans an event reveals: an error's own span, a transaction's spans."""
    trace = event.contexts.get("trace") if isinstance(event.contexts, dict) else None
    trace = trace if isinstance(trace, dict) else {}
    start = event.timestamp.timestamp()
    if event.type != "transaction":
        exc = event.exceptions[-1] if event.exceptions else None
        desc = event.transaction or (exc.type if exc and exc.type else "") or event.title
        return [SpanFailure(service, str(trace.get("op") or ""), str(desc or ""), "error", start)]
    out = []
    status = trace.get("status")
    if isinstance(status, str) and status.lower() not in OK_STATUSES:
        op = str(trace.get("op") or "")
        out.append(SpanFailure(service, op, event.transaction or "", status, start))
    for span in event.spans:
        if span.status is not None and span.status.lower() not in OK_STATUSES:
            out.append(
                SpanFailure(
                    service,
                    span.op or "",
                    span.description or "",
                    span.status,
                    span.start.timestamp(),
                )
            )
    # A failing child span (it started earliest) explains more than the failed root.
    return [min(out, key=lambda f: f.start)] if out else []
