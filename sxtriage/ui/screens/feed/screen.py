"""FeedScreen: service bar, live issue table, filter bar, status line."""

from __future__ import annotations

import time
from collections.abc import Callable, Container
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from sxtriage.core.events import (
    AlertsChanged,
    FeedChanged,
    HealthChanged,
    SessionEvent,
    ViewsChanged,
)
from sxtriage.feed import FeedChange, SortKey
from sxtriage.insights.firing import AlertChange, Firing
from sxtriage.models import Issue, IssueKey, Source
from sxtriage.search import SearchError
from sxtriage.ui.bindings import bindings
from sxtriage.ui.host import Host
from sxtriage.ui.screens.feed.alert_toasts import AlertToaster
from sxtriage.ui.screens.feed.live import Throttle
from sxtriage.ui.text import relative
from sxtriage.ui.theme import palette_of
from sxtriage.ui.widgets.alerts_strip import AlertsStrip, worst_first
from sxtriage.ui.widgets.banner import Banner
from sxtriage.ui.widgets.filter_bar import FilterBar
from sxtriage.ui.widgets.issue_list.rows import RowNote
from sxtriage.ui.widgets.issue_list.widget import IssueList
from sxtriage.ui.widgets.preview import IssuePreview
from sxtriage.ui.widgets.service_bar import ServiceBar
from sxtriage.ui.widgets.status_line import StatusLine
from sxtriage.ui.workers import LoudWorkers

SORTS = list(SortKey)
PREVIEW_MIN = 140
PREVIEW_WIDTH_MIN = 48
LIST_KEEP = 112
"""Columns from which the cursor's issue shows beside the list."""
CHROME_EVERY = 0.25
"""Seconds: while changes stream in, the service bar, banner and status line are redrawn
this often (a single change at once)."""


