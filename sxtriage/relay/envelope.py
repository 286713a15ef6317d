"""Sentry envelopes: parse and serialize.

An envelope is a JSON header line, then items: a JSON item header line (`type`, optional
`length`) followed by the payload, either exactly `length` bytes or up to the next newline.
Payloads stay bytes here; only the item types the pipeline needs are decoded later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sxtriage.relay.limits import LimitError, Limits

EVENT_TYPES = frozenset({"event", "transaction"})
"""Items normalized and scrubbed as Sentry events, then grouped/stored."""
JSON_TYPES = frozenset(
    {
        "span",
        "session",
        "sessions",
        "client_report",
        "check_in",
        "user_report",
        "feedback",
        "profile",
        "statsd",
        "metric_buckets",
        "log",
        "otel_log",
        "replay_event",
    }
)
"""Items passed through to the stream as JSON (never grouped)."""
DROPPED_TYPES = frozenset({"attachment", "replay_recording", "replay_video", "profile_chunk"})
"""Binary items: accepted, acknowledged, not kept (the stream shows a placeholder)."""


class EnvelopeError(ValueError):
    """A malformed envelope; the message is one line naming the problem (answered 400)."""


@dataclass(slots=True)
class Item:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        return str(self.headers.get("type", ""))


@dataclass(slots=True)
class Envelope:
    headers: dict[str, Any] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)

    @property
    def event_id(self) -> str | None:
        value = self.headers.get("event_id")
        return value if isinstance(value, str) else None


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        raise EnvelopeError(f"{what} is not valid JSON; send one JSON object per line") from None
    if not isinstance(value, dict):
        raise EnvelopeError(f"{what} must be a JSON object, not {type(value).__name__}")
    return value


def parse_envelope(data: bytes, limits: Limits | None = None) -> Envelope:
    """Parse `data` (already decompressed).  Raises EnvelopeError or LimitError."""
    limits = limits or Limits()
    if not data.strip():
        raise EnvelopeError("empty envelope; send an envelope header line and items")
    end = data.find(b"\n")
    if end < 0:
        end = len(data)
    if end > limits.max_header_bytes:
        raise LimitError(f"envelope header exceeds {limits.max_header_bytes} bytes")
    env = Envelope(headers=_json_object(data[:end], "envelope header"))
    pos = end + 1
    size = len(data)
    while pos < size:
        nl = data.find(b"\n", pos)
        line_end = size if nl < 0 else nl
        line = data[pos:line_end]
        if not line.strip():
            pos = line_end + 1  # blank lines between/after items are tolerated
            continue
        if len(line) > limits.max_header_bytes:
            raise LimitError(f"item header exceeds {limits.max_header_bytes} bytes")
        headers = _json_object(line, f"item {len(env.items) + 1} header")
        item_type = headers.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise EnvelopeError(f"item {len(env.items) + 1} header has no string 'type'")
        pos = line_end + 1
        length = headers.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise EnvelopeError(f"item {len(env.items) + 1} has an invalid length {length!r}")
            if pos + length > size:
                raise EnvelopeError(
                    f"item {len(env.items) + 1} ({item_type}) is truncated: length says "
                    f"{length} bytes, {max(0, size - pos)} present"
                )
            payload = data[pos : pos + length]
            pos += length
            if pos < size:
                if data[pos : pos + 1] != b"\n":
                    raise EnvelopeError(
                        f"item {len(env.items) + 1} ({item_type}) is longer than its length "
                        f"{length}; fix the length header"
                    )
                pos += 1
        else:
            nl = data.find(b"\n", pos)
            stop = size if nl < 0 else nl
            payload = data[pos:stop]
            pos = stop + 1
        if item_type in EVENT_TYPES and len(payload) > limits.max_event_bytes:
            raise LimitError(
                f"{item_type} item of {len(payload)} bytes exceeds the "
                f"{limits.max_event_bytes}-byte limit"
            )
        env.items.append(Item(headers, payload))
        if len(env.items) > limits.max_items:
            raise LimitError(f"more than {limits.max_items} items in one envelope")
    return env


def serialize_envelope(env: Envelope) -> bytes:
    parts = [json.dumps(env.headers, separators=(",", ":")).encode()]
    for item in env.items:
        headers = dict(item.headers)
        headers["length"] = len(item.payload)
        parts.append(json.dumps(headers, separators=(",", ":")).encode())
        parts.append(item.payload)
    return b"\n".join(parts) + b"\n"


def envelope_from_store(body: bytes) -> Envelope:
    """Wrap a legacy `/store/` body (one bare event JSON) as an envelope."""
    event = _json_object(body, "store body")
    event_id = event.get("event_id")
    headers: dict[str, Any] = {}
    if isinstance(event_id, str):
        headers["event_id"] = event_id
    item_type = "transaction" if event.get("type") == "transaction" else "event"
    return Envelope(headers, [Item({"type": item_type}, body)])
