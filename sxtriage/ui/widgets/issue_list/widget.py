"""The issue table as a virtual list (Line API): renders only the visible rows.

The order of keys comes from the feed; the cursor and the marks are issue KEYS, so they
stay on the same issue across live updates and re-sorts.  Line 0 is a sticky header.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container
from datetime import datetime
from math import ceil

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sxtriage.feed import Feed, FeedChange
from sxtriage.models import PRIORITIES, Issue, IssueKey
from sxtriage.ui.bindings import bindings
from sxtriage.ui.text import relative
from sxtriage.ui.theme import palette_of
from sxtriage.ui.widgets.issue_list.rows import (
    NO_NOTE,
    TREND_MIN,
    RowNote,
    RowStyles,
    header_segments,
    id_width,
    row_segments,
)

FLASH_SECONDS = 2.0
ROW_CACHE = 1000
LIVE_EVERY = 1 / 30
"""Seconds: while changes stream in, the list takes the feed's new order (and redraws
all its rows) at most this often; a key's cursor move is drawn in the next frame, which
then repaints two lines instead of the whole list."""
"""Drawn rows kept for reuse (a few screens' worth; emptied when full)."""


class IssueList(ScrollView, can_focus=True):
    BINDINGS = bindings("list")
    COMPONENT_CLASSES = {
        "issue-list--header",
        "issue-list--cursor",
        "issue-list--mark",
        "issue-list--fresh",
        "issue-list--leaving",
        "issue-list--pending",
        "issue-list--dim",
        "issue-list--priority-high",
        "issue-list--priority-medium",
        "issue-list--priority-low",
        "issue-list--badge",
        "issue-list--trend",
    }
    DEFAULT_CSS = """
    IssueList { height: 1fr; overflow-x: hidden; background: $surface; }
    IssueList > .issue-list--header { background: $panel; color: $text-muted; text-style: bold; }
    IssueList > .issue-list--cursor { background: $primary 40%; }
    IssueList:focus > .issue-list--cursor { background: $primary 60%; }
    IssueList > .issue-list--mark { background: $secondary 30%; }
    IssueList > .issue-list--fresh { background: $success 25%; }
    IssueList > .issue-list--leaving { color: $text-disabled; text-style: strike; }
    IssueList > .issue-list--pending { color: $warning; }
    IssueList > .issue-list--dim { color: $text-muted; }
    IssueList > .issue-list--priority-high { color: $error; text-style: bold; }
    IssueList > .issue-list--priority-medium { color: $warning; }
    IssueList > .issue-list--priority-low { color: $text-muted; }
    IssueList > .issue-list--badge { color: $warning; text-style: bold; }
    IssueList > .issue-list--trend { color: $accent; }
    """

    class Opened(Message):
        def __init__(self, key: IssueKey) -> None:
            self.key = key
            super().__init__()

    class CursorMoved(Message):
        def __init__(self, key: IssueKey | None) -> None:
            self.key = key
            super().__init__()

    def __init__(
        self,
        feed: Feed,
        *,
        now: Callable[[], datetime],
        pending: Callable[[], Container[IssueKey]] | None = None,
        mono: Callable[[], float] | None = None,
        note: Callable[[Issue], RowNote] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.feed = feed
        self.note = note
        """Correlation's marks for a row (multi-service, suspect release)."""
        self.now = now
        self.pending = pending
        self._mono = mono or (lambda: now().timestamp())
        self.order: list[IssueKey] = list(feed.order)
        self._pos: dict[IssueKey, int] | None = None
        self.live_every = LIVE_EVERY
        self._synced_at = float("-inf")
        self._sync_due = False
        self._cursor_at: tuple[list[IssueKey], IssueKey, int | None] | None = None
        """The cursor's index in the order list it was last looked up in: a live change
        hands over a new list and asks where the cursor was in the old one."""
        self.cursor_key: IssueKey | None = self.order[0] if self.order else None
        self.marks: set[IssueKey] = set()
        self.paused = False
        self.new_while_paused: set[IssueKey] = set()
        self._fresh: dict[IssueKey, float] = {}
        self._styles: RowStyles | None = None
        self._drawing_width: int | None = None
        self._rows: dict[IssueKey, tuple[Issue, RowStyles, tuple[object, ...], Strip]] = {}
        """Each drawn row's strip and what it was drawn from: live updates shift rows down
        the screen, and a row whose issue and look did not change is not built again."""

    # --- data ------------------------------------------
    def position(self, key: IssueKey | None) -> int | None:
        if key is None:
            return None
        order = self.order
        cached = self._cursor_at
        if cached is not None and cached[0] is order and cached[1] == key:
            return cached[2]
        if order is self.feed.order:
            index = self.feed.position(key)
        elif self._pos is None:
            try:
                index = order.index(key)
            except ValueError:
                index = None
        else:
            index = self._pos.get(key)
        if key == self.cursor_key:
            self._cursor_at = (order, key, index)
        return index

    def feed_changed(self, change: FeedChange) -> None:
        """Apply a feed change: keep the cursor on its issue, at the same screen row."""
        if self.paused:
            self.new_while_paused.update(k for k in change.added if k not in self._pos_or_empty())
            self.refresh()
            return
        if 0 < len(change.added) <= 200:
            until = self._mono() + FLASH_SECONDS
            for key in change.added:
                self._fresh[key] = until
        if self._sync_due:
            return  # a catch-up is scheduled: it takes this change too
        wait = self._synced_at + self.live_every - time.monotonic()
        if wait <= 0:
            self._catch_up()
        else:
            self._sync_due = True
            self.set_timer(wait, self._catch_up)

    def _catch_up(self) -> None:
        """Take the feed's current order (the cursor stays on its issue)."""
        self._sync_due = False
        if self.paused:
            return
        self._synced_at = time.monotonic()
        self._sync_order()
        if self.marks:
            self.marks = {k for k in self.marks if k in self.feed.issues}

    def _pos_or_empty(self) -> dict[IssueKey, int]:
        if self._pos is None:
            self._pos = {k: i for i, k in enumerate(self.order)}
        return self._pos

    def _sync_order(self) -> None:
        old_key = self.cursor_key
        old_index = self.position(self.cursor_key)
        screen_row = None if old_index is None else old_index - int(self.scroll_y)
        self.order = self.feed.order
        self._pos = None
        new_index = self.position(self.cursor_key)
        if new_index is None and self.order:
            fallback = min(old_index or 0, len(self.order) - 1)
            self.cursor_key = self.order[fallback]
            new_index = fallback
        elif not self.order:
            self.cursor_key = None
        self._set_rows(len(self.order))
        if new_index is not None and screen_row is not None:
            if 0 <= screen_row < self._page():
                self.scroll_to(y=max(0, new_index - screen_row), animate=False, immediate=True)
            else:
                self._scroll_cursor_into_view()
        self.refresh()
        if self.cursor_key != old_key:
            self.post_message(self.CursorMoved(self.cursor_key))

    def _set_rows(self, rows: int) -> None:
        """The scrollable height: one line per row plus the header.  A new row does not
        re-lay-out the screen (assigning `virtual_size` would, for every widget on it):
        only the scrollbar follows, and a layout happens when it appears or goes."""
        size = Size(self.size.width, rows + 1)
        old = self.virtual_size
        if size == old:
            return
        self.set_reactive(IssueList.virtual_size, size)
        if size.width == old.width and _thumb(self, old.height) == _thumb(self, size.height):
            return  # the scrollbar would be drawn exactly as it is: no repaint of it
        self._scroll_update(size)  # scrollbar shown/hidden → Textual lays out; else repaint

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self.order = list(self.feed.order)
            self._pos = None
        else:
            self.new_while_paused.clear()
            self._sync_due = False
            self._sync_order()

    def selected(self) -> list[IssueKey]:
        """The marked keys (in display order), else the cursor's key."""
        if self.marks:
            return [k for k in self.order if k in self.marks] or list(self.marks)
        return [self.cursor_key] if self.cursor_key is not None else []

    def select_key(self, key: IssueKey) -> bool:
        if self.position(key) is None:
            return False
        self._move_to(key)
        return True

    def expire_flash(self) -> None:
        now = self._mono()
        expired = [k for k, t in self._fresh.items() if t <= now]
        for key in expired:
            del self._fresh[key]
        self.refresh()

    # --- cursor actions ------------------------------------------
    def _page(self) -> int:
        return max(1, self.size.height - 1)

    def _move_index(self, index: int) -> None:
        if not self.order:
            return
        index = max(0, min(index, len(self.order) - 1))
        self._move_to(self.order[index])

    def _move_to(self, key: IssueKey) -> None:
        old = self.position(self.cursor_key)
        self.cursor_key = key
        new = self.position(key)
        if not self._scroll_cursor_into_view():
            for index in (old, new):
                if index is not None:
                    self.refresh_line(index + 1)
        self.post_message(self.CursorMoved(key))

    def _scroll_cursor_into_view(self) -> bool:
        index = self.position(self.cursor_key)
        if index is None:
            return False
        top = int(self.scroll_y)
        page = self._page()
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + page:
            self.scroll_to(y=index - page + 1, animate=False, immediate=True)
        else:
            return False
        self.refresh()
        return True

    def action_cursor_down(self) -> None:
        self._move_index((self.position(self.cursor_key) or 0) + 1)

    def action_cursor_up(self) -> None:
        self._move_index((self.position(self.cursor_key) or 0) - 1)

    def action_cursor_top(self) -> None:
        self._move_index(0)

    def action_cursor_bottom(self) -> None:
        self._move_index(len(self.order) - 1)

    def action_page_down(self) -> None:
        self._move_index((self.position(self.cursor_key) or 0) + self._page())

    def action_page_up(self) -> None:
        self._move_index((self.position(self.cursor_key) or 0) - self._page())

    def action_open(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Opened(self.cursor_key))

    def action_mark(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        if key in self.marks:
            self.marks.discard(key)
        else:
            self.marks.add(key)
        self.action_cursor_down()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.order):
            self._move_to(self.order[index])
            if event.chain >= 2:
                self.action_open()

    # --- rendering ------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def _row_styles(self) -> RowStyles:
        if self._styles is None:

            def get(name: str) -> Style:
                # partial: the segments draw over rows of their own background.  A partial
                # style leaves an automatic colour (`$text-muted` is "auto 60%") unresolved,
                # as white whatever the theme; the full style resolves it for this background
                component = f"issue-list--{name}"
                style = self.get_component_rich_style(component, partial=True)
                if self.get_component_styles(component).auto_color:
                    style += Style(color=self.get_component_rich_style(component).color)
                return style

            self._styles = RowStyles(
                base=self.rich_style,
                dim=get("dim"),
                cursor=get("cursor"),
                mark=get("mark"),
                fresh=get("fresh"),
                leaving=get("leaving"),
                pending=get("pending"),
                header=self.rich_style + get("header"),
                levels=palette_of(self.app).levels,
                priorities={p: get(f"priority-{p}") for p in PRIORITIES},
                badge=get("badge"),
                trend=get("trend"),
            )
        return self._styles

    def _width(self) -> int:
        """The cells a row may use: the vertical scrollbar takes its own."""
        if self._drawing_width is not None:
            return self._drawing_width
        return self.scrollable_content_region.width

    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawing_width = self.scrollable_content_region.width  # once per draw
        try:
            return super().render_lines(crop)
        finally:
            self._drawing_width = None

    def trend(self, issue: Issue) -> list[int]:
        """The 24 h hourly counts: Sentry's own series, else what the feed counted."""
        if issue.stats_24h:
            return issue.stats_24h
        return self.feed.trends.series(issue.key, self.now().timestamp())

    def render_line(self, y: int) -> Strip:
        width = self._width()
        styles = self._row_styles()
        ident = id_width(self.feed.short_id_width)
        if y == 0:
            header = header_segments(width, styles, ident)
            return Strip(header).adjust_cell_length(width, styles.header)
        index = int(self.scroll_y) + y - 1
        if index >= len(self.order):
            if not self.order and y == 2:
                message = "  No issues match." if self.feed.total else "  Waiting for issues…"
                return Strip([Segment(message, styles.base + styles.dim)]).adjust_cell_length(
                    width, styles.base
                )
            return Strip.blank(width, styles.base)
        key = self.order[index]
        issue = self.feed.get(key)
        if issue is None:
            return Strip([Segment("  (gone)", styles.base + styles.dim)]).adjust_cell_length(
                width, styles.base
            )
        now = self.now()
        pending = self.pending() if self.pending is not None else ()
        note = self.note(issue) if self.note is not None else NO_NOTE
        trend = self.trend(issue) if width >= TREND_MIN else None
        flags = (
            key == self.cursor_key,
            key in self.marks,
            key in self._fresh,
            self.feed.leaving(key),
            key in pending,
        )
        ages = (relative(issue.first_seen, now), relative(issue.last_seen, now))
        look = (width, ident, flags, ages, note, tuple(trend) if trend else None)
        cached = self._rows.get(key)
        if cached is not None and cached[0] is issue and cached[1] is styles and cached[2] == look:
            return cached[3]  # the same issue drawn the same way: its row has only moved
        segments = row_segments(
            issue,
            width,
            styles,
            now=now,
            cursor=flags[0],
            marked=flags[1],
            fresh=flags[2],
            leaving=flags[3],
            pending=flags[4],
            note=note,
            short_id=ident,
            trend=trend,
        )
        strip = Strip(segments).adjust_cell_length(width, styles.base)
        if len(self._rows) >= ROW_CACHE:
            self._rows.clear()
        self._rows[key] = (issue, styles, look, strip)
        return strip

    def on_resize(self) -> None:
        self._set_rows(len(self.order))
        self._scroll_cursor_into_view()


def _thumb(view: ScrollView, height: int) -> tuple[int, int] | None:
    """Where the vertical scrollbar draws its thumb (eighths of a cell, as Textual's
    ScrollBarRender computes it) for `height` lines; None: no thumb, or not this simple
    (a horizontal scrollbar too), so the scrollbar is always updated."""
    window = view.scrollable_content_region.height
    if view.show_horizontal_scrollbar or window <= 0 or height <= window:
        return None
    thumb = max(1.0, window / (height / window))
    position = (window - thumb) * (view.scroll_y / (height - window))
    start = int(position * 8)
    return start, start + ceil(thumb * 8)
