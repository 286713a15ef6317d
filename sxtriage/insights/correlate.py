"""Cross-service correlation: which issues share traces, and which release brought them.

`Correlator` keeps an index trace id → issues, updated as events arrive (O(1) amortized
per event, bounded in memory), so the "Related across services" panel and the feed's
multi-service marker never scan events.  `ReleaseTracker` remembers, per service, the
releases seen and when each was first *received*; an issue first seen shortly after a
new release is marked "new in web@2.3.0".

All strings here come from events and are untrusted: they are kept verbatim and only
made printable (`insights/traces.py` `printable`) for display; nothing is ever parsed
as markup.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sxtriage.insights.releases import ReleaseInfo, ReleaseTracker
from sxtriage.insights.traces import (
    OK_STATUSES,
    SpanFailure,
    event_trace_id,
    failing_span,
    normalize_trace_id,
)
from sxtriage.models import Event, Issue, IssueDelta, IssueKey, Source, Trace
from sxtriage.store import Store

__all__ = ["Correlator", "Related", "ReleaseInfo", "ReleaseTracker"]


@dataclass(slots=True)
class _TraceEntry:
    issues: dict[IssueKey, int] = field(default_factory=dict)
    """Issue → events of it in this trace."""
    failures: dict[str, SpanFailure] = field(default_factory=dict)
    """Service → its earliest failing span."""


@dataclass(slots=True)
class _IssueInfo:
    service: str
    short_id: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class Related:
    """One row of the "Related across services" panel."""

    key: IssueKey
    service: str
    short_id: str
    title: str
    shared_traces: int
    first_failing_span: str | None


class Correlator:
    """Trace id → issues index, multi-service groups, releases and suspect releases."""

    def __init__(
        self,
        *,
        release_window: float = 1800.0,
        max_traces: int = 200_000,
        max_traces_per_issue: int = 20_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.release_window = release_window
        """Seconds after a release's first sighting in which a new issue is blamed on it."""
        self.release_slack = 5.0
        """Tolerance between receive time and the issue's (server-side) first_seen."""
        self.releases = ReleaseTracker()
        self._max_traces = max_traces
        self._max_per_issue = max_traces_per_issue
        self._clock = clock
        self._traces: dict[str, _TraceEntry] = {}
        self._issue_traces: dict[IssueKey, dict[str, None]] = {}
        self._info: dict[IssueKey, _IssueInfo] = {}
        self._cross: dict[IssueKey, int] = {}
        self._counted: set[IssueKey] = set()
        self._waiting: dict[tuple[str, str], dict[IssueKey, Issue]] = {}
        """Issues whose first release has not been seen on an event yet."""

    # --- inputs ------------------------------------------------------------------------
    def observe_event(
        self, event: Event, issue_key: IssueKey | None, received: float | None = None
    ) -> None:
        """Index one event or transaction; O(1) amortized (plus its own spans)."""
        service = event.service or event.project or "unknown"
        t = (
            received
            if received is not None
            else (event.received.timestamp() if event.received is not None else self._clock())
        )
        self.releases.observe(service, event.release, t)
        self._release_seen(service, event.release)
        if issue_key is not None and issue_key not in self._info:
            self._info[issue_key] = _IssueInfo(service, title=event.title)
        trace_id = event_trace_id(event)
        if trace_id is None:
            return
        entry = self._entry(trace_id)
        if issue_key is not None:
            self._link(trace_id, entry, issue_key)
            entry.issues[issue_key] = entry.issues.get(issue_key, 0) + 1
        for failure in failing_span(event, service):
            current = entry.failures.get(failure.service)
            if current is None or failure.start < current.start:
                entry.failures[failure.service] = failure

    async def load_from_store(
        self, store: Store, *, since: float, limit: int = 200_000, chunk: int = 5_000
    ) -> int:
        """Rebuild the index from the relay's stored events received after `since`
        (a restart loses nothing); yields to the event loop every `chunk` rows."""
        rows = await store.query(
            "SELECT service, issue_id, received, trace_id, release FROM events "
            "WHERE received >= ? AND type != 'span' ORDER BY received LIMIT ?",
            (since, limit),
        )
        for n, (service, issue_id, received, trace_id, release) in enumerate(rows, start=1):
            service = str(service or "unknown")
            version = release if isinstance(release, str) else None
            self.releases.observe(service, version, received)
            self._release_seen(service, version)
            tid = normalize_trace_id(trace_id)
            if issue_id and tid is not None:
                key = (Source.RELAY, str(issue_id))
                self._info.setdefault(key, _IssueInfo(service))
                entry = self._entry(tid)
                self._link(tid, entry, key)
                entry.issues[key] = entry.issues.get(key, 0) + 1
            if n % chunk == 0:
                await asyncio.sleep(0)
        return len(rows)

    def observe_trace(self, trace: Trace, source: Source = Source.SENTRY) -> None:
        """A trace fetched from Sentry (`trace/{id}/`): spans name the issues inside them."""
        trace_id = normalize_trace_id(trace.trace_id)
        if trace_id is None:
            return
        entry = self._entry(trace_id)
        for span in trace.spans:
            service = span.service or span.project or "unknown"
            for issue_id in span.issue_ids:
                key = (source, str(issue_id))
                self._info.setdefault(key, _IssueInfo(service))
                self._link(trace_id, entry, key)
                entry.issues.setdefault(key, 1)
            if str(span.status).lower() not in OK_STATUSES and span.status is not None:
                failure = SpanFailure(
                    service,
                    span.op or "",
                    span.description or "",
                    str(span.status),
                    span.start.timestamp(),
                )
                current = entry.failures.get(service)
                if current is None or failure.start < current.start:
                    entry.failures[service] = failure

    def observe_issue(self, issue: Issue) -> None:
        """Titles/short ids for the panel; counts new issues per suspect release."""
        info = self._info.get(issue.key)
        if info is None:
            self._info[issue.key] = _IssueInfo(issue.service, issue.short_id, issue.title)
        else:
            info.service, info.short_id, info.title = issue.service, issue.short_id, issue.title
        if issue.key in self._counted:
            return
        if issue.first_release and self.releases.get(issue.service, issue.first_release) is None:
            # The issue arrived before any event of its release: count it when one does.
            self._waiting.setdefault((issue.service, issue.first_release), {})[issue.key] = issue
            return
        self._counted.add(issue.key)
        release = self._suspect(issue)
        if release is not None:
            release.new_issues += 1

    def _release_seen(self, service: str, version: str | None) -> None:
        if self._waiting and version:
            waiting = self._waiting.pop((service, version), None)
            for issue in (waiting or {}).values():
                self.observe_issue(issue)

    def observe_delta(self, delta: IssueDelta) -> None:
        for issue in delta.upserts:
            self.observe_issue(issue)

    # --- the index ---------------------------------------------------------------------
    def _entry(self, trace_id: str) -> _TraceEntry:
        entry = self._traces.get(trace_id)
        if entry is None:
            if len(self._traces) >= self._max_traces:
                self._evict_oldest_trace()
            entry = self._traces[trace_id] = _TraceEntry()
        return entry

    def _service(self, key: IssueKey) -> str:
        info = self._info.get(key)
        return info.service if info is not None else ""

    def _link(self, trace_id: str, entry: _TraceEntry, key: IssueKey) -> None:
        if key in entry.issues:
            return
        service = self._service(key)
        for other in entry.issues:
            if self._service(other) != service:
                self._cross[key] = self._cross.get(key, 0) + 1
                self._cross[other] = self._cross.get(other, 0) + 1
        entry.issues[key] = 0
        traces = self._issue_traces.setdefault(key, {})
        traces[trace_id] = None
        if len(traces) > self._max_per_issue:
            oldest = next(iter(traces))
            self._unlink(oldest, key)

    def _unlink(self, trace_id: str, key: IssueKey) -> None:
        self._issue_traces.get(key, {}).pop(trace_id, None)
        entry = self._traces.get(trace_id)
        if entry is None or entry.issues.pop(key, None) is None:
            return
        service = self._service(key)
        for other in entry.issues:
            if self._service(other) != service:
                self._cross[key] -= 1
                self._cross[other] -= 1

    def _evict_oldest_trace(self) -> None:
        trace_id = next(iter(self._traces))
        for key in list(self._traces[trace_id].issues):
            self._unlink(trace_id, key)
        del self._traces[trace_id]

    # --- queries -----------------------------------------------------------------------
    def related(self, key: IssueKey, *, limit: int = 20) -> list[Related]:
        """Issues of *other* services sharing traces with `key`, most shared first."""
        service = self._service(key)
        shared: dict[IssueKey, int] = {}
        first: dict[IssueKey, SpanFailure] = {}
        traces = self._traces
        for trace_id in self._issue_traces.get(key, ()):
            entry = traces.get(trace_id)
            if entry is None or len(entry.issues) < 2:
                continue
            for other in entry.issues:
                other_service = self._service(other)
                if other_service == service:
                    continue
                shared[other] = shared.get(other, 0) + 1
                failure = entry.failures.get(other_service)
                if failure is not None:
                    best = first.get(other)
                    if best is None or failure.start < best.start:
                        first[other] = failure
        ordered = sorted(shared.items(), key=lambda kv: (-kv[1], self._service(kv[0]), kv[0][1]))
        out = []
        for other, count in ordered[:limit]:
            info = self._info.get(other) or _IssueInfo("")
            failure = first.get(other)
            out.append(
                Related(
                    key=other,
                    service=info.service,
                    short_id=info.short_id or other[1],
                    title=info.title,
                    shared_traces=count,
                    first_failing_span=failure.label() if failure is not None else None,
                )
            )
        return out

    def group_of(self, key: IssueKey) -> list[IssueKey]:
        """`key` and the issues of other services sharing its traces (one incident)."""
        if not self.is_multi_service(key):
            return [key]
        return [key, *(r.key for r in self.related(key, limit=50))]

    def is_multi_service(self, key: IssueKey) -> bool:
        """O(1): does this issue share a trace with another service's issue?"""
        return self._cross.get(key, 0) > 0

    def traces_of(self, key: IssueKey) -> int:
        return len(self._issue_traces.get(key, ()))

    # --- releases ----------------------------------------------------------------------
    def _suspect(self, issue: Issue) -> ReleaseInfo | None:
        first_seen = issue.first_seen.timestamp()
        if issue.first_release:
            info = self.releases.get(issue.service, issue.first_release)
            if info is None or info.baseline:
                return None
            elapsed = first_seen - info.first_seen
            return info if -self.release_slack <= elapsed <= self.release_window else None
        return self.releases.suspect(
            issue.service, first_seen, self.release_window, self.release_slack
        )

    def suspect_release(self, issue: Issue) -> str | None:
        """ "web@2.3.0" when the issue first appeared within the window after that
        release was first seen (and not before it); None otherwise."""
        info = self._suspect(issue)
        return info.version if info is not None else None

    def resolve_release(self, value: str, service: str) -> str | None:
        """`latest` → the service's newest release; any other value as is."""
        if value.lower() == "latest":
            return self.releases.latest(service)
        return value

    def release_matcher(self, field_name: str, value: str) -> Callable[[Issue], bool]:
        """A predicate for the filter terms `release:X` and `firstRelease:X` (X may be
        `latest`); raises ValueError for other fields."""
        if field_name == "release":

            def match_release(issue: Issue) -> bool:
                wanted = self.resolve_release(value, issue.service)
                return wanted is not None and issue.release == wanted

            return match_release
        if field_name in ("firstRelease", "first_release", "firstrelease"):

            def match_first(issue: Issue) -> bool:
                wanted = self.resolve_release(value, issue.service)
                if wanted is None:
                    return False
                return issue.first_release == wanted or self.suspect_release(issue) == wanted

            return match_first
        raise ValueError(f"{field_name!r} is not a release filter; use release: or firstRelease:")
