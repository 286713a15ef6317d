"""The running session: sources, feed, stores and engines, driven outside the UI.

Sources (the Sentry poller, a relay source) call `on_delta` / `on_event` / `on_health`;
the session updates the feed, the alert engine and the correlator, caches Sentry issues
in the store, and tells its subscribers one typed event per change (`core/events.py`).
It never touches a widget: the UI subscribes (`subscribe`) and asks (`feed`, `detail_for`,
`correlator`, `triage`).  `core/build.py` builds one from the settings.

A session can exist before its sources: `sxtriage` paints the cached feed first, and the
sources (with their HTTP stacks) are built by `connect` when the session starts, then
handed over with `attach`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from sxtriage.config import ServiceConfig, Settings
from sxtriage.core.events import (
    AlertsChanged,
    EventArrived,
    FeedChanged,
    HealthChanged,
    Listener,
    Notice,
    ServicesChanged,
    SessionEvent,
    ViewsChanged,
    severity_of,
)
from sxtriage.core.store_io import CACHE_FIRST, CacheLoad, Prefs, Writes, cache_ops
from sxtriage.core.tasks import TaskSet
from sxtriage.core.views import ViewSections, load_sentry_views
from sxtriage.feed import Feed, FeedChange
from sxtriage.insights.alerts import AlertEngine
from sxtriage.insights.correlate import Correlator
from sxtriage.insights.firing import AlertChange
from sxtriage.models import Event, Issue, IssueDelta, IssueKey, Source, SourceHealth, Trace
from sxtriage.ports import (
    DetailSource,
    EmbeddedService,
    GitHubSource,
    IssuePoller,
    RelaySource,
    SentrySource,
)
from sxtriage.search import SearchError, sentry_query
from sxtriage.store import Store, StoreError

if TYPE_CHECKING:
    from sxtriage.triage.actions import TriageEngine

log = logging.getLogger(__name__)
CORRELATION_LOOKBACK = 24 * 3600.0
"""How far back the correlator's index is rebuilt from the store at start."""
TaskFactory = Callable[[], Coroutine[Any, Any, Any]]
Connect = Callable[["Session"], Coroutine[Any, Any, None]]


