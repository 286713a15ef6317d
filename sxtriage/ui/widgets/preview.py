"""IssuePreview: the cursor's issue beside the list — the issue screen's tabs (Overview,
Stack trace, Breadcrumbs, Trace, Events) drawn by the same `ui/screens/issue/tabs.py` functions.

`follow(key)` is called on every cursor move and only (re)starts a short timer; the
detail loads after the cursor rests `DEBOUNCE` seconds, in an exclusive worker (a newer
key cancels an older load), so keys never wait on I/O.  The last few loads are kept, so
moving back shows them at once.  The preview never takes the focus from the list.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from sxtriage.core.session import Session
from sxtriage.models import Event, Issue, IssueKey, Trace
from sxtriage.ui.screens.issue import tabs
from sxtriage.ui.text import safe
from sxtriage.ui.theme import palette_of
from sxtriage.ui.widgets.lines_view import LinesView

DEBOUNCE = 0.15
"""Seconds the cursor rests on an issue before its detail loads."""
CACHED = 16
TABS = ("p-overview", "p-stack", "p-crumbs", "p-trace", "p-events")
TITLES = ("Overview", "Stack trace", "Breadcrumbs", "Trace", "Events")


@dataclass
class Loaded:
    event: Event | None
    events: list[Event]
    trace: Trace | None


class IssuePreview(Vertical):
    DEFAULT_CSS = """
    IssuePreview { width: 45%; height: 1fr; border-left: vkey $panel-lighten-2;
                   background: $surface; }
    IssuePreview #preview-head { height: 2; background: $panel; padding: 0 1;
                                 text-wrap: nowrap; text-overflow: ellipsis; }
    IssuePreview #preview-tabs { height: 1; background: $panel; padding: 0 1;
                                 text-wrap: nowrap; text-overflow: ellipsis; }
    IssuePreview LinesView { padding: 0 1; }
    IssuePreview LinesView > .lines-view--cursor { background: transparent; }
    """

    def __init__(
        self, session: Session, *, now: Callable[[], datetime], id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.session = session
        self.now = now
        self.key: IssueKey | None = None
        """The issue shown (or being loaded)."""
        self.loads = 0
        """Detail loads started (tests: debouncing)."""
        self.loaded: Loaded | None = None
        self._cache: OrderedDict[IssueKey, Loaded] = OrderedDict()
        self._timer: Timer | None = None
        self._wanted: IssueKey | None = None
        self._tab = TABS[0]
        self._lines: dict[str, list[tabs.Line]] = {}

    def compose(self) -> ComposeResult:
        # three widgets, whatever the tab: a full repaint of the screen stays cheap
        yield Static(id="preview-head")
        yield Static(id="preview-tabs")
        yield LinesView(id="preview-view")

    def on_mount(self) -> None:
        self.query_one(LinesView).can_focus = False  # the list keeps the keys
        self._render_tabs()

    # --- following the cursor ------------------------------------------
    def follow(self, key: IssueKey | None) -> None:
        """The cursor is on `key`: show it after the cursor rests (cheap: no I/O here)."""
        if key == self._wanted:
            return
        self._wanted = key
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self._settled)

    def _settled(self) -> None:
        self._timer = None
        key = self._wanted
        if key is None:
            self.key = None
            self.loaded = None
            self.query_one("#preview-head", Static).update(Text("No issue.", style="dim"))
            return
        self.show(key)

    def show(self, key: IssueKey) -> None:
        """Show `key` now: from the cache at once, else draw what the feed has and load."""
        self._wanted = key
        self.key = key
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.loaded = cached
            self.render_all(busy=False)
            return
        self.loaded = None
        self.render_all(busy=True)
        self.loads += 1
        self._load(key)

    @work(exclusive=True, group="preview", name="Loading the preview", exit_on_error=False)
    async def _load(self, key: IssueKey) -> None:
        issue = self.session.feed.get(key)
        source = self.session.detail_for(issue) if issue is not None else None
        if issue is None or source is None:
            self._head_note("no detail source (offline)")
            return
        try:
            event = await source.latest_event(issue)
            events = await source.events(issue, 20)
            trace_id = event.trace_id if event is not None else None
            trace = await source.trace(trace_id) if trace_id else None
        except Exception as exc:  # shown in the pane; the list goes on
            self._head_note(f"could not load: {safe(exc, limit=120)}")
            return
        loaded = Loaded(event, events, trace)
        self._cache[key] = loaded
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)
        if self.key == key:
            self.loaded = loaded
            self.render_all(busy=False)

    def issue_changed(self) -> None:
        """A live update: redraw the head (counts, last seen) of the issue shown."""
        if self.key is not None:
            self._render_head(busy=self.loaded is None)

    # --- rendering ------------------------------------------
    def _issue(self) -> Issue | None:
        return self.session.feed.get(self.key) if self.key is not None else None

    def _head_note(self, note: str) -> None:
        self._render_head(busy=False, note=note)

    def _render_head(self, *, busy: bool, note: str = "") -> None:
        issue = self._issue()
        head = Text(no_wrap=True, overflow="ellipsis")
        if issue is None:
            head.append("The issue left the feed.", style="dim")
        else:
            head.append(safe(issue.short_id, limit=40), style="bold")
            head.append(tabs.SEP, style="dim")
            head.append(f"{safe(issue.service, limit=20)} {issue.level.value}")
            head.append(tabs.SEP, style="dim")
            head.append(tabs.counts_label(issue), style="dim")
            if busy:
                head.append("  loading…", style="italic dim")
            if note:
                head.append(f"  {note}", style=f"italic {palette_of(self.app).warning}")
            head.append("\n")
            head.append(safe(issue.title, limit=300), style="bold")
        self.query_one("#preview-head", Static).update(head)

    def render_all(self, *, busy: bool) -> None:
        self._render_head(busy=busy)
        issue = self._issue()
        if issue is None:
            return
        loaded = self.loaded or Loaded(None, [], None)
        now = self.now()
        colours = palette_of(self.app)
        self._lines = {
            "p-overview": [
                (line, None) for line in tabs.overview(issue, loaded.event, now).split()
            ],
            "p-stack": tabs.stack_lines(loaded.event, full=False, palette=colours),
            "p-crumbs": tabs.breadcrumb_lines(loaded.event, palette=colours),
            "p-trace": tabs.trace_lines(loaded.trace, bar_width=20, palette=colours),
            "p-events": tabs.event_lines(
                loaded.events,
                loaded.event.event_id if loaded.event else None,
                now,
                palette=colours,
            ),
        }
        self._show_tab()

    def _show_tab(self) -> None:
        self.query_one(LinesView).set_lines(self._lines.get(self.tab, []))

    def _render_tabs(self) -> None:
        bar = Text(no_wrap=True, overflow="ellipsis")
        for n, (pane, title) in enumerate(zip(TABS, TITLES, strict=True)):
            if n:
                bar.append(" │ ", style="dim")
            bar.append(title, style="bold reverse" if pane == self.tab else "dim")
        bar.append("   ⇥ next tab", style="dim italic")
        self.query_one("#preview-tabs", Static).update(bar)

    # --- tabs ------------------------------------------
    @property
    def tab(self) -> str:
        return self._tab

    def next_tab(self, step: int = 1) -> None:
        self._tab = TABS[(TABS.index(self._tab) + step) % len(TABS)]
        self._render_tabs()
        self._show_tab()
