"""Issue table rows: which columns fit a width, and one issue as styled plain segments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from sxtriage.models import Issue, Level, Status
from sxtriage.ui.text import LEVEL_GLYPH, compact, fit, relative, safe
from sxtriage.ui.widgets.issue_list.badges import REVIEW_GLYPH, badge, priority_short, state_word

NO_STYLE = Style()
TREND_CELLS = 12
"""The 24 h sparkline: two hours a cell."""
_BARS = "▁▂▃▄▅▆▇█"


def trend_text(hourly: list[int], width: int = TREND_CELLS) -> str:
    """Hourly counts (oldest first) as `width` bar cells, each the sum of its hours; a cell
    with any event is above the baseline.  No data: "—"."""
    if not hourly or width <= 0:
        return "—"
    per = -(-len(hourly) // width)
    start = len(hourly) - per * width  # the newest hours fill whole cells
    cells = [sum(hourly[max(0, i) : max(0, i + per)]) for i in range(start, len(hourly), per)]
    top = max(cells)
    if top <= 0:
        return _BARS[0] * len(cells)
    top_bar = len(_BARS) - 1
    return "".join(_BARS[0] if v <= 0 else _BARS[max(1, -(-v * top_bar // top))] for v in cells)


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    width: int
    min_total: int
    """Shown only when the table is at least this wide."""
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("flag", "", 3, 0),
    Column("level", "L", 2, 0),
    Column("priority", "PRI", 4, 60),
    Column("short_id", "ID", 12, 30),
    Column("service", "SVC", 7, 56),
    Column("title", "TITLE", 0, 0),
    Column("events", "EVENTS", 7, 48, right=True),
    Column("trend", "24H", TREND_CELLS, 100),
    Column("users", "USERS", 6, 72, right=True),
    Column("first", "FIRST", 6, 110, right=True),
    Column("last", "LAST", 6, 38, right=True),
    Column("assignee", "ASSIGNEE", 16, 96),
    Column("status", "STATE", 11, 86),
    Column("ticket", "", 2, 64),
)
TITLE_MIN = 12
ID_MIN, ID_MAX = 8, 16
MULTI_SERVICE = "⇄"
"""Flag: the issue shares traces with another service's issue (one incident)."""


@dataclass(frozen=True)
class RowNote:
    """What correlation knows about a row."""

    multi_service: bool = False
    suspect_release: str | None = None
    """ "web@2.3.0": the issue came with that new release."""


NO_NOTE = RowNote()


STATE_MIN = next(c.min_total for c in COLUMNS if c.name == "status")
TREND_MIN = next(c.min_total for c in COLUMNS if c.name == "trend")


def id_width(longest: int) -> int:
    """The ID column fits the longest short id, within [ID_MIN, ID_MAX]."""
    return max(ID_MIN, min(ID_MAX, longest))


TITLE_ROOM = TITLE_MIN + 8
"""The title width an optional column gives way to."""
GIVE_WAY_FIRST = ("first", "users", "trend", "assignee", "ticket")
"""Columns that give way to the title before the ID column shrinks …"""
GIVE_WAY_LAST = ("priority", "service", "events")
"""… and those that give way after it did."""


@lru_cache(maxsize=256)
def layout(width: int, short_id: int = 12) -> tuple[tuple[Column, int], ...]:
    """The columns that fit, with the title taking the rest.  Columns shown from their
    `min_total` give way while the title would be narrower than TITLE_ROOM: first
    GIVE_WAY_FIRST, then the ID column shrinks from `short_id` (to ID_MIN), then
    GIVE_WAY_LAST; at the narrowest the ID keeps min(short_id, 12) while the title keeps
    TITLE_MIN."""
    chosen = [c for c in COLUMNS if width >= c.min_total]
    has_id = any(c.name == "short_id" for c in chosen)

    def room(ident: int) -> int:
        fixed = sum(c.width + 1 for c in chosen if c.name not in ("title", "short_id"))
        return width - fixed - 1 - (ident + 1 if has_id else 0)

    for name in GIVE_WAY_FIRST:
        if room(short_id) >= TITLE_ROOM:
            break
        chosen = [c for c in chosen if c.name != name]
    ident = short_id
    while ident > min(short_id, ID_MIN) and room(ident) < TITLE_ROOM:
        ident -= 1
    for name in GIVE_WAY_LAST:
        if room(ident) >= TITLE_ROOM:
            break
        chosen = [c for c in chosen if c.name != name]
    if has_id:
        ident = max(ident, min(short_id, 12, room(0) - 1 - TITLE_MIN))
    title = max(TITLE_MIN, room(ident))
    return tuple(
        (c, title if c.name == "title" else ident if c.name == "short_id" else c.width)
        for c in chosen
    )