class Session:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        sentry: SentrySource | None = None,
        sentry_detail: DetailSource | None = None,
        relay: RelaySource | None = None,
        github: GitHubSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sentry: SentrySource | None = None
        self.sentry_detail: DetailSource | None = None
        self.relay: RelaySource | None = None
        self.poller: IssuePoller | None = None
        """Set by `core/build.py` once the session exists (it calls `on_delta`)."""
        self.embedded: list[EmbeddedService] = []
        """Services this session started (an embedded relay); stopped last."""
        self.connect: Connect | None = None
        """Builds the sources and `attach`es them; `start` runs it first (once)."""
        self.clock = clock
        self.prefs = Prefs(store)
        self._cache_load: CacheLoad | None = None
        """The cold start's read of the issue cache while its rest is pending."""
        self.correlator = Correlator()
        self.feed = Feed(
            services=list(settings.services),
            me=settings.me,
            resolver=self._release_resolver,
            clock=clock,
        )
        self.feed.subscribe(self._feed_changed)
        self.health: dict[str, SourceHealth] = {}
        self.alerts, self.alert_errors = AlertEngine.from_settings(settings, clock=clock)
        self.paused = False
        self.sections = ViewSections.from_config(settings.views)
        """Feed sections: All, config.toml's [[views]], then the org's saved views."""
        self.extra_tasks: list[tuple[str, TaskFactory]] = []
        """More long-running coroutines to start, by name (the demo's traffic)."""
        self.commands: dict[str, TaskFactory] = {}
        """Extra palette commands (title → coroutine factory), e.g. demo scenarios."""
        self._listeners: list[Listener] = []
        self._early: list[Notice] = []
        """Notices from before anyone listened (start-up notes): given to the first one."""
        self._writes = Writes(store)
        self._tasks = TaskSet(lambda message: self.notify(message, "error"))
        self._stopped = False
        self.triage: TriageEngine | None = None
        if sentry is not None or relay is not None or sentry_detail is not None:
            self.attach(sentry=sentry, sentry_detail=sentry_detail, relay=relay, github=github)

    def attach(
        self,
        *,
        sentry: SentrySource | None = None,
        sentry_detail: DetailSource | None = None,
        relay: RelaySource | None = None,
        github: GitHubSource | None = None,
        poller: IssuePoller | None = None,
    ) -> None:
        """The session's sources, once built (before `start` runs them); with a Sentry
        or relay source comes the triage engine (GitHub's client made when not given)."""
        self.sentry, self.sentry_detail, self.relay = sentry, sentry_detail, relay
        if poller is not None:
            self.poller = poller
        if (sentry is not None or relay is not None) and self.triage is None:
            self.triage = self._make_triage(github)
            engine = self.triage
            self.feed.is_pending = lambda key: key in engine.pending

    @property
    def stopped(self) -> bool:
        return self._stopped

    def _make_triage(self, github: GitHubSource | None) -> TriageEngine:
        from sxtriage.triage.actions import TriageEngine

        settings = self.settings
        if github is None:
            from sxtriage.triage.github import GitHubClient

            token = settings.github_token
            github = GitHubClient(
                settings.github_api_url, token.get_secret_value() if token else None
            )
        return TriageEngine(
            store=self.store,
            sentry=self.sentry,
            relay=self.relay,
            apply=self.feed.apply_local,
            toast=self.notify,
            me=settings.me,
            github=github,
        )

    def _release_resolver(self, value: str, service: str) -> str | None:
        return self.correlator.releases.latest(service)

    # --- the one subscription ------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Every `SessionEvent` from now on, in order; returns the unsubscribe function."""
        self._listeners.append(listener)
        early, self._early = self._early, []
        for notice in early:
            listener(notice)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def notify(self, message: str, severity: str = "information") -> None:
        """A one-line message for the user (plain text)."""
        notice = Notice(message, severity_of(severity))
        if not self._listeners:
            self._early.append(notice)
            return
        self._emit(notice)

    def _feed_changed(self, change: FeedChange) -> None:
        self._emit(FeedChanged(change))

    def set_services(self, services: dict[str, ServiceConfig]) -> None:
        """A new service map before the sources run (the org's projects, read after the
        first frame): the settings, the feed's services and the alert rules follow (a
        rule error not said yet is); the UI is told."""
        if services == self.settings.services and list(services) == list(self.settings.services):
            return
        self.settings = self.settings.model_copy(update={"services": services})
        self.feed.services = list(services)
        said = set(self.alert_errors)
        self.alerts, self.alert_errors = AlertEngine.from_settings(self.settings, clock=self.clock)
        for line in self.alert_errors:
            if line not in said:
                self.notify(line, "warning")
        self._emit(ServicesChanged(list(services)))

    # --- lifecycle -------------------------------------------------------------------------
    def load_cache(self, limit: int = 20_000, *, first: int | None = CACHE_FIRST) -> int:
        """Fill the feed from the store's issues table (cold start): the newest `first`
        issues now (all of them with `first=None`), so the first frame shows them; the
        rest come with `load_cache_rest`.  Returns the count loaded now."""
        load = CacheLoad(self.store, limit, limit if first is None else first)
        by_source = load.first()
        self._cache_load = load if load.pending else None
        for source, issues in by_source.items():
            self.feed.apply(IssueDelta(source=source, upserts=issues))
        return sum(len(v) for v in by_source.values())

    @property
    def cache_loading(self) -> bool:
        """Cached issues are still being read (the feed shows the newest so far)."""
        return self._cache_load is not None

    async def load_cache_rest(self) -> int:
        """The cached issues `load_cache` left, read off the event loop and merged into
        the feed as one delta (the current filter and sort apply to them); an issue a
        source updated meanwhile keeps its newer data.  Done once (a later call returns
        0); returns how many issues it added."""
        load = self._cache_load
        if load is None:
            return 0
        try:
            by_source = await load.rest()
        except (StoreError, sqlite3.Error) as exc:
            by_source = {}
            if self._cache_load is load:
                log.warning("cached issues not read: %s", exc)
                self.notify(f"Older cached issues not read: {exc}", "warning")
        if self._cache_load is not load:  # another caller merged them meanwhile
            return 0
        self._cache_load = None
        added, shown = 0, False
        for source, issues in by_source.items():
            fresh = [i for i in issues if i.key not in self.feed.issues]
            added += len(fresh)
            shown |= not self.feed.apply(IssueDelta(source=source, upserts=fresh)).empty
        if not shown:  # the total and "loading" changed even if no row did
            self._emit(FeedChanged(FeedChange(reordered=True)))
        return added

    async def start(self) -> None:
        await self.load_cache_rest()  # sources, outbox and correlator see the whole cache
        connect, self.connect = self.connect, None
        if connect is not None:  # the sources, built once the whole cache is shown
            await connect(self)
            if self._stopped:
                return
        if self.triage is not None:
            try:
                await self.triage.start()
            except (StoreError, sqlite3.Error) as exc:  # the rest of the session still runs
                log.error("outbox replay failed", exc_info=exc)
                self.notify(f"Outbox replay failed: {exc}", "error")
            self._show_linked_tickets()
        try:
            await self.correlator.load_from_store(
                self.store, since=self.clock() - CORRELATION_LOOKBACK
            )
        except (StoreError, sqlite3.Error) as exc:
            log.warning("correlation index not rebuilt: %s", exc)
        self.correlator.observe_delta(
            IssueDelta(source=Source.SENTRY, upserts=list(self.feed.issues.values()))
        )
        if self.sentry is not None:
            self._tasks.spawn(self._load_sentry_views(self.sentry), "Loading Sentry's views")
        if self.poller is not None:
            self._tasks.spawn(self.poller.run(), "Sentry polling")
        if self.relay is not None:
            stream = self.relay.run(self.on_delta, self.on_event, self.on_health)
            self._tasks.spawn(stream, "The relay stream")
        for what, factory in self.extra_tasks:
            self._tasks.spawn(factory(), what)

    async def _load_sentry_views(self, sentry: SentrySource) -> None:
        """The org's saved issue views as feed sections (see core/views.py)."""
        result = await load_sentry_views(sentry, self.sections)
        if isinstance(result, str):
            self.notify(result, "warning")
            return
        self._emit(ViewsChanged(result))

    async def stop(self) -> None:
        """Stop the sources and close the clients (once; a second call does nothing)."""
        if self._stopped:
            return
        self._stopped = True
        await self._writes.flush()  # alerts already fired/cleared still reach the audit log
        await self._tasks.cancel_all()
        if self.triage is not None:
            await self.triage.close()
            if self.triage.github is not None:
                await self.triage.github.aclose()
        if self.sentry is not None:
            await self.sentry.aclose()
        if self.relay is not None:
            await self.relay.aclose()
        for service in reversed(self.embedded):
            await service.stop()
        self.embedded.clear()

    # --- source callbacks ----------------------------------------------------------------
    def on_delta(self, delta: IssueDelta) -> None:
        delta = self._with_tickets(delta)
        self.feed.apply(delta)
        self.correlator.observe_delta(delta)
        self._alert_changes(self.alerts.observe_delta(delta, self.clock()))
        if delta.source is Source.SENTRY and delta.upserts:
            self._writes.add(cache_ops(delta.upserts))

    def on_event(self, event: Event) -> None:
        self.feed.observe_event(event)
        key: IssueKey | None = (event.source, event.issue_id) if event.issue_id else None
        self.correlator.observe_event(event, key)
        self._alert_changes(self.alerts.observe_event(event, key, self.clock()))
        self._emit(EventArrived(event, key))

    def on_health(self, health: SourceHealth) -> None:
        self.health[health.name] = health
        self._emit(HealthChanged(health))

    def tick(self) -> None:
        """Called about once a second by the UI: age-out, alert windows."""
        self.feed.tick()
        self._alert_changes(self.alerts.tick(self.clock()))

    def _alert_changes(self, changes: list[AlertChange]) -> None:
        """Fired/cleared alerts go to the audit log (the handoff report) and the UI."""
        if not changes:
            return
        self._writes.add([c.audit_op() for c in changes])
        self._emit(AlertsChanged(list(self.alerts.firing), changes))

    # --- tickets ---------------------------------------------------------------------------
    def _tickets(self) -> dict[IssueKey, str]:
        return self.triage.linked_tickets if self.triage is not None else {}

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

    # --- what the UI asks ------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        """Pause/resume live: the Sentry poller stops polling (the relay keeps buffering)."""
        self.paused = paused
        if self.poller is not None:
            (self.poller.pause if paused else self.poller.resume)()

    def filter_changed(self, text: str) -> None:
        """The feed's filter changed: Sentry searches the whole org with its part of it,
        the feed filters what is loaded."""
        if self.poller is None:
            return
        try:
            query = sentry_query(text)
        except SearchError:
            return  # the filter bar shows why; the poller keeps its last query
        self.poller.set_query(query)

    def detail_for(self, issue: Issue) -> DetailSource | None:
        if issue.source is Source.RELAY:
            return self.relay
        return self.sentry_detail

    def observe_trace(self, trace: Trace, source: Source) -> None:
        """A trace fetched for the Trace tab: its spans name more related issues."""
        self.correlator.observe_trace(trace, source)

    def stale(self, name: str) -> bool:
        health = self.health.get(name)
        return health is not None and not health.ok
