"""IssueScreen: Overview / Stack trace / Breadcrumbs / Trace / Events of one issue."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from sxtriage.core.events import EventArrived, FeedChanged, SessionEvent
from sxtriage.models import Event, Issue, IssueKey, Source, Trace
from sxtriage.ui.bindings import bindings
from sxtriage.ui.host import Host
from sxtriage.ui.screens.issue import tabs, trend_source
from sxtriage.ui.screens.issue.live_events import LiveEvents
from sxtriage.ui.screens.issue.trend import Style, Trend, trend_text
from sxtriage.ui.text import safe
from sxtriage.ui.theme import Palette, palette_of
from sxtriage.ui.widgets.lines_view import LinesView
from sxtriage.ui.widgets.related_panel import RelatedPanel
from sxtriage.ui.workers import LoudWorkers

TABS = ("overview", "stack", "crumbs", "trace", "events")


class IssueScreen(LoudWorkers, Screen[None]):
    SCOPE = "issue"
    BINDINGS = bindings("issue")
    DEFAULT_CSS = """
    IssueScreen #issue-head { height: auto; max-height: 3; background: $panel; padding: 0 1; }
    IssueScreen #overview-scroll { height: 1fr; }
    IssueScreen #overview-text { padding: 0 1; }
    IssueScreen #related { width: 44; display: none; }
    IssueScreen #related.-show { display: block; }
    IssueScreen TabbedContent { height: 1fr; width: 1fr; }
    IssueScreen TabPane { padding: 0; }
    """

    def __init__(
        self, app_: Host, key: IssueKey, *, event_id: str | None = None, issue: Issue | None = None
    ) -> None:
        super().__init__()
        self.sx = app_
        self.session = app_.session
        self.key = key
        self._issue: Issue | None = self.session.feed.get(key) or issue
        self.first_event = event_id
        """The event to show first (a jump to an event); None: the latest."""
        self.event: Event | None = None
        self.events: list[Event] = []
        self.trace: Trace | None = None
        self.trend: Trend | None = None
        self.full_frames = False
        self.category: str | None = None
        self.busy = True
        self.live = LiveEvents(self._issue.count if self._issue is not None else 0)
        self._shown: tuple[object, ...] = ()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def issue(self) -> Issue | None:
        return self.session.feed.get(self.key) or self._issue

    def compose(self) -> ComposeResult:
        yield Static(id="issue-head")
        with Horizontal():
            with TabbedContent(initial="overview"):
                with TabPane("Overview", id="overview"), VerticalScroll(id="overview-scroll"):
                    yield Static(id="overview-text")
                with TabPane("Stack trace", id="stack"):
                    yield LinesView(id="stack-view")
                with TabPane("Breadcrumbs", id="crumbs"):
                    yield LinesView(id="crumbs-view")
                with TabPane("Trace", id="trace"):
                    yield LinesView(id="trace-view")
                with TabPane("Events", id="events"):
                    yield LinesView(id="events-view")
            yield RelatedPanel(id="related")
        yield Footer()

    def on_mount(self) -> None:
        self._unsubscribe = self.session.subscribe(self._on_session)
        self.render_all()
        self.load(self.first_event)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # --- live: new events and counts, in place ------------------------------------------
    def _on_session(self, event: SessionEvent) -> None:
        if isinstance(event, EventArrived):
            if event.key == self.key and self.live.arrived(self.events, event.event):
                self.render_live(events=True)
        elif isinstance(event, FeedChanged):
            issue = self.session.feed.get(self.key)
            if issue is None:
                return
            if issue.source is Source.SENTRY:
                self.live.counted(issue.count)
            self.render_live()

    def render_live(self, *, events: bool = False) -> None:
        """The header, the overview and (for a streamed event) the events list, redrawn
        only when what they show changed; no I/O, no reload."""
        issue = self.issue
        if issue is None or not self.is_mounted:
            return
        shown = (issue.count, issue.user_count, issue.last_seen, issue.status, self.live.new)
        if shown != self._shown:
            self.render_head(issue)
            self._render_overview(issue)
        if events:
            self._render_events(keep_cursor=True)

    # --- loading ------------------------------------------
    @work(exclusive=True, group="detail", name="Loading the event", exit_on_error=False)
    async def load(self, event_id: str | None = None, *, refetch: bool = False) -> None:
        """A failure is reported by `LoudWorkers`; the screen keeps what it has.
        `refetch`: the events list again (the poll counted events we have not got)."""
        issue = self.issue
        source = self.session.detail_for(issue) if issue is not None else None
        if issue is None or source is None:
            self.busy = False
            self.sx.notify("No detail source for this issue (offline).", severity="warning")
            self.render_all()
            return
        try:
            if refetch:
                self.events = self.live.merge(self.events, await source.events(issue, 50))
                event_id = self._newer_id()
                if event_id is None:
                    return
            if not self.events:
                self.events = await source.events(issue, 50)
            if event_id is None:
                self.event = await source.latest_event(issue)
            else:
                self.event = await source.event(issue, event_id)
            if self.event is not None:
                self.live.viewed(self.events, self.event.event_id)
            if self.trend is None:
                self.trend = await trend_source.gather(
                    self.session, issue, self.events, self.sx.now().timestamp()
                )
            trace_id = self.event.trace_id if self.event is not None else None
            self.trace = await source.trace(trace_id) if trace_id else None
            if self.trace is not None:
                self.session.observe_trace(self.trace, issue.source)
        finally:
            self.busy = False
            self.render_all()

    # --- rendering ------------------------------------------
    def render_all(self) -> None:
        issue = self.issue
        if issue is None:
            return
        self.render_head(issue)
        self._render_overview(issue)
        self.render_stack()
        self.render_crumbs()
        trace = tabs.trace_lines(self.trace, palette=self.palette)
        self.query_one("#trace-view", LinesView).set_lines(trace)
        self._render_events()
        self._render_related()

    def _render_events(self, *, keep_cursor: bool = False) -> None:
        current = self.event.event_id if self.event else None
        self.query_one("#events-view", LinesView).set_lines(
            tabs.event_lines(
                self.events, current, self.sx.now(), set(self.live.unseen), palette=self.palette
            ),
            keep_cursor=keep_cursor,
        )

    def _render_overview(self, issue: Issue) -> None:
        self.query_one("#overview-text", Static).update(self._overview(issue))

    @property
    def palette(self) -> Palette:
        """The current theme's colours (the text below is built in code, not CSS)."""
        return palette_of(self.app)

    def render_head(self, issue: Issue) -> None:
        self._shown = (issue.count, issue.user_count, issue.last_seen, issue.status, self.live.new)
        head = Text()
        head.append(safe(issue.short_id, limit=40), style="bold")
        head.append(tabs.SEP, style="dim")
        head.append(f"{safe(issue.service, limit=20)} {issue.level.value}")
        head.append(tabs.SEP, style="dim")
        head.append_text(tabs.workflow_label(issue, palette=self.palette))
        head.append(tabs.SEP, style="dim")
        head.append(tabs.counts_label(issue), style="dim")
        if self.live.new:
            head.append(tabs.SEP, style="dim")
            head.append(
                f"● {self.live.new} new event{'s' if self.live.new != 1 else ''}",
                style=f"bold {self.palette.success}",
            )
            head.append(" ([ shows)", style="dim")
        if self.busy:
            head.append("  loading…", style="italic dim")
        head.append("\n")
        head.append(safe(issue.title, limit=300), style="bold")
        head.truncate(max(20, self.size.width * 2 or 160), overflow="ellipsis")
        self.query_one("#issue-head", Static).update(head)

    def _overview(self, issue: Issue) -> Text:
        """The overview, with the releases filled from the event when the issue lacks them
        and the suspect release ("new in web@2.3.0") named."""
        event = self.event
        fill: dict[str, str] = {}
        if event is not None and event.release:
            if not issue.release:
                fill["release"] = event.release
            if not issue.first_release:
                oldest = self.events[-1] if self.events else event  # newest first
                fill["first_release"] = oldest.release or event.release
        shown = issue.model_copy(update=fill) if fill else issue
        text = tabs.overview(shown, event, self.sx.now())
        if self.trend is not None:
            width = max(0, (self.size.width or 120) - 4)
            text = trend_text(self.trend, min(width, 100), self._chart_style()) + "\n\n" + text
        suspect = self.session.correlator.suspect_release(issue)
        if not suspect:
            return text
        note = Text()
        note.append(f"⚑ new in {safe(suspect, limit=80)}", style=f"bold {self.palette.warning}")
        note.append(" — first seen right after this release appeared (suspect release)\n\n")
        return note + text

    def _chart_style(self) -> Style:
        colours = self.palette
        encoding = (self.app.console.encoding or "utf-8").lower()
        return Style(
            bar=colours.primary,
            suspect=f"bold {colours.warning}",
            release=colours.accent,
            ascii=not encoding.startswith("utf"),
        )

    def on_resize(self) -> None:
        issue = self.issue
        if issue is not None and self.trend is not None:
            self._render_overview(issue)

    def render_stack(self) -> None:
        lines = tabs.stack_lines(self.event, full=self.full_frames, palette=self.palette)
        self.query_one("#stack-view", LinesView).set_lines(lines)

    def render_crumbs(self) -> None:
        lines = tabs.breadcrumb_lines(self.event, self.category, palette=self.palette)
        self.query_one("#crumbs-view", LinesView).set_lines(lines)

    def _render_related(self) -> None:
        items = self.session.correlator.related(self.key)
        panel = self.query_one(RelatedPanel)
        panel.set_class(bool(items) and self.size.width >= 100, "-show")
        if items:
            panel.update_related(items)

    # --- actions ------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def _switch(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        current = tabs.active or "overview"
        tabs.active = TABS[(TABS.index(current) + step) % len(TABS)]
        self._focus_active()

    def _focus_active(self) -> None:
        active = self.query_one(TabbedContent).active
        if active and active != "overview":
            self.query_one(f"#{active}-view", LinesView).focus()

    def action_next_tab(self) -> None:
        self._switch(1)

    def action_prev_tab(self) -> None:
        self._switch(-1)

    def action_toggle_frames(self) -> None:
        self.full_frames = not self.full_frames
        self.render_stack()

    def action_cycle_category(self) -> None:
        cats = tabs.categories(self.event)
        if not cats:
            return
        if self.category is None:
            self.category = cats[0]
        else:
            index = cats.index(self.category) + 1 if self.category in cats else 0
            self.category = cats[index] if index < len(cats) else None
        self.render_crumbs()

    def _newer_id(self) -> str | None:
        """The event just newer than the one shown (the list is newest first)."""
        ids = [e.event_id for e in self.events]
        current = self.event.event_id if self.event else None
        index = ids.index(current) - 1 if current in ids else 0
        return ids[index] if 0 <= index < len(ids) else None

    def _step_event(self, step: int) -> None:
        if not self.events:
            return
        ids = [e.event_id for e in self.events]
        current = self.event.event_id if self.event else None
        index = ids.index(current) + step if current in ids else 0
        if 0 <= index < len(ids):
            self.load(ids[index])
        elif step < 0 and self.live.uncounted:
            self.load(refetch=True)  # the poll counted newer events: fetch them
        else:
            self.sx.notify("No more events that way.", timeout=2)

    def action_next_event(self) -> None:
        self._step_event(1)

    def action_prev_event(self) -> None:
        self._step_event(-1)

    # --- messages ------------------------------------------
    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(self._focus_active)

    @on(LinesView.Selected)
    def _selected(self, message: LinesView.Selected) -> None:
        target = message.target
        if isinstance(target, str):
            self.load(target)
        elif isinstance(target, tabs.SpanTarget):
            self.jump_to(target.span.issue_ids)

    def jump_to(self, issue_ids: list[str]) -> None:
        for key in self.session.feed.issues:
            if key[1] in issue_ids and key != self.key:
                self.sx.open_issue(key, replace=True)
                return
        self.sx.notify("That span's issue is not in the feed.", severity="warning")

    def action_jump_related(self) -> None:
        """Open the related issue highlighted in the panel (the first one by default)."""
        items = self.session.correlator.related(self.key)
        if not items:
            self.sx.notify("No issue of another service shares a trace with this one.")
            return
        if self.query_one(RelatedPanel).jump():
            return
        self.sx.open_issue(items[0].key, replace=True)

    @on(RelatedPanel.Jump)
    def _related_jump(self, message: RelatedPanel.Jump) -> None:
        self.sx.open_issue(message.key, replace=True)
