"""Normalization and PII scrubbing with Sentry's own library (`sentry_relay`).

Every event and transaction goes through `StoreNormalizer.normalize_event` and then one
`pii_strip_event` with Sentry's default datascrubbing config merged with an application
rule that also scrubs message text (cut per event to what it can match, same result:
`pii_config.py`).  Both are CPU-bound, so the pipeline runs `process_batch` in worker
processes (`workers.py`); JSON crosses the Rust boundary as strings (no re-encoding in
between) and each worker parses the result once to compute the grouping summary that
comes back with it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sentry_relay.processing import StoreNormalizer, pii_strip_event

from sxtriage.models import Breadcrumb, Event, ExceptionValue, Frame, Level, Source, Span
from sxtriage.relay import grouping
from sxtriage.relay.pii_config import ConfigPicker, build_pii_config

# --- worker-process side -------------------------------------------------------------

_state: dict[str, Any] = {}


def init_worker(pii_config_json: str) -> None:
    _state["pii"] = pii_config_json
    _state["picker"] = ConfigPicker(json.loads(pii_config_json))
    _state["normalizers"] = {}


def _normalizer(project_id: int | None) -> StoreNormalizer:
    cache: dict[int | None, StoreNormalizer] = _state.setdefault("normalizers", {})
    norm = cache.get(project_id)
    if norm is None:
        norm = StoreNormalizer(project_id=project_id) if project_id else StoreNormalizer()
        cache[project_id] = norm
    return norm


def _identity(value: Any) -> Any:
    return value


def _dumps_str(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def scrub_json(raw: bytes, project_id: int | None) -> str:
    """Normalize then scrub one event payload; returns the resulting JSON text."""
    if "pii" not in _state:
        init_worker(json.dumps(build_pii_config()))
    normalized = _normalizer(project_id).normalize_event(raw_event=raw, json_loads=_identity)
    config = _state["picker"].for_event(normalized)
    return pii_strip_event(config, normalized, json_dumps=_dumps_str, json_loads=_identity)


def _scrub_container(raw: bytes) -> str:
    """Scrub a non-event JSON payload (span v2 container) by wrapping it in `extra`."""
    value = json.loads(raw)
    if "pii" not in _state:
        init_worker(json.dumps(build_pii_config()))
    wrapped = pii_strip_event(
        _state["pii"], {"extra": {"payload": value}}, json_dumps=_dumps_str, json_loads=json.loads
    )
    return json.dumps(wrapped.get("extra", {}).get("payload"), separators=(",", ":"))


def summarize(event: dict[str, Any], service: str) -> dict[str, Any]:
    """What storage, grouping and the stream need to know about a processed event."""
    contexts = event.get("contexts") if isinstance(event.get("contexts"), dict) else {}
    trace = contexts.get("trace") if isinstance(contexts.get("trace"), dict) else {}
    etype = "transaction" if event.get("type") == "transaction" else str(event.get("type") or "")
    out: dict[str, Any] = {
        "event_id": str(event.get("event_id") or ""),
        "type": etype or "error",
        "level": str(event.get("level") or ("info" if etype == "transaction" else "error")),
        "timestamp": event.get("timestamp") if isinstance(event.get("timestamp"), float) else None,
        "received": event.get("received") if isinstance(event.get("received"), float) else None,
        "trace_id": trace.get("trace_id"),
        "release": event.get("release"),
        "environment": event.get("environment"),
        "platform": event.get("platform"),
        "title": grouping.title_of(event),
        "culprit": grouping.culprit_of(event),
        "user": grouping.user_key(event),
    }
    if etype != "transaction":
        ghash = grouping.group_hash(event)
        out["group_hash"] = ghash
        out["issue_id"] = grouping.issue_id_for(service, ghash)
    return out


Job = tuple[str, str, int | None, bytes]
"""(item type, service, project id, raw payload)."""
Result = tuple[bool, str, dict[str, Any] | None]
"""(ok, processed JSON text or the one-line error, summary for events)."""


def process_one(job: Job) -> Result:
    item_type, service, project_id, raw = job
    try:
        if item_type in ("event", "transaction"):
            text = scrub_json(raw, project_id)
            return True, text, summarize(json.loads(text), service)
        if item_type == "span":
            return True, _scrub_container(raw), None
        return True, raw.decode("utf-8"), None
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return False, f"{item_type} item rejected by normalization: {reason}", None
    except Exception as exc:  # the Rust layer raises its own exception types
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return False, f"{item_type} item rejected by normalization: {reason}", None


def process_batch(jobs: list[Job]) -> list[Result]:
    return [process_one(job) for job in jobs]


# --- processed event JSON → models ------------------------------------------------------


def _ts(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _frame(f: dict[str, Any]) -> Frame:
    return Frame(
        filename=_str(f.get("filename")),
        abs_path=_str(f.get("abs_path")),
        function=_str(f.get("function")),
        module=_str(f.get("module")),
        lineno=f.get("lineno") if isinstance(f.get("lineno"), int) else None,
        colno=f.get("colno") if isinstance(f.get("colno"), int) else None,
        in_app=f.get("in_app") is True,
        context_line=_str(f.get("context_line")),
        pre_context=[str(x) for x in f.get("pre_context") or [] if x is not None],
        post_context=[str(x) for x in f.get("post_context") or [] if x is not None],
        vars=_dict(f.get("vars")),
    )


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    if isinstance(value, list):
        for pair in value:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                out[str(pair[0])] = str(pair[1])
    return out


def _span(s: dict[str, Any], *, service: str, event_id: str | None) -> Span | None:
    start = _ts(s.get("start_timestamp"))
    end = _ts(s.get("timestamp") or s.get("end_timestamp"))
    if not s.get("span_id") or not s.get("trace_id") or start is None or end is None:
        return None
    return Span(
        span_id=str(s["span_id"]),
        trace_id=str(s["trace_id"]),
        parent_span_id=_str(s.get("parent_span_id")),
        op=_str(s.get("op")) or _str(_dict(s.get("attributes")).get("sentry.op")),
        description=_str(s.get("description")) or _str(s.get("name")),
        start=start,
        end=end,
        status=_str(s.get("status")),
        service=service,
        project=service,
        event_id=event_id,
    )


def spans_of(event: dict[str, Any], service: str) -> list[Span]:
    """A transaction's spans, its root span (from contexts.trace) first."""
    event_id = _str(event.get("event_id"))
    out: list[Span] = []
    trace = _dict(_dict(event.get("contexts")).get("trace"))
    if event.get("type") == "transaction" and trace:
        root = dict(trace, start_timestamp=event.get("start_timestamp"))
        root.setdefault("timestamp", event.get("timestamp"))
        root.setdefault("description", event.get("transaction"))
        span = _span(root, service=service, event_id=event_id)
        if span:
            out.append(span)
    for raw in event.get("spans") or []:
        if isinstance(raw, dict):
            span = _span(raw, service=service, event_id=event_id)
            if span:
                out.append(span)
    return out


