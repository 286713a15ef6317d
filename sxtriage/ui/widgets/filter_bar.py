"""The `/` filter bar: live results while typing, errors inline, history on ↑/↓."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static


class FilterBar(Vertical):
    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; background: $panel; }
    FilterBar.-open { display: block; }
    FilterBar Input { border: none; height: 1; padding: 0 1; }
    FilterBar #filter-error { height: auto; color: $error; padding: 0 1; display: none; }
    FilterBar #filter-error.-show { display: block; }
    FilterBar #filter-note { height: auto; color: $warning; padding: 0 1; display: none; }
    FilterBar #filter-note.-show { display: block; }
    """
    BINDINGS = [
        ("up", "history(-1)", "Older"),
        ("down", "history(1)", "Newer"),
        ("escape", "cancel", "Cancel"),
    ]

    class Changed(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class Done(Message):
        def __init__(self, text: str, accepted: bool) -> None:
            self.text = text
            self.accepted = accepted
            super().__init__()

    def __init__(self, history: list[str] | None = None) -> None:
        super().__init__(id="filter-bar")
        self.history: list[str] = list(history or [])
        self._index = len(self.history)
        self._before = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder='is:unresolved level:error service:api "text"', id="filter-input")
        yield Static(id="filter-error")
        yield Static(id="filter-note")

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def open(self, current: str) -> None:
        self._before = current
        self._index = len(self.history)
        self.add_class("-open")
        self.input.value = current
        self.input.cursor_position = len(current)
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.show_error(None)
        self.show_note(None)

    def show_note(self, message: str | None) -> None:
        """A warning that is not an error (a term only Sentry can evaluate)."""
        note = self.query_one("#filter-note", Static)
        note.set_class(message is not None, "-show")
        note.update(Text(message or ""))

    def show_error(self, message: str | None) -> None:
        err = self.query_one("#filter-error", Static)
        err.set_class(message is not None, "-show")
        err.update(Text(message or ""))

    def remember(self, text: str) -> None:
        text = text.strip()
        if text and (not self.history or self.history[-1] != text):
            self.history = [*[h for h in self.history if h != text][-49:], text]

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.remember(event.value)
        self.post_message(self.Done(event.value, accepted=True))

    def action_cancel(self) -> None:
        self.post_message(self.Done(self._before, accepted=False))

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._index = max(0, min(len(self.history), self._index + step))
        value = self.history[self._index] if self._index < len(self.history) else ""
        self.input.value = value
        self.input.cursor_position = len(value)
