"""AlertsStrip: the firing alert rules — service, value vs threshold, since when — one
line each; enter (or a click) on a line posts `AlertsStrip.Jump` with its issues."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sxtriage.models import IssueKey
from sxtriage.triage.alerts import Firing
from sxtriage.ui.text import safe


def _clock(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def firing_prompt(firing: Firing) -> Text:
    """One plain-text line: "▲ api errors per minute 14 > 10 /1m · since 05:21:03 …"."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("▲ ", style="bold red")
    line.append(safe(firing.service, limit=32), style="bold")
    line.append(" ")
    line.append(safe(firing.rule_name, limit=80))
    line.append(" ")
    line.append(firing.format_value(), style="bold red")
    line.append(f" > {firing.format_value(firing.threshold)} /{firing.window_text}", style="dim")
    line.append(f" · since {_clock(firing.since)}")
    if firing.event_time is not None:
        when = firing.event_time.astimezone() if firing.event_time.tzinfo else firing.event_time
        line.append(f" · last event {when.strftime('%H:%M:%S')}", style="dim")
    n = len(firing.issue_keys)
    if n:
        line.append(f" · {n} issue{'s' if n != 1 else ''} ⏎", style="cyan")
    return line


class AlertsStrip(Vertical):
    """Hidden while nothing fires; `update_alerts(firing)` shows one line per firing rule."""

    DEFAULT_CSS = """
    AlertsStrip { height: auto; max-height: 4; background: $error 15%; }
    AlertsStrip > OptionList { height: auto; max-height: 4; border: none; padding: 0;
                               background: transparent; }
    """

    class Jump(Message):
        """The user picked a firing alert: show its matching issues."""

        def __init__(self, firing: Firing, keys: list[IssueKey]) -> None:
            super().__init__()
            self.firing = firing
            self.keys = keys

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.firing: list[Firing] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="alerts-list", compact=True)

    def on_mount(self) -> None:
        self.display = bool(self.firing)

    def update_alerts(self, firing: Sequence[Firing]) -> None:
        """Replace the lines; the highlighted line stays on the same (rule, service)."""
        options = self.query_one("#alerts-list", OptionList)
        current = self._ident(options.highlighted)
        self.firing = list(firing)
        options.set_options(
            [Option(firing_prompt(f), id=str(n)) for n, f in enumerate(self.firing)]
        )
        idents = [(f.rule_id, f.service) for f in self.firing]
        if idents:
            options.highlighted = idents.index(current) if current in idents else 0
        self.display = bool(self.firing)

    def _ident(self, index: int | None) -> tuple[str, str] | None:
        if index is None or not 0 <= index < len(self.firing):
            return None
        f = self.firing[index]
        return (f.rule_id, f.service)

    def jump(self, index: int | None = None) -> bool:
        """Post `Jump` for line `index` (default: the highlighted one); False if none."""
        if index is None:
            index = self.query_one("#alerts-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self.firing):
            return False
        firing = self.firing[index]
        self.post_message(self.Jump(firing, list(firing.issue_keys)))
        return True

    @on(OptionList.OptionSelected, "#alerts-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.jump(event.option_index)
