"""The `?` help screen, generated from the key registry (with the user's keymap applied)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sxtriage.ui.bindings import KeySpec, Scope, help_rows

LEGEND = (
    "Row badges: ◆ for review · NEW ESC REG (new, escalating, regressed) · ARC archived · "
    "RES resolved · ? a state this version does not know · PRI high/med/low"
)


def help_table(
    keymap: dict[str, str],
    unavailable: dict[str, str] | None = None,
    extra: Iterable[KeySpec] = (),
) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
    table.add_column("Group", style="dim", no_wrap=True)
    table.add_column("Keys", style="bold", no_wrap=True)
    table.add_column("Action")
    table.add_column(Text("Id (for [keymap])"), style="dim", no_wrap=True)
    last = None
    scopes: tuple[Scope, ...] = ("list", "feed", "issue", "app")
    for group, keys, description, binding_id in help_rows(keymap, scopes, extra):
        action = Text(description)
        if unavailable and binding_id in unavailable:
            action.append(f" — unavailable: {unavailable[binding_id]}", style="dim italic")
        table.add_row(Text(group if group != last else ""), Text(keys), action, Text(binding_id))
        last = group
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%;
        border: round $primary; background: $surface; padding: 0 1; }
    """

    def __init__(
        self,
        keymap: dict[str, str],
        unavailable: dict[str, str] | None = None,
        extra: Iterable[KeySpec] = (),
    ) -> None:
        super().__init__(id="help")
        self.keymap = keymap
        self.unavailable = unavailable or {}
        self.extra = list(extra)
        """The user's own commands ([[commands]])."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("sxtriage keys — remap any id in config.toml [keymap]", style="bold"))
            yield Static(help_table(self.keymap, self.unavailable, self.extra))
            yield Static(Text(LEGEND, style="dim"))

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
