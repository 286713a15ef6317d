"""Wires the sources to the feed and the feed to the UI; owns the background tasks.

Sources (SentryPoller, RelayClient) call `on_delta` / `on_event` / `on_health`; the
backend updates the feed, the alert engine and the correlator, caches Sentry issues in
the store, and tells its listeners.  It never touches a widget: the app subscribes.
Parts that are not installed (alerts, correlation, triage) are simply absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from sxtriage.config import Settings
from sxtriage.feed import Feed
from sxtriage.models import Event, Issue, IssueDelta, IssueKey, Source, SourceHealth, utcnow
from sxtriage.sources import DetailSource
from sxtriage.store import Store
from sxtriage.ui.parts import make_alerts as _make_alerts
from sxtriage.ui.parts import make_correlator as _make_correlator
from sxtriage.ui.parts import make_triage

log = logging.getLogger(__name__)
Toast = Callable[[str, str], None]
HealthListener = Callable[[SourceHealth], None]
AlertsListener = Callable[[list[Any], list[Any]], None]
"""(firing now, the AlertChanges that caused this call)."""
CORRELATION_LOOKBACK = 24 * 3600.0
"""How far back the correlator's index is rebuilt from the store at start."""


class Backend:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        sentry: Any | None = None,
        sentry_detail: DetailSource | None = None,
        poller: Any | None = None,
        relay: Any | None = None,
        clock: Callable[[], float] = time.time,
        toast: Toast | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sentry = sentry
        self.sentry_detail = sentry_detail
        self.poller = poller
        self.relay = relay
        self.clock = clock
        self.toast: Toast = toast or (lambda message, severity: None)
        self.correlator = _make_correlator()
        self.feed = Feed(
            services=list(settings.services),
            me=settings.me,
            resolver=self._release_resolver if self.correlator is not None else None,
            clock=clock,
        )
        self.health: dict[str, SourceHealth] = {}
        self.health_listeners: list[HealthListener] = []
        self.alert_listeners: list[AlertsListener] = []
        self.alerts, self.alert_errors = _make_alerts(settings, clock)
        self.paused = False
        self._audit_backlog: list[tuple[str, tuple[object, ...]]] = []
        self._writes: set[asyncio.Task[None]] = set()
        self.triage = self._make_triage()
        if self.triage is not None:
            self.feed.is_pending = lambda key: key in self.triage.pending
        self._tasks: list[asyncio.Task[Any]] = []
        self.extra_tasks: list[Callable[[], Coroutine[Any, Any, Any]]] = []
        """More long-running coroutines to start (the demo's traffic generator)."""
        self.commands: dict[str, Callable[[], Coroutine[Any, Any, Any]]] = {}
        """Extra palette commands (title → coroutine factory), e.g. demo scenarios."""
        from sxtriage.ui.views import ViewSections

        self.sections = ViewSections.from_config(getattr(settings, "views", []) or [])
        """Feed sections: All, config.toml's [[views]], then the org's saved views."""
        self.view_listeners: list[Callable[[], None]] = []

    # --- construction helpers ------------------------------------------
    def _make_triage(self) -> Any | None:
        return make_triage(self)

    def _release_resolver(self, value: str, service: str) -> str | None:
        tracker = getattr(self.correlator, "releases", None)
        latest = getattr(tracker, "latest", None)
        if callable(latest):
            try:
                return latest(service)
            except Exception:
                return None
        return None

    # --- lifecycle ------------------------------------------
    def load_cache(self, limit: int = 20_000) -> int:
        """Fill the feed from the store's issues table (cold start); returns the count."""
        rows = self.store.query_sync(
            "SELECT data FROM issues ORDER BY last_seen DESC LIMIT ?", (limit,)
        )
        by_source: dict[Source, list[Issue]] = {}
        for row in rows:
            try:
                issue = Issue.model_validate_json(row[0])
            except ValueError:
                continue
            by_source.setdefault(issue.source, []).append(issue)
        for source, issues in by_source.items():
            self.feed.apply(IssueDelta(source=source, upserts=issues))
        return sum(len(v) for v in by_source.values())

    async def start(self) -> None:
        if self.triage is not None:
            try:
                await self.triage.start()
            except Exception as exc:
                self.toast(f"Outbox replay failed: {exc}", "error")
            self._show_linked_tickets()
        if self.correlator is not None:
            try:
                await self.correlator.load_from_store(
                    self.store, since=self.clock() - CORRELATION_LOOKBACK
                )
                self.correlator.observe_delta(
                    IssueDelta(source=Source.SENTRY, upserts=list(self.feed.issues.values()))
                )
            except Exception as exc:
                log.warning("correlation index not rebuilt: %r", exc)
        if self.sentry is not None and hasattr(self.sentry, "list_issue_views"):
            self._spawn(self.load_sentry_views())
        if self.poller is not None:
            self._spawn(self.poller.run())
        if self.relay is not None:
            self._spawn(self.relay.run(self.on_delta, self.on_event, self.on_health))
        for factory in self.extra_tasks:
            self._spawn(factory())

    def filter_changed(self, text: str) -> None:
        """The feed's filter changed: Sentry searches the whole org with its part of it
        (a poller that can, `set_query(query)`), the feed filters what is loaded."""
        set_query = getattr(self.poller, "set_query", None)
        if set_query is None:
            return
        from sxtriage.search import SearchError, sentry_query

        try:
            set_query(sentry_query(text))
        except SearchError:
            return

    async def load_sentry_views(self) -> int:
        """The org's saved issue views as feed sections (see ui/views.py)."""
        from sxtriage.ui.views import load_sentry_views

        count = await load_sentry_views(self.sentry, self.sections, self.toast)
        for listener in list(self.view_listeners):
            listener()
        return count

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("background task failed: %r", exc)
            self.toast(f"A background source stopped: {exc}", "error")

    async def stop(self) -> None:
        if self._writes:  # alerts already fired/cleared still reach the audit log
            await asyncio.wait(list(self._writes), timeout=2.0)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks.clear()
        if self.triage is not None:
            with contextlib.suppress(Exception):
                await self.triage.close()
        for client in (self.sentry, self.relay):
            closer = getattr(client, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()

    # --- source callbacks ------------------------------------------
    def on_delta(self, delta: IssueDelta) -> None:
        delta = self._with_tickets(delta)
        self.feed.apply(delta)
        if self.correlator is not None:
            with contextlib.suppress(Exception):
                self.correlator.observe_delta(delta)
        if self.alerts is not None:
            self._alert_changes(self.alerts.observe_delta(delta, self.clock()))
        if delta.source is Source.SENTRY and delta.upserts:
            self._spawn(self._cache(delta.upserts))

    def on_event(self, event: Event) -> None:
        self.feed.observe_event(event)
        key: IssueKey | None = (event.source, event.issue_id) if event.issue_id else None
        if self.correlator is not None:
            with contextlib.suppress(Exception):
                self.correlator.observe_event(event, key)
        if self.alerts is not None:
            self._alert_changes(self.alerts.observe_event(event, key, self.clock()))

    def on_health(self, health: SourceHealth) -> None:
        self.health[health.name] = health
        for listener in list(self.health_listeners):
            listener(health)

    def tick(self) -> None:
        """Called about once a second by the app: age-out, alert windows."""
        self.feed.tick()
        if self.alerts is not None:
            self._alert_changes(self.alerts.tick(self.clock()))

    def _alert_changes(self, changes: list[Any]) -> None:
        """Fired/cleared alerts go to the audit log (the handoff report) and the UI."""
        if not changes:
            return
        ops = [c.audit_op() for c in changes if hasattr(c, "audit_op")]
        if ops:
            self._audit(ops)
        firing = list(getattr(self.alerts, "firing", []))
        for listener in list(self.alert_listeners):
            listener(firing, changes)

    def _audit(self, ops: list[tuple[str, tuple[object, ...]]]) -> None:
        self._audit_backlog.extend(ops)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # outside the event loop: written with the next change
            return
        ops, self._audit_backlog = self._audit_backlog, []
        task = asyncio.create_task(self._write(ops))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, ops: list[tuple[str, tuple[object, ...]]]) -> None:
        try:
            await self.store.write_many(ops)
        except Exception as exc:
            log.warning("audit write failed: %r", exc)

    # --- tickets and pause ------------------------------------------
    def _tickets(self) -> dict[IssueKey, str]:
        return getattr(self.triage, "linked_tickets", None) or {}

    def _with_tickets(self, delta: IssueDelta) -> IssueDelta:
        """Polls do not carry our ticket links: merge the ones the triage engine knows."""
        tickets = self._tickets()
        if not tickets or not delta.upserts:
            return delta
        upserts = [
            i.model_copy(update={"linked_ticket": tickets[i.key]})
            if not i.linked_ticket and i.key in tickets
            else i
            for i in delta.upserts
        ]
        return delta.model_copy(update={"upserts": upserts})

    def _show_linked_tickets(self) -> None:
        """After a restart: the cached issues show their stored ticket links."""
        by_source: dict[Source, list[Issue]] = {}
        for key, url in self._tickets().items():
            issue = self.feed.get(key)
            if issue is not None and not issue.linked_ticket:
                by_source.setdefault(key[0], []).append(
                    issue.model_copy(update={"linked_ticket": url})
                )
        for source, issues in by_source.items():
            self.feed.apply(IssueDelta(source=source, upserts=issues))

    def set_paused(self, paused: bool) -> None:
        """Pause/resume live: the Sentry poller stops polling (the relay keeps buffering)."""
        self.paused = paused
        if self.poller is None:
            return
        with contextlib.suppress(Exception):
            (self.poller.pause if paused else self.poller.resume)()

    async def _cache(self, issues: list[Issue]) -> None:
        ops = [
            (
                "INSERT INTO issues(source, id, service, status, last_seen, data) "
                "VALUES(?,?,?,?,?,?) ON CONFLICT(source, id) DO UPDATE SET "
                "service=excluded.service, status=excluded.status, "
                "last_seen=excluded.last_seen, data=excluded.data",
                (
                    i.source.value,
                    i.id,
                    i.service,
                    i.status.value,
                    i.last_seen.timestamp(),
                    i.model_dump_json(),
                ),
            )
            for i in issues
        ]
        with contextlib.suppress(Exception):
            await self.store.write_many(ops)

    # --- for the UI -----------------------------------------------------------------------
    def detail_for(self, issue: Issue) -> DetailSource | None:
        if issue.source is Source.RELAY:
            return self.relay
        return self.sentry_detail

    def observe_trace(self, trace: Any, source: Source) -> None:
        """A trace fetched for the Trace tab: its spans name more related issues."""
        if self.correlator is not None and trace is not None:
            with contextlib.suppress(Exception):
                self.correlator.observe_trace(trace, source)

    def is_multi_service(self, key: IssueKey) -> bool:
        if self.correlator is None:
            return False
        try:
            return bool(self.correlator.is_multi_service(key))
        except Exception:
            return False

    def group_of(self, key: IssueKey) -> list[IssueKey]:
        """The issue and the issues of other services sharing its traces."""
        if self.correlator is None:
            return [key]
        try:
            return list(self.correlator.group_of(key))
        except Exception:
            return [key]

    def suspect_release(self, issue: Issue) -> str | None:
        """ "web@2.3.0" when the issue came with that new release."""
        if self.correlator is None:
            return None
        try:
            return self.correlator.suspect_release(issue)
        except Exception:
            return None

    def latest_release(self, service: str) -> Any | None:
        """The service's newest ReleaseInfo (version, new_issues), if any."""
        tracker = getattr(self.correlator, "releases", None)
        if tracker is None:
            return None
        try:
            return tracker.latest_info(service)
        except Exception:
            return None

    def related(self, key: IssueKey) -> list[Any]:
        if self.correlator is None:
            return []
        try:
            return list(self.correlator.related(key))
        except Exception:
            return []

    def stale(self, name: str) -> bool:
        health = self.health.get(name)
        return health is not None and not health.ok

    def set_health(self, name: str, ok: bool, error: str | None = None) -> None:
        self.on_health(
            SourceHealth(name=name, ok=ok, error=error, last_success=utcnow() if ok else None)
        )

    def get_pref(self, key: str, default: Any = None) -> Any:
        try:
            raw = self.store.get_kv(f"ui.{key}")
        except Exception:
            return default
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    async def set_pref(self, key: str, value: Any) -> None:
        with contextlib.suppress(Exception):
            await self.store.set_kv(f"ui.{key}", json.dumps(value))
