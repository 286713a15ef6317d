"""Archive menu like Sentry's (static/app/components/actions/archive.tsx): until escalating
(Sentry's default, first), forever, for a duration, until N more events / N more users,
or a condition typed by hand.  It returns the chosen `IgnoreSpec`; it sends nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from sxtriage.models import IgnoreSpec
from sxtriage.triage.conditions import EXAMPLE, ConditionError, parse_condition

ESCALATING, FOREVER, CUSTOM = "escalating", "forever", "custom"
CHOICES: list[tuple[str, str, IgnoreSpec]] = [
    (
        ESCALATING,
        "Until escalating (events exceed their forecast)",
        IgnoreSpec(until_escalating=True),
    ),
    (FOREVER, "Forever", IgnoreSpec()),
    ("30m", "For 30 minutes", IgnoreSpec(duration_min=30)),
    ("2h", "For 2 hours", IgnoreSpec(duration_min=120)),
    ("6h", "For 6 hours", IgnoreSpec(duration_min=360)),
    ("24h", "For 24 hours", IgnoreSpec(duration_min=1440)),
    ("1w", "For 1 week", IgnoreSpec(duration_min=10080)),
    ("e10", "Until it occurs 10 more times", IgnoreSpec(count=10)),
    ("e100", "Until it occurs 100 more times", IgnoreSpec(count=100)),
    ("e100h", "Until it occurs 100 times in an hour", IgnoreSpec(count=100, window_min=60)),
    ("e1000", "Until it occurs 1,000 more times", IgnoreSpec(count=1000)),
    ("u10", "Until it affects 10 more users", IgnoreSpec(user_count=10)),
    ("u100", "Until it affects 100 more users", IgnoreSpec(user_count=100)),
    (CUSTOM, "Custom condition…", IgnoreSpec()),
]
_SPECS = {key: spec for key, _, spec in CHOICES}


class ArchiveModal(ModalScreen[IgnoreSpec | None]):
    """`until_escalating` / `conditions`: None when the server has them, else the reason."""

    DEFAULT_CSS = """
    ArchiveModal { align: center middle; }
    ArchiveModal > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ArchiveModal #archive-title { text-style: bold; }
    ArchiveModal #archive-note { color: $warning; height: auto; }
    ArchiveModal OptionList { height: auto; max-height: 16; }
    ArchiveModal Input { display: none; border: none; height: 1; }
    ArchiveModal Input.-show { display: block; }
    ArchiveModal #archive-error { color: $error; height: auto; display: none; }
    ArchiveModal #archive-error.-show { display: block; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="archive.cancel")]

    def __init__(
        self,
        count: int = 1,
        *,
        until_escalating: str | None = None,
        conditions: str | None = None,
    ) -> None:
        super().__init__()
        self._count = count
        self._why_not = {ESCALATING: until_escalating}
        for key, _label, spec in CHOICES:
            if spec.has_condition or key == CUSTOM:
                self._why_not[key] = conditions

    def compose(self) -> ComposeResult:
        what = "this issue" if self._count == 1 else f"{self._count} issues"
        notes = sorted({r for r in self._why_not.values() if r})
        options = []
        for key, label, _spec in CHOICES:
            reason = self._why_not.get(key)
            text = Text(label + (" — unavailable" if reason else ""))
            options.append(Option(text, id=key, disabled=bool(reason)))
        with Vertical():
            yield Label(Text(f"Archive {what}"), id="archive-title")
            if notes:
                yield Static(Text("\n".join(notes)), id="archive-note")
            yield OptionList(*options)
            yield Input(placeholder=EXAMPLE, id="archive-custom")
            yield Static(id="archive-error")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        first = next((i for i, (k, _l, _s) in enumerate(CHOICES) if not self._why_not.get(k)), 0)
        options.highlighted = first

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id or FOREVER
        if key == CUSTOM:
            box = self.query_one("#archive-custom", Input)
            box.add_class("-show")
            box.focus()
            return
        self.dismiss(_SPECS[key].model_copy())

    @on(Input.Submitted, "#archive-custom")
    def _custom(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#archive-error", Static)
        try:
            spec = parse_condition(event.value)
        except ConditionError as exc:
            error.update(Text(str(exc)))
            error.add_class("-show")
            return
        self.dismiss(spec)

    def action_cancel(self) -> None:
        self.dismiss(None)
