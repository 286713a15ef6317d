"""Domain types shared by every part of sxtriage.

Sources (the Sentry API poller, the local relay) produce these; the feed indexes them;
the UI renders them; triage changes them.  Everything that crosses a module boundary is
one of these pydantic models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class Source(StrEnum):
    SENTRY = "sentry"
    RELAY = "relay"


class Level(StrEnum):
    FATAL = "fatal"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"

    @property
    def rank(self) -> int:
        """Higher is worse: fatal=4 … debug=0."""
        return _LEVEL_RANK[self]

    @classmethod
    def parse(cls, value: object) -> Level:
        text = str(value or "").lower()
        if text == "critical":
            return cls.FATAL
        if text == "warn":
            return cls.WARNING
        try:
            return cls(text)
        except ValueError:
            return cls.ERROR


_LEVEL_RANK = {Level.FATAL: 4, Level.ERROR: 3, Level.WARNING: 2, Level.INFO: 1, Level.DEBUG: 0}


class Status(StrEnum):
    UNRESOLVED = "unresolved"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)


IssueKey = tuple[Source, str]
"""An issue's identity across sources: (source, id)."""


class Issue(_Model):
    source: Source
    id: str
    service: str
    short_id: str
    title: str
    culprit: str = ""
    level: Level = Level.ERROR
    status: Status = Status.UNRESOLVED
    substatus: str | None = None
    assignee: str | None = None
    """Display name of the assignee ("jane@x.com", "#payments"), None when unassigned."""
    assignee_id: str | None = None
    """Sentry's actor id: "user:12" or "team:3"."""
    count: int = 0
    user_count: int = 0
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    release: str | None = None
    first_release: str | None = None
    environment: str | None = None
    permalink: str | None = None
    project: str | None = None
    platform: str | None = None
    priority: str | None = None
    is_bookmarked: bool = False
    has_seen: bool = False
    linked_ticket: str | None = None
    """URL of a linked GitHub issue, if any."""
    sentry_issue_id: str | None = None
    """For a relay issue: the Sentry issue its events resolved to, when known."""
    tags: dict[str, str] = Field(default_factory=dict)
    for_review: bool = False
    """Sentry's `inbox` is set: the issue waits in "For Review" until marked reviewed."""
    inbox_reason: str | None = None
    """Why it is for review (Sentry's GroupInboxReason name: "new", "regression", …)."""
    is_unhandled: bool = False
    status_details: dict[str, Any] = Field(default_factory=dict)
    """What the server stored with the status (e.g. {"ignoreCount": 100}, {"inRelease": "1.2"})."""
    stats_24h: list[int] = Field(default_factory=list)
    """Events per hour over the last 24 h, oldest first (Sentry's `stats["24h"]`)."""
    stats_30d: list[int] = Field(default_factory=list)
    """Events per day over the last 30 days, oldest first (the issue detail's
    `stats["30d"]`; empty when the answer had none, e.g. the issue list)."""

    @property
    def key(self) -> IssueKey:
        return (self.source, self.id)


class Frame(_Model):
    filename: str | None = None
    abs_path: str | None = None
    function: str | None = None
    module: str | None = None
    lineno: int | None = None
    colno: int | None = None
    in_app: bool = False
    context_line: str | None = None
    pre_context: list[str] = Field(default_factory=list)
    post_context: list[str] = Field(default_factory=list)
    vars: dict[str, Any] = Field(default_factory=dict)


class ExceptionValue(_Model):
    type: str | None = None
    value: str | None = None
    module: str | None = None
    mechanism: dict[str, Any] | None = None
    frames: list[Frame] = Field(default_factory=list)
    """Oldest call first, the crashing frame last (Sentry's order)."""


class Breadcrumb(_Model):
    timestamp: datetime | None = None
    type: str | None = None
    category: str | None = None
    level: Level = Level.INFO
    message: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Span(_Model):
    span_id: str
    trace_id: str
    parent_span_id: str | None = None
    op: str | None = None
    description: str | None = None
    start: datetime
    end: datetime
    status: str | None = None
    service: str | None = None
    project: str | None = None
    event_id: str | None = None
    """The transaction (or error event) this span belongs to."""
    issue_ids: list[str] = Field(default_factory=list)
    """Issues with errors inside this span."""

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start).total_seconds() * 1000.0


class Trace(_Model):
    trace_id: str
    spans: list[Span] = Field(default_factory=list)


class Event(_Model):
    event_id: str
    issue_id: str | None = None
    source: Source = Source.SENTRY
    service: str = ""
    project: str | None = None
    timestamp: datetime = Field(default_factory=utcnow)
    received: datetime | None = None
    level: Level = Level.ERROR
    type: Literal["error", "default", "transaction", "csp", "other"] = "error"
    title: str = ""
    message: str | None = None
    culprit: str | None = None
    platform: str | None = None
    exceptions: list[ExceptionValue] = Field(default_factory=list)
    """Chained exceptions, innermost cause first (Sentry's order)."""
    breadcrumbs: list[Breadcrumb] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    contexts: dict[str, Any] = Field(default_factory=dict)
    user: dict[str, Any] = Field(default_factory=dict)
    request: dict[str, Any] = Field(default_factory=dict)
    release: str | None = None
    dist: str | None = None
    environment: str | None = None
    transaction: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    spans: list[Span] = Field(default_factory=list)
    fingerprint: list[str] = Field(default_factory=list)
    sdk: dict[str, Any] = Field(default_factory=dict)
    next_event_id: str | None = None
    previous_event_id: str | None = None


class Member(_Model):
    id: str
    name: str
    email: str | None = None
    username: str | None = None

    @property
    def actor(self) -> str:
        return f"user:{self.id}"


