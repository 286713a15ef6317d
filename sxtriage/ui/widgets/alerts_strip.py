"""AlertsStrip: the firing alert rules — service, value vs threshold, since when — one
line each, at most `MAX_LINES` (worst first with `worst_first`) and "+N more"; enter (or
a click) on a line posts `AlertsStrip.Jump` with its issues."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sxtriage.insights.firing import Firing
from sxtriage.models import IssueKey
from sxtriage.ui.text import safe
from sxtriage.ui.theme import Palette, default_palette, palette_of

MAX_LINES = 2
RULE_RANK = {
    "critical": 0,
    "payment-failures": 1,
    "errors-per-minute": 2,
    "error-rate": 3,
    "p95-duration": 4,
    "auth-failures": 5,
    "regression": 6,
    "errors-5m": 7,
    "new-issue": 9,
}
"""Lower is worse; rules not listed (user rules) rank between regression and new issue."""


def worst_first(firing: Sequence[Firing]) -> list[Firing]:
    """Most urgent first: by rule, then how far over its threshold, then the newest."""

    def key(f: Firing) -> tuple[int, float, float]:
        over = f.value / f.threshold if f.threshold else f.value + 1
        return (RULE_RANK.get(f.rule_id, 8), -over, -f.since)

    return sorted(firing, key=key)


def _clock(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def firing_prompt(firing: Firing, palette: Palette | None = None) -> Text:
    """One plain-text line: "▲ api errors per minute 14 > 10 /1m · since 05:21:03 …"."""
    p = palette or default_palette()
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("▲ ", style=f"bold {p.error}")
    line.append(safe(firing.service, limit=32), style="bold")
    line.append(" ")
    line.append(safe(firing.rule_name, limit=80))
    line.append(" ")
    line.append(firing.format_value(), style=f"bold {p.error}")
    line.append(f" > {firing.format_value(firing.threshold)} /{firing.window_text}", style="dim")
    line.append(f" · since {_clock(firing.since)}")
    if firing.event_time is not None:
        when = firing.event_time.astimezone() if firing.event_time.tzinfo else firing.event_time
        line.append(f" · last event {when.strftime('%H:%M:%S')}", style="dim")
    n = len(firing.issue_keys)
    if n:
        line.append(f" · {n} issue{'s' if n != 1 else ''} ⏎", style=p.accent)
    return line


class AlertsStrip(Horizontal):
    """Hidden while nothing fires; `update_alerts(firing)` shows one line per firing rule
    (the first `MAX_LINES`, in the order given; the rest as "+N more")."""

    DEFAULT_CSS = """
    AlertsStrip { height: auto; max-height: 2; background: $error 15%; }
    AlertsStrip > OptionList { width: 1fr; height: auto; max-height: 2; border: none;
                               padding: 0; background: transparent;
                               text-wrap: nowrap; text-overflow: ellipsis; }
    AlertsStrip > #alerts-more { width: auto; height: 1; padding: 0 1; color: $warning;
                                 text-style: bold; }
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
        """The firing rules shown (at most MAX_LINES)."""
        self.hidden = 0
        """How many more are firing ("+N more")."""

    def compose(self) -> ComposeResult:
        yield OptionList(id="alerts-list", compact=True)
        yield Static("", id="alerts-more")

    def on_mount(self) -> None:
        self.display = bool(self.firing)

    def update_alerts(self, firing: Sequence[Firing]) -> None:
        """Replace the lines; the highlighted line stays on the same (rule, service)."""
        options = self.query_one("#alerts-list", OptionList)
        current = self._ident(options.highlighted)
        everything = list(firing)
        self.firing = everything[:MAX_LINES]
        self.hidden = len(everything) - len(self.firing)
        more = self.query_one("#alerts-more", Static)
        more.update(f"+{self.hidden} more" if self.hidden else "")
        more.display = self.hidden > 0
        options.set_options(
            [
                Option(firing_prompt(f, palette_of(self.app)), id=str(n))
                for n, f in enumerate(self.firing)
            ]
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
