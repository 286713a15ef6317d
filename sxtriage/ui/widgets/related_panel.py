"""RelatedPanel: "Related across services" — the issues of other services that share
traces with the open issue, with the first span that failed; picking one posts `Jump`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sxtriage.insights.correlate import Related
from sxtriage.models import IssueKey
from sxtriage.ui.text import safe
from sxtriage.ui.theme import Palette, default_palette, palette_of

TITLE = "Related across services"


def related_prompt(item: Related, palette: Palette | None = None) -> Text:
    """Three plain-text lines: service · short id · shared traces / title / first failure."""
    p = palette or default_palette()
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(safe(item.service, limit=32), style="bold")
    head.append("  ")
    head.append(safe(item.short_id, limit=40), style=p.accent)
    traces = "trace" if item.shared_traces == 1 else "traces"
    head.append(f"  {item.shared_traces} shared {traces}", style="dim")
    lines = [
        head,
        Text(safe(item.title or "(no title)", limit=300), no_wrap=True, overflow="ellipsis"),
    ]
    if item.first_failing_span:
        span = Text("↳ ", style=p.error, no_wrap=True, overflow="ellipsis")
        span.append(safe(item.first_failing_span, limit=200), style=p.error)
        lines.append(span)
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


class RelatedPanel(Vertical):
    """Shows `update_related(items)`; enter (or a click) on a row posts `RelatedPanel.Jump`."""

    DEFAULT_CSS = """
    RelatedPanel { height: 1fr; border-left: vkey $panel-lighten-2; }
    RelatedPanel > #related-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    RelatedPanel > #related-list { height: 1fr; border: none; padding: 0;
                                   text-wrap: nowrap; text-overflow: ellipsis; }
    RelatedPanel > #related-empty { padding: 0 1; color: $text-muted; }
    """

    class Jump(Message):
        """The user picked a related issue."""

        def __init__(self, key: IssueKey) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[Related] = []

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="related-title")
        yield OptionList(id="related-list", compact=True)
        yield Static(
            "No issue of another service shares a trace with this one.", id="related-empty"
        )

    def on_mount(self) -> None:
        self._show()

    def update_related(self, items: Sequence[Related]) -> None:
        """Replace the rows; the highlighted row stays on the same issue if still present."""
        options = self.query_one("#related-list", OptionList)
        current = self.highlighted_key
        self.items = list(items)
        options.set_options(
            [
                Option(related_prompt(item, palette_of(self.app)), id=str(n))
                for n, item in enumerate(self.items)
            ]
        )
        if self.items:
            keys = [item.key for item in self.items]
            options.highlighted = keys.index(current) if current in keys else 0
        self._show()

    def _show(self) -> None:
        n = len(self.items)
        title = Text(TITLE, style="bold")
        if n:
            title.append(f" ({n})", style="dim")
        self.query_one("#related-title", Static).update(title)
        self.query_one("#related-list", OptionList).display = n > 0
        self.query_one("#related-empty", Static).display = n == 0

    @property
    def highlighted_key(self) -> IssueKey | None:
        index = self.query_one("#related-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self.items):
            return None
        return self.items[index].key

    def jump(self, index: int | None = None) -> bool:
        """Post `Jump` for row `index` (default: the highlighted row); False if none."""
        if index is None:
            key = self.highlighted_key
        else:
            key = self.items[index].key if 0 <= index < len(self.items) else None
        if key is None:
            return False
        self.post_message(self.Jump(key))
        return True

    @on(OptionList.OptionSelected, "#related-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.jump(event.option_index)
