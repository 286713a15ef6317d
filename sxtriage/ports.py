"""The session's ports: what the running session, the UI and triage ask of each source.

Each is a `Protocol`: the Sentry API client (`sentry/client.py`), the relay sources (the
SSE `relay/client.py` and the in-process `relay/inproc.py`), the detail lookups of both,
and GitHub (`triage/github.py`) satisfy them structurally; tests hand in their own.
Sources push what they learn through the sinks of `sinks.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sxtriage.models import (
    Event,
    Issue,
    IssueView,
    Member,
    Release,
    SourceHealth,
    Team,
    Trace,
)
from sxtriage.sinks import DeltaSink, EventSink, HealthSink

if TYPE_CHECKING:
    from sxtriage.sentry.capabilities import Capabilities
    from sxtriage.sentry.update import IssueUpdate
    from sxtriage.triage.github import GitHubIssue


@runtime_checkable
class DetailSource(Protocol):
    """One issue's events and traces, for the issue screen (Sentry's API or the relay)."""

    async def latest_event(self, issue: Issue) -> Event | None: ...

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]: ...

    async def event(self, issue: Issue, event_id: str) -> Event | None: ...

    async def trace(self, trace_id: str) -> Trace | None: ...


class SentrySource(Protocol):
    """The part of `SentryClient` the session, the UI and triage use."""

    @property
    def capabilities(self) -> Capabilities: ...

    async def detect(self) -> Capabilities: ...

    async def list_issue_views(self) -> list[IssueView]: ...

    async def get_issue(self, issue_id: str) -> Issue: ...

    async def resolve_short_id(self, short_id: str) -> Issue | None: ...

    async def resolve_event_id(self, event_id: str) -> str | None: ...

    async def update_issue(self, issue_id: str, update: IssueUpdate) -> Issue: ...

    async def bulk_update(self, issue_ids: list[str], update: IssueUpdate) -> list[Issue]: ...

    async def add_note(self, issue_id: str, text: str) -> None: ...

    async def list_members(self) -> list[Member]: ...

    async def list_teams(self) -> list[Team]: ...

    async def list_releases(
        self, project: str | None = None, query: str | None = None, limit: int = 50
    ) -> list[Release]: ...

    async def aclose(self) -> None: ...


class IssuePoller(Protocol):
    """Keeps the feed in step with Sentry (`sentry/poller.py`)."""

    polls: int

    async def run(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def set_query(self, query: str) -> None: ...


class RelaySource(DetailSource, Protocol):
    """A relay's live issues and events (ours, embedded or not, or a Spotlight sidecar)."""

    health: SourceHealth

    async def run(
        self,
        on_delta: DeltaSink,
        on_event: EventSink | None = None,
        on_health: HealthSink | None = None,
    ) -> None: ...

    async def list_issues(self) -> list[Issue]: ...

    async def update_issue(
        self, issue_id: str, *, status: str | None = None, assignee: str | None = None
    ) -> Issue: ...

    async def aclose(self) -> None: ...


class GitHubSource(Protocol):
    """GitHub's issues REST API, as triage uses it."""

    async def create_issue(
        self, repo: str, title: str, body: str, labels: list[str] | None = None
    ) -> GitHubIssue: ...

    async def get_issue(self, repo: str, number: int) -> GitHubIssue: ...

    async def find_open_issue(self, repo: str, short_id: str) -> GitHubIssue | None: ...

    async def aclose(self) -> None: ...


class EmbeddedService(Protocol):
    """Something the session started and stops last (an embedded relay server)."""

    async def stop(self) -> None: ...
