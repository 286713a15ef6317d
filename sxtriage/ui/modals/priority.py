"""Priority menu (Sentry's high / medium / low, static/app/views/issueList/actions/
actionSet.tsx "Set Priority"): returns the chosen priority; it sends nothing."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sxtriage.models import PRIORITIES


class PriorityModal(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PriorityModal { align: center middle; }
    PriorityModal > Vertical {
        width: 40; max-width: 95%; height: auto; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    PriorityModal #priority-title { text-style: bold; }
    PriorityModal OptionList { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="priority.cancel"),
        Binding("h", "choose('high')", "High", id="priority.high"),
        Binding("m", "choose('medium')", "Medium", id="priority.medium"),
        Binding("l", "choose('low')", "Low", id="priority.low"),
    ]

    def __init__(self, count: int = 1, current: str | None = None) -> None:
        super().__init__()
        self._count = count
        self._current = current

    def compose(self) -> ComposeResult:
        what = "this issue" if self._count == 1 else f"{self._count} issues"
        options = []
        for name in PRIORITIES:
            label = f"{name.capitalize()}  ({name[0]})"
            if name == self._current:
                label += "  — current"
            options.append(Option(Text(label), id=name))
        with Vertical():
            yield Label(Text(f"Set the priority of {what}"), id="priority-title")
            yield OptionList(*options)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self._current in PRIORITIES:
            options.highlighted = PRIORITIES.index(self._current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_choose(self, name: str) -> None:
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