class Team(_Model):
    id: str
    slug: str
    name: str = ""

    @property
    def actor(self) -> str:
        return f"team:{self.id}"


class Project(_Model):
    id: str
    slug: str
    name: str = ""
    platform: str | None = None


class Release(_Model):
    """One release of the org (`/organizations/{org}/releases/`)."""

    version: str
    short_version: str | None = None
    date_created: datetime | None = None
    projects: list[str] = Field(default_factory=list)
    """Slugs of the projects the release belongs to."""


class IssueView(_Model):
    """A named feed section: one of the org's saved issue views, or one from config.toml."""

    id: str
    name: str
    query: str = "is:unresolved"
    sort: str = "date"
    services: list[str] = Field(default_factory=list)
    """Empty: every service."""
    origin: Literal["sentry", "config"] = "config"


# --- deltas: what sources send to the feed --------------------------------------------


class IssueDelta(_Model):
    """A change set from one source: issues added/changed, and issues gone."""

    source: Source
    upserts: list[Issue] = Field(default_factory=list)
    removals: list[str] = Field(default_factory=list)
    """Ids (within `source`) of issues that no longer exist or no longer match."""


class SourceHealth(_Model):
    """What the UI banner shows about one source."""

    name: str
    """"sentry" or "relay"."""
    ok: bool = True
    last_success: datetime | None = None
    error: str | None = None
    detail: str = ""
    """Short human status: "polling every 10s", "3 subscribers"."""


# --- triage actions ----------------------------------------------------------------------


class ActionKind(StrEnum):
    RESOLVE = "resolve"
    RESOLVE_NEXT_RELEASE = "resolve_next_release"
    RESOLVE_IN_RELEASE = "resolve_in_release"
    UNRESOLVE = "unresolve"
    ARCHIVE = "archive"
    IGNORE = "archive"
    """Sentry's former name for ARCHIVE (the same member)."""
    ASSIGN = "assign"
    BOOKMARK = "bookmark"
    MARK_SEEN = "mark_seen"
    SET_PRIORITY = "set_priority"
    REVIEW = "review"
    """Mark reviewed (Sentry's `inbox: false`); with `for_review=True`, back to For Review."""
    NOTE = "note"
    LINK_TICKET = "link_ticket"
    CREATE_TICKET = "create_ticket"
    """Create a GitHub issue (`Action.ticket`), then link it like LINK_TICKET."""
    UNLINK_TICKET = "unlink_ticket"
    """Undo of LINK_TICKET: the link `text` is removed (the ticket stays as it is)."""
    CLOSE_TICKET = "close_ticket"
    """Undo of CREATE_TICKET: the created ticket is closed (not planned) and unlinked."""

    @classmethod
    def _missing_(cls, value: object) -> ActionKind | None:
        # outbox and audit rows written before archive was renamed
        return cls.ARCHIVE if value == "ignore" else None


PRIORITIES = ("high", "medium", "low")
"""Sentry's issue priorities (src/sentry/types/group.py PriorityLevel), highest first."""


class IgnoreSpec(_Model):
    """How an issue is archived (Sentry's ignore options).

    `until_escalating`: until Sentry sees it escalate (Sentry's default).  Otherwise the
    conditions; all None (and not until escalating) means "forever".
    """

    until_escalating: bool = False
    duration_min: int | None = None
    count: int | None = None
    window_min: int | None = None
    user_count: int | None = None
    user_window_min: int | None = None

    @property
    def forever(self) -> bool:
        return not self.until_escalating and not self.has_condition

    @property
    def has_condition(self) -> bool:
        return any(
            v is not None
            for v in (
                self.duration_min,
                self.count,
                self.window_min,
                self.user_count,
                self.user_window_min,
            )
        )

    @property
    def substatus(self) -> str:
        """The substatus Sentry stores for this archive."""
        if self.has_condition:
            return "archived_until_condition_met"
        if self.until_escalating:
            return "archived_until_escalating"
        return "archived_forever"


class TicketSpec(_Model):
    """A GitHub issue to create, as the preview left it."""

    repo: str
    """owner/name"""
    title: str
    body: str
    labels: list[str] = Field(default_factory=list)


class TicketRef(_Model):
    """A GitHub issue that exists: where it is and its web page."""

    repo: str
    number: int
    url: str


class Action(_Model):
    """One user intent, as stored in the outbox and the audit log."""

    id: str
    """uuid4 hex; the idempotency key."""
    kind: ActionKind
    issues: list[tuple[Source, str]]
    ignore: IgnoreSpec | None = None
    assign_to: str | None = None
    """Actor ("user:12", "team:3") for ASSIGN; None clears the assignee."""
    assign_label: str | None = None
    bookmark: bool | None = None
    priority: str | None = None
    """high / medium / low for SET_PRIORITY."""
    release: str | None = None
    """The release version for RESOLVE_IN_RELEASE."""
    for_review: bool | None = None
    """REVIEW: False marks reviewed, True puts the issue back For Review (undo)."""
    substatus: str | None = None
    """UNRESOLVE: the unresolved substatus to restore (undo); None means "ongoing"."""
    text: str | None = None
    """Note text, or the ticket URL for LINK_TICKET / UNLINK_TICKET."""
    ticket: TicketSpec | None = None
    """CREATE_TICKET: the GitHub issue to create."""
    ticket_ref: TicketRef | None = None
    """CLOSE_TICKET: the ticket to close (else the one its `undo_of` action created)."""
    created: datetime = Field(default_factory=utcnow)
    actor: str = "me"
    undo_of: str | None = None