@dataclass
class RowStyles:
    base: Style
    dim: Style
    cursor: Style
    mark: Style
    fresh: Style
    leaving: Style
    pending: Style
    header: Style
    levels: Mapping[Level, Style]
    priorities: Mapping[str, Style]
    """"high" / "medium" / "low" → style (anything else: dim)."""
    badge: Style
    trend: Style = NO_STYLE


def _title_badges(issue: Issue, state_shown: bool) -> str:
    """◆ while For Review; the substatus badge (NEW, ESC, REG, ARC, RES, ?) when no STATE
    column shows it."""
    word = "" if state_shown else badge(issue)
    return (REVIEW_GLYPH if issue.for_review else "") + word


BADGE_TITLE_MIN = 8
"""Title cells kept beside a badge; a badge that does not fit whole is not cut."""


def _fitting_badge(issue: Issue, state_shown: bool, width: int) -> str:
    tags = _title_badges(issue, state_shown)
    for tag in (tags, tags[:1] if tags.startswith(REVIEW_GLYPH) else ""):
        if tag and cell_len(tag) + 1 <= width - BADGE_TITLE_MIN:
            return tag + " "
    return ""


def header_segments(width: int, styles: RowStyles, short_id: int = 12) -> list[Segment]:
    parts: list[Segment] = []
    for col, w in layout(width, short_id):
        text = col.label.rjust(w) if col.right else col.label.ljust(w)
        parts.append(Segment(fit(text, w) + " ", styles.header))
    return parts


def row_segments(
    issue: Issue,
    width: int,
    styles: RowStyles,
    *,
    now: datetime,
    cursor: bool = False,
    marked: bool = False,
    fresh: bool = False,
    leaving: bool = False,
    pending: bool = False,
    note: RowNote = NO_NOTE,
    short_id: int = 12,
    trend: list[int] | None = None,
) -> list[Segment]:
    """`trend`: the issue's hourly counts over 24 h, oldest first (None/[]: no data)."""
    base = styles.base
    if leaving:
        base = base + styles.leaving
    if fresh:
        base = base + styles.fresh
    if marked:
        base = base + styles.mark
    if cursor:
        base = base + styles.cursor
    dim = base + styles.dim
    out: list[Segment] = []
    for col, w in layout(width, short_id):
        style = base
        name = col.name
        if name == "flag":
            text = (
                ("●" if marked else " ")
                + ("⟳" if pending else " ")
                + (MULTI_SERVICE if note.multi_service else " ")
            )
            style = base + styles.pending if pending else base
        elif name == "level":
            text = LEVEL_GLYPH.get(issue.level, "?")
            style = base + styles.levels.get(issue.level, Style())
            if cursor:
                style = style + Style(reverse=False)
        elif name == "priority":
            text = priority_short(issue.priority)
            style = base + styles.priorities.get((issue.priority or "").lower(), styles.dim)
        elif name == "short_id":
            text = safe(issue.short_id, limit=40)
        elif name == "service":
            text = safe(issue.service, limit=20)
        elif name == "title":
            tag = _fitting_badge(issue, width >= STATE_MIN, w)
            if tag:
                out.append(Segment(tag, base + styles.badge))
                w -= cell_len(tag)
            if note.suspect_release:
                tag = f"new in {safe(note.suspect_release, limit=40)} "
                if cell_len(tag) > w - TITLE_MIN:  # whole or as a flag: never "new in w…"
                    tag = "⚑ " if w - TITLE_MIN >= 2 else ""
                if tag:
                    out.append(Segment(tag, base + styles.pending))
                    w -= cell_len(tag)
            title = safe(issue.title, limit=400)
            culprit = safe(issue.culprit, limit=200)
            title_fit = fit(title, w)
            used = cell_len(title)
            if culprit and used + 3 < w:
                out.append(Segment(title + "  ", style))
                out.append(Segment(fit(culprit, w - used - 2) + " ", dim))
                continue
            text = title_fit
        elif name == "events":
            text = compact(issue.count)
        elif name == "trend":
            text = trend_text(trend or [], w)
            style = base + styles.trend if trend and any(trend) else dim
        elif name == "users":
            text = compact(issue.user_count)
        elif name == "first":
            text = relative(issue.first_seen, now)
            style = dim
        elif name == "last":
            text = relative(issue.last_seen, now)
        elif name == "assignee":
            text = safe(issue.assignee, limit=60) if issue.assignee else "—"
            style = base if issue.assignee else dim
        elif name == "status":
            text = state_word(issue)
            style = dim if issue.status is not Status.UNRESOLVED else base
            if text in ("escalating", "regressed", "new", "?"):
                style = base + styles.badge
        elif name == "ticket":
            text = "⧉" if issue.linked_ticket else ""
        else:  # pragma: no cover - every column is handled above
            text = ""
        cell = text.rjust(w) if col.right else text
        out.append(Segment(fit(cell, w) + " ", style))
    return out
