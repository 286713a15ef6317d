"""Sentry's JSON payloads (pydantic, lenient) and their mapping to domain models.

Only the fields sxtriage reads are declared; everything else is ignored, so additions
on Sentry's side never break us.  A payload missing a field we need fails validation
and the caller skips that one item.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, Field, field_validator

from sxtriage.models import (
    Issue,
    IssueView,
    Level,
    Member,
    Project,
    Release,
    Source,
    Status,
    Team,
)
from sxtriage.sentry.wire_base import Wire, either
from sxtriage.sentry.wire_event import (  # noqa: F401  (re-exported: one import for callers)
    WireEvent,
    to_event,
    to_trace,
    trace_spans,
)


class WireActor(Wire):
    type: str
    id: str
    name: str = ""
    email: str | None = None


class WireProjectRef(Wire):
    id: str
    slug: str
    name: str = ""
    platform: str | None = None


class WireIssue(Wire):
    id: str
    shortId: str
    title: str
    culprit: str | None = None
    level: str | None = None
    status: str = "unresolved"
    substatus: str | None = None
    assignedTo: WireActor | None = None
    count: int = 0
    userCount: int = Field(default=0, validation_alias=AliasChoices("userCount", "user_count"))
    firstSeen: datetime | None = None
    lastSeen: datetime | None = None
    permalink: str | None = None
    project: WireProjectRef
    platform: str | None = None
    priority: str | None = None
    isBookmarked: bool = False
    hasSeen: bool = False
    firstRelease: dict[str, Any] | None = None
    lastRelease: dict[str, Any] | None = None
    # GlitchTip's single-issue PUT answers some fields in snake_case.
    statusDetails: dict[str, Any] | None = either("statusDetails", "status_details")
    isUnhandled: bool = False
    inbox: dict[str, Any] | None = None
    """Set (with `reason`) while the issue is For Review (`expand=inbox`)."""
    stats: dict[str, Any] | None = None
    """{"24h": [[epoch_s, count], …]} with `groupStatsPeriod=24h`."""

    @field_validator("count", "userCount", mode="before")
    @classmethod
    def _count(cls, v: Any) -> Any:
        return 0 if v is None else v

    @field_validator("isUnhandled", "isBookmarked", "hasSeen", mode="before")
    @classmethod
    def _flag(cls, v: Any) -> Any:
        return bool(v) if v is None or isinstance(v, bool | int) else v


def _status(value: str) -> Status:
    if value == "resolved":
        return Status.RESOLVED
    if value in ("ignored", "muted"):
        return Status.IGNORED
    return Status.UNRESOLVED


# src/sentry/models/groupinbox.py (GroupInboxReason): the number Sentry sends → its name.
_INBOX_REASONS = {
    0: "new",
    1: "unignored",
    2: "regression",
    3: "manual",
    4: "reprocessed",
    5: "escalating",
    6: "ongoing",
}


def _inbox_reason(inbox: dict[str, Any] | None) -> str | None:
    if not inbox:
        return None
    reason = inbox.get("reason")
    if isinstance(reason, int) and not isinstance(reason, bool):
        return _INBOX_REASONS.get(reason, "unknown")
    return str(reason) if reason is not None else "unknown"


def _stats_24h(stats: dict[str, Any] | None, period: str = "24h") -> list[int]:
    """One period's buckets ([[ts, count], …]) as counts, oldest first.  The group detail
    answers "24h" (hourly) and "30d" (daily) unless `collapse=stats`
    (src/sentry/issues/endpoints/group_details.py); the list only its groupStatsPeriod."""
    buckets = (stats or {}).get(period)
    out: list[int] = []
    for b in buckets if isinstance(buckets, list) else []:
        if isinstance(b, list | tuple) and len(b) == 2 and isinstance(b[1], int | float):
            out.append(max(0, int(b[1])))
    return out


def _assignee(actor: WireActor | None) -> tuple[str | None, str | None]:
    if actor is None:
        return None, None
    if actor.type == "team":
        return f"#{actor.name}", f"team:{actor.id}"
    return actor.email or actor.name, f"user:{actor.id}"


def to_issue(w: WireIssue, project_service: dict[str, str]) -> Issue:
    label, actor = _assignee(w.assignedTo)
    now = datetime.now(UTC)
    return Issue(
        source=Source.SENTRY,
        id=w.id,
        service=project_service.get(w.project.slug, w.project.slug),
        short_id=w.shortId,
        title=w.title,
        culprit=w.culprit or "",
        level=Level.parse(w.level),
        status=_status(w.status),
        substatus=w.substatus,
        assignee=label,
        assignee_id=actor,
        count=w.count,
        user_count=w.userCount,
        first_seen=w.firstSeen or now,
        last_seen=w.lastSeen or now,
        release=(w.lastRelease or {}).get("version"),
        first_release=(w.firstRelease or {}).get("version"),
        permalink=w.permalink,
        project=w.project.slug,
        platform=w.platform or w.project.platform,
        priority=w.priority,
        is_bookmarked=w.isBookmarked,
        has_seen=w.hasSeen,
        for_review=bool(w.inbox),
        inbox_reason=_inbox_reason(w.inbox),
        is_unhandled=w.isUnhandled,
        status_details=w.statusDetails or {},
        stats_24h=_stats_24h(w.stats),
        stats_30d=_stats_24h(w.stats, "30d"),
    )


class WireUser(Wire):
    id: str
    name: str = ""
    username: str | None = None
    email: str | None = None


class WireMember(Wire):
    id: str
    email: str | None = None
    name: str = ""
    user: WireUser | None = None


def to_member(w: WireMember) -> Member:
    user = w.user
    return Member(
        id=user.id if user else w.id,
        name=(user.name if user else "") or w.name or (w.email or ""),
        email=(user.email if user else None) or w.email,
        username=user.username if user else None,
    )


class WireTeam(Wire):
    id: str
    slug: str
    name: str = ""


def to_team(w: WireTeam) -> Team:
    return Team(id=w.id, slug=w.slug, name=w.name)


def to_project(w: WireProjectRef) -> Project:
    return Project(id=w.id, slug=w.slug, name=w.name, platform=w.platform)


# --- releases and issue views -------------------------------------------------------------


class WireReleaseProject(Wire):
    slug: str


class WireReleaseItem(Wire):
    """src/sentry/api/serializers/models/release.py (version, shortVersion, projects)."""

    version: str
    shortVersion: str | None = None
    dateCreated: datetime | None = either("dateCreated", "date_created")
    projects: list[WireReleaseProject] = Field(default_factory=list)


def to_release(w: WireReleaseItem) -> Release:
    return Release(
        version=w.version,
        short_version=w.shortVersion,
        date_created=w.dateCreated,
        projects=[p.slug for p in w.projects],
    )


class WireIssueView(Wire):
    """src/sentry/api/serializers/models/groupsearchview.py (GroupSearchViewSerializer)."""

    id: str
    name: str
    query: str = ""
    querySort: str = "date"
    projects: list[str] = Field(default_factory=list)
    """Project ids."""


def to_view(
    w: WireIssueView,
    project_service: dict[str, str],
    slug_of: Any,
) -> IssueView:
    services: list[str] = []
    for pid in w.projects:
        if pid == "-1":
            continue
        slug = slug_of(pid)
        if slug is not None:
            name = project_service.get(slug, slug)
            if name not in services:
                services.append(name)
    return IssueView(
        id=f"sentry:{w.id}",
        name=w.name,
        query=w.query,
        sort=w.querySort or "date",
        services=services,
        origin="sentry",
    )
