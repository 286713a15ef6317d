"""`:` jumps: what the user typed (a short id, a Sentry URL, an event or trace id) → where to go.

`parse_target` is pure and cheap (it runs on every palette keystroke); `resolve` asks the
feed first and then the server (`shortids`, `eventids`, the trace), so an issue that is not
loaded can still be opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlsplit

from sxtriage.models import Issue, IssueKey, Source

Kind = Literal["short_id", "issue_id", "event_id", "hex_id", "trace_id"]

_SHORT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*-[A-Za-z0-9]+$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# /organizations/{org}/issues/{id}/, /issues/{id}/events/{event}/, /{project}/issues/{id}
_URL_ISSUE = re.compile(r"/issues/(\d+)(?:/events/([0-9a-fA-F-]{32,36}))?")
_URL_TRACE = re.compile(r"/(?:performance/)?trace/([0-9a-fA-F]{32})")


@dataclass(frozen=True)
class Target:
    kind: Kind
    value: str
    event_id: str | None = None
    """An event inside the issue (a Sentry event URL)."""


def parse_target(text: str) -> Target | None:
    """What `text` names, or None when it is not an id or a Sentry URL."""
    raw = text.strip()
    if not raw or len(raw) > 2048 or any(c.isspace() for c in raw):
        return None
    if raw.startswith(("http://", "https://")):
        path = urlsplit(raw).path
        if m := _URL_ISSUE.search(path):
            event = m.group(2).replace("-", "").lower() if m.group(2) else None
            return Target("issue_id", m.group(1), event)
        if m := _URL_TRACE.search(path):
            return Target("trace_id", m.group(1).lower())
        return None
    if _UUID.match(raw):
        return Target("event_id", raw.replace("-", "").lower())
    if _HEX32.match(raw):
        # An event id and a trace id look the same: the event lookup goes first.
        return Target("hex_id", raw.lower())
    if _SHORT_ID.match(raw) and any(c.isdigit() or c.isupper() for c in raw.split("-")[-1]):
        return Target("short_id", raw.upper())
    return None


class JumpServer(Protocol):
    """What `resolve` needs from the Sentry source."""

    async def resolve_short_id(self, short_id: str) -> Issue | None: ...

    async def resolve_event_id(self, event_id: str) -> str | None: ...

    async def get_issue(self, issue_id: str) -> Issue: ...


@dataclass(frozen=True)
class Jump:
    """Where to go: an issue (maybe at one event), or a trace."""

    key: IssueKey | None = None
    issue: Issue | None = None
    """The issue when it had to be fetched (not in the feed yet)."""
    event_id: str | None = None
    trace_id: str | None = None
    error: str | None = None


def _local(issues: Iterable[Issue], target: Target) -> Issue | None:
    for issue in issues:
        if target.kind == "short_id" and issue.short_id.upper() == target.value:
            return issue
        if target.kind == "issue_id" and issue.source is Source.SENTRY and issue.id == target.value:
            return issue
    return None


async def resolve(target: Target, issues: Iterable[Issue], server: JumpServer | None) -> Jump:
    """Find the target: in the loaded issues first, then on the server."""
    from sxtriage.sentry.errors import NotFound, SentryError

    issues = list(issues)
    if hit := _local(issues, target):
        return Jump(key=hit.key, event_id=target.event_id)
    try:
        if target.kind == "short_id":
            if server is None:
                return Jump(error=f"{target.value}: not in the feed and no Sentry is configured")
            issue = await server.resolve_short_id(target.value)
            if issue is None:
                return Jump(error=f"{target.value}: no such issue in the org")
            return Jump(key=issue.key, issue=issue)
        if target.kind == "issue_id":
            if server is None:
                return Jump(error=f"issue {target.value}: no Sentry is configured")
            issue = await server.get_issue(target.value)
            return Jump(key=issue.key, issue=issue, event_id=target.event_id)
        if target.kind == "trace_id":
            return Jump(trace_id=target.value)
        if server is not None:
            group = await server.resolve_event_id(target.value)
            if group is not None:
                issue = await server.get_issue(group)
                return Jump(key=issue.key, issue=issue, event_id=target.value)
        if target.kind == "hex_id":
            return Jump(trace_id=target.value)
        return Jump(error=f"event {target.value}: not found in the org")
    except NotFound:
        return Jump(error=f"{target.value}: not found (it may be deleted or out of retention)")
    except SentryError as exc:
        return Jump(error=f"{target.value}: {exc}")
