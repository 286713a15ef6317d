"""Pytest fixtures for the alerts and correlation tests.

`recorded_events` turns the real SDKs' recorded wire payloads (../shared/fixtures) into
`models.Event`s through the relay's own envelope parser and normalization (the real
`sentry_relay` normalizer and scrubber), optionally rewriting every trace id to one
shared id — the way a request crossing web → api → search looks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sxtriage.models import Event, Issue, IssueKey, Level, Source

FIXTURES = next(
    (
        p
        for p in (
            Path(__file__).parent / "data" / "fixtures",
            Path(__file__).resolve().parents[2] / "shared" / "fixtures",
        )
        if p.is_dir()
    ),
    Path(__file__).parent / "data" / "fixtures",
)
PROJECT_SERVICES = {1: "api", 2: "web", 3: "mobile", 4: "search"}
SHARED_TRACE = "5a5a5a5a5a5a4a5a8a5a5a5a5a5a5a5a"


@dataclass
class Recorded:
    event: Event
    issue_key: IssueKey | None
    file: str


def _rewrite(value: Any, trace_id: str | None) -> Any:
    if isinstance(value, dict):
        out = {k: _rewrite(v, trace_id) for k, v in value.items()}
        if trace_id is not None and isinstance(out.get("trace_id"), str):
            out["trace_id"] = trace_id
        return out
    if isinstance(value, list):
        return [_rewrite(v, trace_id) for v in value]
    return value


def load_recorded(
    folder: str,
    numbers: list[int] | None = None,
    *,
    trace_id: str | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> list[Recorded]:
    """Events and transactions of one recorded SDK folder, normalized by the relay code."""
    from sxtriage.relay.envelope import envelope_from_store, parse_envelope
    from sxtriage.relay.normalize import scrub_json, summarize, to_event

    base = FIXTURES / folder
    if not base.is_dir():
        pytest.skip(f"recorded SDK payloads not found at {base}")
    out: list[Recorded] = []
    for meta_path in sorted(base.glob("*.http.json")):
        number = int(meta_path.name.split(".")[0])
        if numbers is not None and number not in numbers:
            continue
        meta = json.loads(meta_path.read_text())
        project_id = int(meta["path"].split("/")[2])
        service = PROJECT_SERVICES[project_id]
        raw = (base / f"{number:02d}.envelope").read_bytes()
        env = envelope_from_store(raw) if "/store/" in meta["path"] else parse_envelope(raw)
        for item in env.items:
            if item.type not in ("event", "transaction"):
                continue
            data = _rewrite(json.loads(item.payload), trace_id)
            if edit is not None:
                edit(data)
            text = scrub_json(json.dumps(data).encode(), project_id)
            processed = json.loads(text)
            summary = summarize(processed, service)
            issue_id = summary.get("issue_id")
            event = to_event(processed, service=service, issue_id=issue_id)
            key = (Source.RELAY, issue_id) if issue_id else None
            out.append(Recorded(event, key, f"{folder}/{number:02d}"))
    return out


def make_issue(
    key: IssueKey,
    service: str,
    *,
    first_seen: float,
    title: str = "boom",
    first_release: str | None = None,
    **extra: Any,
) -> Issue:
    seen = datetime.fromtimestamp(first_seen, UTC)
    return Issue(
        source=key[0],
        id=key[1],
        service=service,
        short_id=f"{service.upper()}-{key[1][-4:]}",
        title=title,
        first_seen=seen,
        last_seen=extra.pop("last_seen", seen),
        first_release=first_release,
        **extra,
    )


def make_event(
    service: str = "api",
    *,
    level: str = "error",
    type: str = "error",
    timestamp: float = 1_800_000_000.0,
    **fields: Any,
) -> Event:
    return Event(
        event_id=fields.pop("event_id", "e" * 32),
        service=service,
        level=Level.parse(level),
        type=type,  # type: ignore[arg-type]
        timestamp=datetime.fromtimestamp(timestamp, UTC),
        environment=fields.pop("environment", "production"),
        **fields,
    )


def make_transaction(
    service: str,
    duration_ms: float,
    *,
    status: str | None = "ok",
    name: str = "GET /",
    timestamp: float = 1_800_000_000.0,
    **fields: Any,
) -> Event:
    """A transaction shaped like the relay's: its root span first, status in contexts."""
    from sxtriage.models import Span

    end = datetime.fromtimestamp(timestamp, UTC)
    root = Span(
        span_id="a" * 16,
        trace_id=fields.pop("trace_id", "b" * 32),
        start=end - timedelta(milliseconds=duration_ms),
        end=end,
        status=status,
        op="http.server",
    )
    trace: dict[str, Any] = {"trace_id": root.trace_id, "span_id": root.span_id}
    if status is not None:
        trace["status"] = status
    return make_event(
        service,
        level="info",
        type="transaction",
        timestamp=timestamp,
        transaction=name,
        span_id=root.span_id,
        trace_id=root.trace_id,
        spans=[root],
        contexts={"trace": trace},
        **fields,
    )


@pytest.fixture
def shared_trace_events() -> list[Recorded]:
    """web's checkout error (node SDK), api's payment error (python SDK), search's shard
    error and its transaction (go SDK, shard span marked timed out) — one trace."""

    def slow_shard(data: dict[str, Any]) -> None:
        for span in data.get("spans") or []:
            if span.get("op") == "search.shard":
                span["status"] = "deadline_exceeded"

    events = load_recorded("node-sentry-node", [4], trace_id=SHARED_TRACE)
    events += load_recorded("python-sentry-sdk", [4], trace_id=SHARED_TRACE)
    events += load_recorded("go-sentry-go", [1], trace_id=SHARED_TRACE)
    events += load_recorded("go-sentry-go", [2], trace_id=SHARED_TRACE, edit=slow_shard)
    return events
