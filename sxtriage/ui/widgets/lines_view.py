"""A virtual list of prepared `Text` lines with a cursor (Line API).

Used by the detail tabs: a 5,000-frame stack or 10,000 breadcrumbs render only the
visible lines.  `enter` on a line that carries a target posts `LinesView.Selected`.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sxtriage.ui.bindings import bindings

MAX_WIDTH = 1000


class LinesView(ScrollView, can_focus=True):
    BINDINGS = bindings("list")
    COMPONENT_CLASSES = {"lines-view--cursor"}
    DEFAULT_CSS = """
    LinesView { height: 1fr; background: $surface; }
    LinesView > .lines-view--cursor { background: $primary 25%; }
    LinesView:focus > .lines-view--cursor { background: $primary 45%; }
    """

    class Selected(Message):
        def __init__(self, view: LinesView, target: Any) -> None:
            self.view = view
            self.target = target
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[Text] = []
        self.targets: list[Any] = []
        self.cursor = 0
        self._strips: dict[int, Strip] = {}

    def set_lines(self, lines: list[tuple[Text, Any]], *, keep_cursor: bool = False) -> None:
        self.lines = [t for t, _ in lines]
        self.targets = [target for _, target in lines]
        self._strips.clear()
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.cursor = min(self.cursor, max(0, len(self.lines) - 1))
        widest = max((cell_len(t.plain) for t in self.lines[:2000]), default=0)
        self.virtual_size = Size(min(MAX_WIDTH, widest), len(self.lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.size.width
        base = self.rich_style
        if index >= len(self.lines):
            return Strip.blank(width, base)
        strip = self._strips.get(index)
        if strip is None:
            text = self.lines[index]
            segments = list(text.render(self.app.console))
            strip = Strip(segments).crop(0, MAX_WIDTH)
            if len(self._strips) > 4000:
                self._strips.clear()
            self._strips[index] = strip
        x = int(self.scroll_x)
        out = strip.crop(x, x + width).apply_style(base)
        if index == self.cursor:
            cursor: Style = self.get_component_rich_style("lines-view--cursor", partial=True)
            out = out.adjust_cell_length(width, base).apply_style(cursor)
        return out.adjust_cell_length(width, base)

    # --- cursor ------------------------------------------
    def _move(self, index: int) -> None:
        if not self.lines:
            return
        old = self.cursor
        self.cursor = max(0, min(index, len(self.lines) - 1))
        page = max(1, self.size.height)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)
        self.refresh_line(old)
        self.refresh_line(self.cursor)

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_cursor_top(self) -> None:
        self._move(0)

    def action_cursor_bottom(self) -> None:
        self._move(len(self.lines) - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor + max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(self.cursor - max(1, self.size.height - 1))

    def action_open(self) -> None:
        if 0 <= self.cursor < len(self.targets) and self.targets[self.cursor] is not None:
            self.post_message(self.Selected(self, self.targets[self.cursor]))

    def action_mark(self) -> None:
        """Space has no meaning in a detail view."""