def to_event(
    data: dict[str, Any], *, service: str, issue_id: str | None, source: Source = Source.RELAY
) -> Event:
    """A processed (or raw SDK) event dict as `models.Event`; tolerant of either shape."""
    excs = []
    for exc in grouping.exceptions(data):
        excs.append(
            ExceptionValue(
                type=_str(exc.get("type")),
                value=_str(exc.get("value")),
                module=_str(exc.get("module")),
                mechanism=exc.get("mechanism") if isinstance(exc.get("mechanism"), dict) else None,
                frames=[_frame(f) for f in grouping.frames_of(exc)],
            )
        )
    crumbs = []
    for b in grouping._values(data.get("breadcrumbs")):
        if isinstance(b, dict):
            crumbs.append(
                Breadcrumb(
                    timestamp=_ts(b.get("timestamp")),
                    type=_str(b.get("type")),
                    category=_str(b.get("category")),
                    level=Level.parse(b.get("level") or "info"),
                    message=_str(b.get("message")),
                    data=_dict(b.get("data")),
                )
            )
    contexts = _dict(data.get("contexts"))
    trace = _dict(contexts.get("trace"))
    etype = str(data.get("type") or "")
    if etype not in ("error", "default", "transaction", "csp"):
        # raw SDK payloads (e.g. from a Spotlight sidecar) may lack it or say "event"
        etype = "error" if excs else "default"
    return Event(
        event_id=str(data.get("event_id") or ""),
        issue_id=issue_id,
        source=source,
        service=service,
        project=service,
        timestamp=_ts(data.get("timestamp")) or datetime.now(UTC),
        received=_ts(data.get("received")),
        level=Level.parse(data.get("level") or ("info" if etype == "transaction" else "error")),
        type=etype,  # type: ignore[arg-type]
        title=grouping.title_of(data),
        message=grouping.message_of(data) or None,
        culprit=grouping.culprit_of(data) or None,
        platform=_str(data.get("platform")),
        exceptions=excs,
        breadcrumbs=crumbs,
        tags=_tags(data.get("tags")),
        contexts=contexts,
        user=_dict(data.get("user")),
        request=_dict(data.get("request")),
        release=_str(data.get("release")),
        dist=_str(data.get("dist")),
        environment=_str(data.get("environment")),
        transaction=_str(data.get("transaction")),
        trace_id=_str(trace.get("trace_id")),
        span_id=_str(trace.get("span_id")),
        spans=spans_of(data, service) if etype == "transaction" else [],
        fingerprint=[str(x) for x in data.get("fingerprint") or []],
        sdk=_dict(data.get("sdk")),
    )
