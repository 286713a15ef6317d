"""Incremental poller of Sentry issues: one request per interval for the whole org.

The first poll pages through the unresolved issues of the configured services' projects
(progress in `health.detail`).  Later polls ask only for issues seen after the newest
`lastSeen` already known (`query=lastSeen:>T`, `sort=date`, no status filter, so an
issue that changed status *and* got events arrives with its new status); an idle poll
answers `[]`.  A server without `lastSeen:>T` (GlitchTip reads it as a tag) is asked for
its issues by `-last_seen` instead, page after page until one reaches the watermark.
Every `reconcile_every` seconds the unresolved set is listed again so
issues resolved/ignored/reassigned elsewhere arrive as upserts, deleted ones as removals,
and events that arrived late (an event's timestamp older than the newest `lastSeen`)
are counted in.

The interval adapts: halved when something changed, relaxed ×1.25 when idle, doubled
when the rate-limit budget runs low, and exponential backoff on errors (a bad token
waits at least a minute: no tight retry loop).  Only deltas are emitted, never
snapshots.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sxtriage.config import Settings
from sxtriage.models import Issue, IssueDelta, Source, SourceHealth, Status
from sxtriage.sentry.capabilities import Feature
from sxtriage.sentry.client import SentryClient
from sxtriage.sentry.errors import (
    AuthError,
    NotFound,
    PermissionDenied,
    RateLimited,
    SentryError,
    UnknownProject,
)
from sxtriage.sinks import DeltaSink, HealthSink

log = logging.getLogger("sxtriage.sentry.poller")

_Fingerprint = tuple[object, ...]
CONFIG_ERRORS = (AuthError, PermissionDenied, NotFound, UnknownProject)
SEARCH_PAGES = 3
"""A filter searched on the server brings at most this many pages (300 issues)."""
WATERMARK_PAGES = 10
"""Without `lastSeen:>T` (GlitchTip), at most this many pages of -last_seen per poll."""


def fingerprint(issue: Issue) -> _Fingerprint:
    return (
        issue.status,
        issue.substatus,
        issue.assignee_id,
        issue.count,
        issue.user_count,
        issue.last_seen,
        issue.is_bookmarked,
        issue.has_seen,
        issue.priority,
        issue.level,
        issue.title,
    )


def search_time(dt: datetime) -> str:
    """Sentry's search syntax wants ISO-8601 with microseconds and a zone."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SentryPoller:
    def __init__(
        self,
        client: SentryClient,
        settings: Settings,
        on_delta: DeltaSink,
        on_health: HealthSink | None = None,
        *,
        min_interval: float | None = None,
        max_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        reconcile_every: float = 300.0,
        error_floor: float = 60.0,
    ) -> None:
        self.client = client
        self.settings = settings
        self.on_delta = on_delta
        self.on_health = on_health
        self.base_interval = settings.poll_interval
        self.min_interval = (
            min_interval if min_interval is not None else max(1.0, self.base_interval / 5)
        )
        self.max_interval = max_interval if max_interval is not None else self.base_interval * 6
        self.interval = min(max(self.base_interval, self.min_interval), self.max_interval)
        self.reconcile_every = reconcile_every
        self.error_floor = error_floor
        self.clock = clock
        self.projects = settings.sentry_projects
        self.health = SourceHealth(name="sentry", ok=True, detail="starting")
        self.loaded = 0
        self.polls = 0
        self.errors = 0
        self.known: dict[str, _Fingerprint] = {}
        self.unresolved: set[str] = set()
        self.newest: datetime | None = None
        self._cold_done = False
        self._last_reconcile: float | None = None
        self._last_success: float | None = None
        self._paused = False
        self._search_query = ""
        self._search_pending = False
        self.search_error: str | None = None
        """Why the server refused the last filter (its own reason), or None."""
        self.searched = 0
        """Issues the last server-side search answered."""
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    # --- control ------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        self._paused = True
        self._set_health(detail="paused")

    def resume(self) -> None:
        self._paused = False
        self._wake.set()

    @property
    def stale(self) -> bool:
        """True when the last success is older than three intervals (or never)."""
        if self._last_success is None:
            return True
        return self.clock() - self._last_success > 3 * max(self.interval, self.base_interval)

    async def poll_now(self) -> int:
        """Poll at once (even while paused); the number of issues that changed."""
        async with self._lock:
            return await self._poll()

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            if self._paused:
                self._wake.clear()
                await self._wake.wait()
                continue
            delay = self.interval
            try:
                async with self._lock:
                    await self._poll()
            except asyncio.CancelledError:
                raise
            except SentryError as exc:
                delay = self._on_error(exc)
            except Exception as exc:  # a bug must not kill the live feed
                log.exception("poll failed")
                delay = self._on_error(SentryError(f"internal error while polling: {exc}"))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    # --- one poll ---------------------------------------------------------------------------
    def set_query(self, query: str) -> None:
        """The filter changed: search the whole org for it on the next poll (at once).

        The matches are upserted into the feed, so an issue that was never loaded (an old
        resolved one, one beyond the first pages) shows when it matches; the feed still
        filters locally.  Polls stay incremental and unfiltered.
        """
        query = " ".join(query.split())
        if query == self._search_query:
            return
        self._search_query = query
        self.search_error = None
        self._search_pending = bool(query) and query != "is:unresolved"
        if self._search_pending:
            self._wake.set()

    async def _search(self) -> int:
        self._search_pending = False
        query = self.client.wire.server_query(self._search_query)
        if not query:
            return 0
        changed = pages = found = 0
        try:
            async for page in self.client.iter_issues(
                query=query, projects=self.projects, sort="date", limit=100
            ):
                found += len(page.items)
                changed += await self._emit(self.process(page.items))
                pages += 1
                if pages >= SEARCH_PAGES:
                    break
        except SentryError as exc:
            if exc.status != 400:
                raise
            # The server refused the query: say its reason; the source itself is fine.
            self.search_error = exc.detail or str(exc)
            self._set_health(detail=f"search refused: {self.search_error}")
            return changed
        self.searched = found
        return changed

    async def _poll(self) -> int:
        self.polls += 1
        if self._cold_done and self._search_pending:
            changed = await self._search() + await self._incremental()
        elif not self._cold_done:
            changed = await self._cold_load()
        elif (
            self._last_reconcile is not None
            and self.clock() - self._last_reconcile >= self.reconcile_every
        ):
            changed = await self._incremental() + await self._reconcile()
        else:
            changed = await self._incremental()
        self._on_success(changed)
        return changed

    async def _cold_load(self) -> int:
        self.loaded = 0
        await self.client.detect()
        self._set_health(detail="loading issues…")
        changed = 0
        async for page in self.client.iter_issues(
            query="is:unresolved", projects=self.projects, sort="date", limit=100
        ):
            changed += await self._emit(self.process(page.items))
            self.loaded += len(page.items)
            self._set_health(ok=True, detail=f"loading… {self.loaded} issues")
        if self.newest is None:
            self.newest = datetime.now(UTC)
        self._last_reconcile = self.clock()
        self._cold_done = True
        return changed

    async def _incremental(self) -> int:
        assert self.newest is not None
        if not self.client.capabilities.has(Feature.INCREMENTAL_LAST_SEEN):
            return await self._incremental_by_order(self.newest)
        changed = 0
        async for page in self.client.iter_issues(
            query=f"lastSeen:>{search_time(self.newest)}",
            projects=self.projects,
            sort="date",
            limit=100,
        ):
            changed += await self._emit(self.process(page.items))
        return changed

    async def _incremental_by_order(self, watermark: datetime) -> int:
        """Newest-first pages (any status) until an issue at or before the watermark."""
        changed = 0
        pages = 0
        async for page in self.client.iter_issues(
            query="", projects=self.projects, sort="date", limit=100
        ):
            pages += 1
            fresh = [i for i in page.items if i.last_seen >= watermark]
            changed += await self._emit(self.process(fresh))
            if len(fresh) < len(page.items) or pages >= WATERMARK_PAGES:
                break
        return changed

    async def _reconcile(self) -> int:
        """Issues that left the unresolved set without new events: fetch their state."""
        self._last_reconcile = self.clock()
        current: list[Issue] = []
        async for page in self.client.iter_issues(
            query="is:unresolved", projects=self.projects, sort="date", limit=100
        ):
            current += page.items
        seen_ids = {i.id for i in current}
        upserts = self.process(current)
        removals: list[str] = []
        for issue_id in sorted(self.unresolved - seen_ids)[:50]:
            try:
                upserts += self.process([await self.client.get_issue(issue_id)])
            except NotFound:
                removals.append(issue_id)
                self.known.pop(issue_id, None)
                self.unresolved.discard(issue_id)
        return await self._emit(upserts, removals)

    def process(self, issues: list[Issue]) -> list[Issue]:
        """Keep the issues that are new or changed; remember them and the newest lastSeen."""
        out: list[Issue] = []
        known = self.known
        for issue in issues:
            fp = fingerprint(issue)
            if known.get(issue.id) != fp:
                known[issue.id] = fp
                out.append(issue)
            if issue.status is Status.UNRESOLVED:
                self.unresolved.add(issue.id)
            else:
                self.unresolved.discard(issue.id)
            if self.newest is None or issue.last_seen > self.newest:
                self.newest = issue.last_seen
        return out

    async def _emit(self, upserts: list[Issue], removals: list[str] | None = None) -> int:
        if not upserts and not removals:
            return 0
        delta = IssueDelta(source=Source.SENTRY, upserts=upserts, removals=removals or [])
        result = self.on_delta(delta)
        if inspect.isawaitable(result):
            await result
        return len(upserts) + len(removals or [])

    # --- interval and health ------------------------------------------------------------------
    def _on_success(self, changed: int) -> None:
        self.errors = 0
        self._last_success = self.clock()
        if changed:
            self.interval = max(self.min_interval, self.interval / 2)
        else:
            self.interval = min(self.max_interval, self.interval * 1.25)
        rl = self.client.rate_limit
        if rl.limit and rl.remaining is not None and rl.remaining < max(2, rl.limit // 10):
            self.interval = min(self.max_interval, max(self.interval * 2, self.base_interval))
        self._set_health(
            ok=True,
            error=None,
            last_success=datetime.now(UTC),
            detail="paused" if self._paused else self._detail(),
        )

    def _detail(self) -> str:
        detail = f"polling every {self.interval:.0f}s"
        if self.search_error:
            detail += f" · search refused: {self.search_error}"
        return detail

    def _on_error(self, exc: SentryError) -> float:
        self.errors += 1
        delay = min(self.max_interval * 10, self.interval * (2**self.errors))
        if isinstance(exc, RateLimited):
            delay = max(delay, exc.retry_after)
            self.interval = min(self.max_interval, self.interval * 2)
        if isinstance(exc, CONFIG_ERRORS):
            delay = max(delay, self.error_floor)
        delay = max(delay, self.min_interval)
        log.warning("Sentry poll failed: %s", exc)
        self._set_health(ok=False, error=str(exc), detail=f"retrying in {delay:.0f}s")
        return delay

    def _set_health(self, **changes: object) -> None:
        updated = self.health.model_copy(update=changes)
        if updated == self.health:
            return
        self.health = updated
        if self.on_health is not None:
            result = self.on_health(updated)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
