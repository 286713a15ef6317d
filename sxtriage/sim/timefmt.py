"""Timestamps as Sentry's serializers write them (ISO 8601, microseconds, `Z`)."""

from __future__ import annotations

from datetime import UTC, datetime

JOINED = "2025-01-06T09:00:00Z"
"""When the simulated org, its members and projects were created."""


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
