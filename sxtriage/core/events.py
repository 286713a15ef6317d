"""What the running session tells its subscribers (the UI): one typed event per change.

`Session.subscribe(listener)` is the one subscription; the listener gets every event, on
the session's event loop, in the order the changes happened, and tells them apart with
`match` / `isinstance`.  Nothing here knows about widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sxtriage.feed import FeedChange
from sxtriage.insights.firing import AlertChange, Firing
from sxtriage.models import Event, IssueKey, SourceHealth

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class FeedChanged:
    """The feed's visible list changed (a delta, a filter, a sort, an age-out)."""

    change: FeedChange


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """A source reported in: up, down (with why) or still connecting."""

    health: SourceHealth


@dataclass(frozen=True, slots=True)
class AlertsChanged:
    """Alerts fired or cleared; `firing` is everything firing now."""

    firing: list[Firing]
    changes: list[AlertChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ViewsChanged:
    """The feed sections changed (the org's saved views arrived)."""

    count: int


@dataclass(frozen=True, slots=True)
class ServicesChanged:
    """The service map changed (the org's projects arrived on a first run): the
    session's settings, feed and alert rules already use `services`."""

    services: list[str]


@dataclass(frozen=True, slots=True)
class Notice:
    """A one-line message for the user (a toast): plain text, never markup."""

    message: str
    severity: Severity = "information"


@dataclass(frozen=True, slots=True)
class EventArrived:
    """A live event from a source's stream (the relay), with the issue it belongs to."""

    event: Event
    key: IssueKey | None


SessionEvent = (
    FeedChanged
    | HealthChanged
    | AlertsChanged
    | ViewsChanged
    | ServicesChanged
    | Notice
    | EventArrived
)
Listener = Callable[[SessionEvent], None]


def severity_of(value: str) -> Severity:
    """A severity from untyped callers; anything unknown is "information"."""
    if value == "warning" or value == "error":
        return value
    return "information"
