"""Assign: fuzzy search over org members and teams ("me" first, recent, suggested team)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from sxtriage.triage.actions import AssignCandidate
from sxtriage.ui.modals.picker import FilterPicker

AssignChoice = AssignCandidate


def fuzzy_score(query: str, text: str) -> int | None:
    """Subsequence match: None if no match; higher is better (contiguous, early, prefix)."""
    if not query:
        return 0
    q, t = query.lower(), text.lower()
    if q in t:
        return 1000 - t.index(q) * 2 - len(t) // 8 + (200 if t.startswith(q) else 0)
    score, pos, last = 0, 0, -2
    for ch in q:
        found = t.find(ch, pos)
        if found < 0:
            return None
        score += 10 if found == last + 1 else 1
        last, pos = found, found + 1
    return score


def rank(candidates: list[AssignCandidate], query: str) -> list[AssignCandidate]:
    """Candidates matching `query`, best first; the given order breaks ties."""
    scored = []
    for index, c in enumerate(candidates):
        best = max(
            (s for s in (fuzzy_score(query, c.label), fuzzy_score(query, c.hint)) if s is not None),
            default=None,
        )
        if best is not None:
            scored.append((-best, index, c))
    return [c for _, _, c in sorted(scored, key=lambda x: (x[0], x[1]))]


class AssignModal(FilterPicker[AssignCandidate]):
    DEFAULT_CSS = """
    AssignModal { align: center middle; }
    AssignModal > Vertical {
        width: 64; max-width: 95%; height: 24; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    AssignModal OptionList { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="assign.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="assign.down"),
        Binding("up", "move(-1)", "Up", show=False, id="assign.up"),
    ]

    def __init__(self, candidates: list[AssignCandidate]) -> None:
        super().__init__()
        self.candidates = candidates
        self.shown: list[AssignCandidate] = list(candidates)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Assign to")
            yield Input(placeholder="type a name, e-mail or #team", id="query")
            yield OptionList(id="people")

    def on_mount(self) -> None:
        self._refresh("")
        self.query_one(Input).focus()

    def _refresh(self, query: str) -> None:
        self.shown = rank(self.candidates, query.strip())
        options = self.query_one(OptionList)
        options.clear_options()
        for c in self.shown:
            line = Text(c.label)
            if c.hint and c.hint != c.label:
                line.append(f"  {c.hint}", style="dim")
            options.add_option(Option(line))
        if self.shown:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._refresh(event.value)