class FeedScreen(LoudWorkers, Screen[None]):
    SCOPE = "feed"
    BINDINGS = bindings("feed")
    DEFAULT_CSS = """
    FeedScreen { layout: vertical; }
    FeedScreen AlertsStrip { height: auto; max-height: 2; }
    /* toasts sit over the service bar, one line each: never over the issue rows */
    FeedScreen ToastRack { dock: top; align: right top; margin: 0; max-height: 3;
                           overflow-y: hidden; }
    FeedScreen Toast { margin: 0; padding: 0 1; max-width: 60%; max-height: 3; }
    FeedScreen #feed-main { height: 1fr; }
    FeedScreen #issues { width: 1fr; }
    """

    def __init__(self, app_: Host) -> None:
        super().__init__(id="feed")
        self.sx = app_
        self.session = app_.session
        self.feed = self.session.feed
        self._unsubscribe: Callable[[], None] | None = None
        self._chrome = Throttle(self.refresh_chrome, CHROME_EVERY, self.set_timer)
        """Live changes redraw the service bar, banner and status line at a reading pace."""
        self._status_shown: tuple[object, ...] | None = None
        self._status_marks = 0
        self.preview_on = True
        """The split (list + preview) is wanted; shown from PREVIEW_MIN columns."""
        self._toaster = AlertToaster(
            self.session.settings.alert_toasts,
            notify=lambda text: self.sx.notify(text, severity="warning", timeout=6, markup=False),
            bell=self.sx.bell,
            later=lambda delay, fn: self.set_timer(delay, fn),
            clock=time.monotonic,
            firing=lambda: self.session.alerts.firing,
        )

    def compose(self) -> ComposeResult:
        yield Banner(id="banner")
        yield AlertsStrip(id="alerts")
        yield ServiceBar(list(self.session.settings.services))
        with Horizontal(id="feed-main"):
            yield IssueList(
                self.feed, now=self.sx.now, pending=self._pending, note=self._note, id="issues"
            )
            yield IssuePreview(self.session, now=self.sx.now, id="preview")
        yield FilterBar(history=self.session.prefs.get("filter_history", []))
        yield StatusLine(id="status")
        yield Footer()

    @property
    def issue_list(self) -> IssueList:
        return self.query_one(IssueList)

    @property
    def preview(self) -> IssuePreview:
        return self.query_one(IssuePreview)

    # --- the preview beside the list ------------------------------------------
    def _layout_preview(self) -> None:
        """Shown when toggled on and the screen is at least PREVIEW_MIN columns wide."""
        preview = self.preview
        width = self.size.width
        shown = self.preview_on and width >= PREVIEW_MIN
        changed = shown != preview.display
        if shown:
            # The list keeps LIST_KEEP columns (its triage columns) as long as the preview
            # gets PREVIEW_WIDTH_MIN; beyond that the preview takes up to 45 %.
            preview.styles.width = max(PREVIEW_WIDTH_MIN, min(int(width * 0.45), width - LIST_KEEP))
        preview.display = shown
        key = self.issue_list.cursor_key
        if shown and key is not None and (changed or preview.key is None):
            preview.show(key)

    def on_resize(self) -> None:
        self._layout_preview()

    def action_toggle_preview(self) -> None:
        if self.size.width < PREVIEW_MIN:
            self.sx.notify(
                f"The preview needs a terminal at least {PREVIEW_MIN} columns wide "
                f"(this one: {self.size.width}); ⏎ opens the issue.",
                timeout=3,
            )
            return
        self.preview_on = not self.preview_on
        self._layout_preview()

    def action_preview_tab(self) -> None:
        """The preview's next tab; without a preview, the next widget as usual."""
        if self.preview.display:
            self.preview.next_tab()
        else:
            self.focus_next()

    def _pending(self) -> Container[IssueKey]:
        triage = self.session.triage
        return triage.pending if triage is not None else ()

    def _note(self, issue: Issue) -> RowNote:
        correlator = self.session.correlator
        return RowNote(correlator.is_multi_service(issue.key), correlator.suspect_release(issue))

    def on_mount(self) -> None:
        self._unsubscribe = self.session.subscribe(self._on_session)
        self.issue_list.focus()
        self.issue_list.feed_changed(FeedChange(reordered=True))
        self.set_interval(1.0, self._tick)
        self.refresh_chrome()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    # --- live updates ------------------------------------------
    def _on_session(self, event: SessionEvent) -> None:
        match event:
            case FeedChanged(change):
                self._on_change(change)
            case HealthChanged():
                self.refresh_chrome()
            case AlertsChanged(firing, changes):
                self._on_alerts(firing, changes)
            case ViewsChanged():
                self.refresh_status()

    def _on_change(self, change: FeedChange) -> None:
        """One feed change (a source delivers at most one per frame): the list now, the
        preview's head when its issue is among the changed ones, the chrome soon."""
        self.issue_list.feed_changed(change)
        preview = self.preview
        if preview.display and preview.key is not None and _touches(change, preview.key):
            preview.issue_changed()
        self._chrome.soon()

    def _on_alerts(self, firing: list[Firing], changes: list[AlertChange]) -> None:
        """Worst first in the strip; the bell and at most one toast per burst."""
        self.query_one(AlertsStrip).update_alerts(worst_first(firing))
        self._toaster.observe(changes, self.session.clock())

    def _tick(self) -> None:
        self.session.tick()
        self.issue_list.expire_flash()
        self.refresh_chrome()
        strip = self.query_one(AlertsStrip)
        if strip.firing:  # values and issue counts move while a rule keeps firing
            strip.update_alerts(worst_first(self.session.alerts.firing))

    def refresh_chrome(self) -> None:
        now = self.sx.now()
        down = [h for h in self.session.health.values() if not h.ok]
        self.query_one(Banner).show(down, now)
        services = list(self.session.settings.services)
        releases = self.session.correlator.releases
        stamp = now.timestamp()
        self.query_one(ServiceBar).show(
            {s: self.feed.stats(s) for s in services},
            {s: self.feed.rate(s, stamp) for s in services},
            self.feed.scope,
            {s: releases.latest_info(s) for s in services},
        )
        self.refresh_status()

    def _health_text(self, now: datetime) -> str:
        parts = []
        for name in ("sentry", "relay"):
            health = self.session.health.get(name)
            if health is None:
                continue
            if health.ok:
                parts.append(f"{name} ✓")
            else:
                parts.append(f"{name} stale {relative(health.last_success, now)}")
        return " · ".join(parts) or "no sources"

    def refresh_status(self) -> None:
        lst = self.issue_list
        feed = self.feed
        paused, new, marked = lst.paused, len(lst.new_while_paused), len(lst.marks)
        shown, total, scope, sort = len(lst.order), feed.total, feed.scope, feed.sort.value
        query, view = self._query_text(), self.session.sections.label(feed)
        health = self._health_text(self.sx.now())
        colours = palette_of(self.app)  # a new theme redraws it
        loading = self.session.cache_loading
        key = (
            colours,
            paused,
            new,
            marked,
            shown,
            total,
            loading,
            scope,
            sort,
            query,
            view,
            health,
        )
        if key == self._status_shown:
            return  # the same line (the cursor moved, nothing it shows changed): no redraw
        self._status_shown = key
        self._status_marks = marked
        self.query_one(StatusLine).show(
            paused=paused,
            new=new,
            shown=shown,
            total=total,
            marked=marked,
            scope=scope,
            sort=sort,
            query=query,
            view=view,
            health=health,
            loading=loading,
        )

    def _query_text(self) -> str:
        text = self.feed.query.text
        if self.feed.pinned is not None:
            pin = f"{self.feed.pin_label} (! shows all)"
            return f"{pin} {text}" if text else pin
        return text

    # --- actions ------------------------------------------
    def action_filter(self) -> None:
        self.query_one(FilterBar).open(self.feed.query.text)

    def action_toggle_pause(self) -> None:
        """Freeze the table and pause the Sentry poller; the relay keeps buffering and
        "N new" counts what arrived meanwhile."""
        lst = self.issue_list
        lst.set_paused(not lst.paused)
        self.session.set_paused(lst.paused)
        self.refresh_status()

    def action_jump_alert(self) -> None:
        """Show only the issues of the top (worst) firing alert; again: everything."""
        if self.feed.pinned is not None:
            self.show_alert_issues(None)
            return
        if not self.query_one(AlertsStrip).jump(0):
            self.sx.notify("No alert is firing.", timeout=2)

    def show_alert_issues(self, keys: list[IssueKey] | None, label: str = "") -> None:
        """Show only `keys` (an alert's issues, an incident); None shows everything."""
        if keys is None:
            self.feed.set_pinned(None)
        else:
            wanted = set(keys)
            for key in keys:  # a relay issue may be shown as its Sentry issue
                issue = self.feed.get(key)
                if issue is not None and issue.sentry_issue_id:
                    wanted.add((Source.SENTRY, issue.sentry_issue_id))
            self.feed.set_pinned(wanted, label)
            first = next((k for k in self.feed.order if k in wanted), None)
            if first is not None:
                self.issue_list.select_key(first)
        self.issue_list.focus()
        self.refresh_status()

    def action_next_view(self) -> None:
        """The next feed section: All → config.toml's views → the org's saved views."""
        sections = self.session.sections
        if len(sections.views) < 2:
            self.sx.notify(
                "No views yet: add [[views]] to config.toml (name, query, sort, services); "
                "Sentry's saved issue views appear here once loaded.",
                timeout=4,
            )
            return
        self.show_view(sections.current + 1)

    def show_view(self, index: int) -> None:
        sections = self.session.sections
        error = sections.switch(self.feed, index)
        if error is not None:
            self.sx.notify(error, severity="warning", markup=False)
            return
        self.session.filter_changed(self.feed.query.text)
        view = sections.view
        where = " (Sentry)" if view.origin == "sentry" else ""
        self.sx.notify(f"View: {view.name}{where}", timeout=2, markup=False)
        self.issue_list.focus()
        self.refresh_chrome()

    def action_cycle_sort(self) -> None:
        self.set_sort(SORTS[(SORTS.index(self.feed.sort) + 1) % len(SORTS)])

    def set_sort(self, sort: SortKey) -> None:
        self.feed.set_sort(sort)
        self.sx.notify(f"Sorted by {sort.value.replace('_', ' ')}", timeout=2)

    def action_scope(self, number: int) -> None:
        services = list(self.session.settings.services)
        if number == 0:
            if self.feed.pinned is not None:
                self.feed.set_pinned(None)
            self.feed.set_scope(None)
        elif number <= len(services):
            self.feed.set_scope(services[number - 1])
        else:
            self.sx.notify(f"No service {number}: {len(services)} configured", severity="warning")
            return
        self.refresh_chrome()

    # --- messages ------------------------------------------
    @on(IssueList.Opened)
    def _opened(self, event: IssueList.Opened) -> None:
        self.sx.open_issue(event.key)

    @on(AlertsStrip.Jump)
    def _alert_jump(self, event: AlertsStrip.Jump) -> None:
        """Show the firing alert's issues."""
        firing = event.firing
        if not event.keys:
            self.sx.notify(f"{firing.service} · {firing.rule_name}: no issue to show", timeout=3)
            return
        self.show_alert_issues(event.keys, f"alert:{firing.service}/{firing.rule_id}")

    @on(IssueList.CursorMoved)
    def _moved(self, event: IssueList.CursorMoved) -> None:
        if len(self.issue_list.marks) != self._status_marks:
            self.refresh_status()  # marking moves the cursor; a move alone shows nothing new
        if self.preview.display:
            self.preview.follow(event.key)

    def _apply_filter(self, bar: FilterBar, text: str) -> bool:
        """Filter the feed; a bad query is shown in the bar and the filter stays as it was.
        Terms only Sentry evaluates are named, so a local issue is not silently kept."""
        try:
            self.feed.set_filter(text)
        except SearchError as exc:
            bar.show_error(str(exc))
            return False
        self.session.filter_changed(text)
        server_only = self.feed.query.server_only
        bar.show_note(
            f"{', '.join(server_only)}: only Sentry evaluates this; local (relay) issues "
            "are not filtered by it"
            if server_only
            else None
        )
        return True

    @on(FilterBar.Changed)
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        bar = self.query_one(FilterBar)
        if self._apply_filter(bar, event.text):
            bar.show_error(None)

    @on(FilterBar.Done)
    def _filter_done(self, event: FilterBar.Done) -> None:
        bar = self.query_one(FilterBar)
        if not self._apply_filter(bar, event.text):
            return
        bar.close()
        self.issue_list.focus()
        if event.accepted:
            self.run_worker(
                self.session.prefs.set("filter_history", bar.history),
                name="Saving the filter history",
            )
            if self.feed.query.server_only:
                terms = ", ".join(self.feed.query.server_only)
                self.sx.notify(
                    f"{terms}: only Sentry evaluates this; local issues are not filtered by it",
                    severity="warning",
                    markup=False,
                )

    def selected_issues(self) -> list[Issue]:
        out = []
        for key in self.issue_list.selected():
            issue = self.feed.get(key)
            if issue is not None:
                out.append(issue)
        return out


def _touches(change: FeedChange, key: IssueKey) -> bool:
    return key in change.changed or key in change.added or key in change.removed
