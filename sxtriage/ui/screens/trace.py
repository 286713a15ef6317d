"""TraceScreen: one trace opened by id (a `:` jump), its spans as a waterfall; `enter` on an
errored span opens its issue."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from sxtriage.models import Source, Trace
from sxtriage.ui.bindings import bindings
from sxtriage.ui.host import Host
from sxtriage.ui.screens.issue import tabs
from sxtriage.ui.text import safe
from sxtriage.ui.theme import palette_of
from sxtriage.ui.widgets.lines_view import LinesView
from sxtriage.ui.workers import LoudWorkers


class TraceScreen(LoudWorkers, Screen[None]):
    SCOPE = "trace"
    BINDINGS = [b for b in bindings("issue") if b.id == "back"]
    DEFAULT_CSS = """
    TraceScreen #trace-head { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, app_: Host, trace_id: str) -> None:
        super().__init__()
        self.sx = app_
        self.session = app_.session
        self.trace_id = trace_id
        self.trace: Trace | None = None
        self.busy = True

    def compose(self) -> ComposeResult:
        yield Static(id="trace-head")
        yield LinesView(id="trace-view")
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one(LinesView).focus()
        self.load()

    @work(exclusive=True, group="trace", name="Loading the trace", exit_on_error=False)
    async def load(self) -> None:
        """Sentry's trace first, then the relay's (a local trace); a failure is toasted."""
        try:
            for source, where in (
                (self.session.sentry_detail, Source.SENTRY),
                (self.session.relay, Source.RELAY),
            ):
                if source is None:
                    continue
                trace = await source.trace(self.trace_id)
                if trace is not None and trace.spans:
                    self.trace = trace
                    self.session.observe_trace(trace, where)
                    return
            self.sx.notify(
                f"trace {self.trace_id}: not found (no spans on Sentry or the relay)",
                severity="warning",
                markup=False,
            )
        finally:
            self.busy = False
            self._show()

    def _show(self) -> None:
        head = Text("trace ", style="dim")
        head.append(safe(self.trace_id, limit=64), style="bold")
        if self.busy:
            head.append(" · loading…", style="italic dim")
        self.query_one("#trace-head", Static).update(head)
        self.query_one(LinesView).set_lines(
            tabs.trace_lines(self.trace, palette=palette_of(self.app))
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(LinesView.Selected)
    def _selected(self, message: LinesView.Selected) -> None:
        target = message.target
        if not isinstance(target, tabs.SpanTarget):
            return
        for key in self.session.feed.issues:
            if key[1] in target.span.issue_ids:
                self.sx.open_issue(key, replace=True)
                return
        self.sx.notify("That span's issue is not in the feed.", severity="warning")
