"""Reading what the relay publishes: a stored envelope (`[HEADER, [[ITEM_HEADER, PAYLOAD],
…]]`, the SSE stream's data) → its service and its event / transaction items.

Shared by the stream reader (`relay/client.py`, also for a Spotlight sidecar) and the
in-process reader (`relay/inproc.py`), so both see an envelope the same way.  The data
is untrusted: anything not shaped as expected is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Item = tuple[dict[str, Any], dict[str, Any]]
"""(item header, payload) of an event or transaction item."""


def envelope_items(data: str) -> tuple[dict[str, Any], list[Item]] | None:
    """The envelope header and its event / transaction items; None when it is not an
    envelope (raises ValueError on text that is not JSON)."""
    envelope = json.loads(data)
    if not isinstance(envelope, list) or len(envelope) != 2:
        return None
    header, entries = envelope
    items: list[Item] = []
    for entry in entries if isinstance(entries, list) else []:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)):
            continue
        ih, payload = entry
        if isinstance(ih, dict) and ih.get("type") in ("event", "transaction"):
            items.append((ih, payload))
    return (header if isinstance(header, dict) else {}), items


def service_of(header: Mapping[str, Any], projects: Mapping[int, str]) -> str:
    """Our relay names the service in the header; a Spotlight envelope has its DSN (the
    project id) or the release ("web@2.3.0")."""
    named = header.get("__sxtriage_service")
    if isinstance(named, str):
        return named
    dsn = header.get("dsn")
    if isinstance(dsn, str):
        tail = dsn.rstrip("/").rsplit("/", 1)[-1]
        if tail.isdigit() and int(tail) in projects:
            return projects[int(tail)]
    trace = header.get("trace") if isinstance(header.get("trace"), dict) else {}
    release = str(trace.get("release") or "")
    prefix = release.split("@", 1)[0]
    return prefix if prefix in projects.values() else "unknown"


def issue_id_of(item_header: Mapping[str, Any]) -> str | None:
    """The issue our relay grouped the event into (None for a transaction, or Spotlight)."""
    value = item_header.get("__sxtriage_issue_id")
    return value if isinstance(value, str) else None
