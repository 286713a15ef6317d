"""Ignore menu like Sentry's: for a duration, until N more events / users, or forever."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sxtriage.models import IgnoreSpec

CHOICES: list[tuple[str, str, IgnoreSpec]] = [
    ("30m", "For 30 minutes", IgnoreSpec(duration_min=30)),
    ("2h", "For 2 hours", IgnoreSpec(duration_min=120)),
    ("24h", "For 24 hours", IgnoreSpec(duration_min=1440)),
    ("1w", "For 1 week", IgnoreSpec(duration_min=10080)),
    ("e10", "Until it happens 10 more times", IgnoreSpec(count=10)),
    ("e100", "Until it happens 100 more times", IgnoreSpec(count=100)),
    ("e1000", "Until it happens 1,000 more times", IgnoreSpec(count=1000)),
    ("u10", "Until it affects 10 more users", IgnoreSpec(user_count=10)),
    ("u100", "Until it affects 100 more users", IgnoreSpec(user_count=100)),
    ("forever", "Forever", IgnoreSpec()),
]
_SPECS = {key: spec for key, _, spec in CHOICES}


class IgnoreModal(ModalScreen[IgnoreSpec | None]):
    DEFAULT_CSS = """
    IgnoreModal { align: center middle; }
    IgnoreModal > Vertical {
        width: 50; height: auto; border: thick $accent; background: $surface; padding: 1 2;
    }
    IgnoreModal OptionList { height: auto; max-height: 14; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ignore.cancel")]

    def __init__(self, count: int = 1) -> None:
        super().__init__()
        self._count = count

    def compose(self) -> ComposeResult:
        what = "this issue" if self._count == 1 else f"{self._count} issues"
        with Vertical():
            yield Label(Text(f"Ignore {what}"))
            yield OptionList(*[Option(Text(label), id=key) for key, label, _ in CHOICES])

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(_SPECS[event.option.id or "forever"].model_copy())

    def action_cancel(self) -> None:
        self.dismiss(None)
