"""An issue's trend as a bar chart of plain `Text` lines: 24 h hourly and 14 d daily, with
release markers (the suspect release named and highlighted).

Pure (no widgets, no I/O): the issue screen's worker gathers the buckets (Sentry's
`stats` or the relay's stored events) and the releases; `chart` draws them at a width.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.text import Text

from sxtriage.ui.text import compact, safe
from sxtriage.ui.theme import default_palette

HOUR = 3600.0
DAY = 86400.0
_BLOCKS = " ▁▂▃▄▅▆▇█"
_ASCII = " .:-=+*#%@"
MIN_WIDTH = 30
"""Below this the chart is one line of text (totals and peak)."""


@dataclass(frozen=True)
class Series:
    label: str
    """ "24 h" or "14 d"."""
    counts: list[int]
    """Oldest first; the last bucket ends now."""
    step: float
    end: float
    """Epoch seconds at the end of the last bucket (now)."""

    @property
    def start(self) -> float:
        return self.end - self.step * len(self.counts)

    def index_of(self, t: float) -> int | None:
        if not self.counts or t < self.start or t > self.end:
            return None
        return min(len(self.counts) - 1, int((t - self.start) // self.step))


@dataclass(frozen=True)
class Marker:
    version: str
    at: float
    suspect: bool = False


@dataclass(frozen=True)
class Style:
    """Colours from the app's theme (the issue screen passes its `Palette`'s); by default
    the default theme's."""

    bar: str = field(default_factory=lambda: default_palette().primary)
    suspect: str = field(default_factory=lambda: f"bold {default_palette().warning}")
    release: str = field(default_factory=lambda: default_palette().accent)
    dim: str = "dim"
    ascii: bool = False
    """Plain ASCII (a terminal without Unicode)."""


@dataclass
class Trend:
    hourly: Series | None = None
    daily: Series | None = None
    markers: list[Marker] = field(default_factory=list)


def from_stats(counts: list[int], *, step: float, end: float, keep: int, label: str) -> Series:
    """Sentry's buckets (oldest first), the newest `keep` of them."""
    return Series(label, [max(0, int(c)) for c in counts[-keep:]], step, end)


def from_times(times: Iterable[float], *, step: float, end: float, n: int, label: str) -> Series:
    """Buckets counted from event times (the relay's events)."""
    counts = [0] * n
    start = end - step * n
    for t in times:
        if start <= t <= end:
            counts[min(n - 1, int((t - start) // step))] += 1
    return Series(label, counts, step, end)


def chart(series: Series, markers: list[Marker], width: int, style: Style, height: int = 3) -> Text:
    """`height` rows of bars scaled to the peak, a marker row, and a legend line."""
    counts = series.counts
    total, peak = sum(counts), max(counts, default=0)
    head = Text(f"{series.label}  ", style="bold")
    head.append(f"{compact(total)} events · peak {compact(peak)}", style=style.dim)
    if width < MIN_WIDTH or not counts:
        return head
    n = len(counts)
    cols = max(1, min(3, (width - 2) // n))
    shown = counts[-max(1, (width - 2) // cols) :]
    offset = n - len(shown)
    blocks = _ASCII if style.ascii else _BLOCKS
    levels = len(blocks) - 1
    marks = _marks(series, markers, offset)
    rows: list[Text] = [head]
    for row in range(height - 1, -1, -1):
        line = Text(" ")
        for i, c in enumerate(shown):
            cells = c * height * levels // peak if peak else 0
            if c and cells == 0:
                cells = 1  # a bucket with events is never blank
            part = max(0, min(levels, cells - row * levels))
            glyph = blocks[part] if part else " "
            mark = marks.get(i + offset)
            colour = (style.suspect if mark.suspect else style.release) if mark else style.bar
            line.append(glyph * cols, style=colour if part else style.dim)
        rows.append(line)
    rows.append(_marker_row(len(shown), cols, marks, offset, style))
    legend = _legend(series, markers, style)
    if legend.plain:
        rows.append(legend)
    return Text("\n").join(rows)


def _marks(series: Series, markers: list[Marker], offset: int) -> dict[int, Marker]:
    out: dict[int, Marker] = {}
    for m in markers:
        i = series.index_of(m.at)
        if i is not None and i >= offset and (i not in out or m.suspect):
            out[i] = m
    return out


def _marker_row(n: int, cols: int, marks: dict[int, Marker], offset: int, style: Style) -> Text:
    line = Text(" ")
    glyph = "^" if style.ascii else "▲"
    axis = "-" if style.ascii else "─"
    for i in range(n):
        mark = marks.get(i + offset)
        if mark is None:
            line.append(axis * cols, style=style.dim)
        else:
            line.append(
                glyph + axis * (cols - 1), style=style.suspect if mark.suspect else style.release
            )
    return line


def _legend(series: Series, markers: list[Marker], style: Style) -> Text:
    out = Text(" ")
    glyph = "^" if style.ascii else "▲"
    seen = [m for m in markers if series.index_of(m.at) is not None]
    for n, m in enumerate(seen[-4:]):
        if n:
            out.append(" · ", style=style.dim)
        out.append(
            f"{glyph} {safe(m.version, limit=40)}",
            style=style.suspect if m.suspect else style.release,
        )
        if m.suspect:
            out.append(" (suspect release)", style=style.suspect)
    return out


GAP = 4


def _natural(series: Series) -> int:
    """The width at which a chart shows every bucket at its widest (3 cells a bucket)."""
    return 2 + 3 * len(series.counts) if len(series.counts) <= 14 else 2 + 2 * len(series.counts)


def trend_text(trend: Trend, width: int, style: Style) -> Text:
    """Both charts side by side when they fit, else one under the other (or a line saying
    there is nothing to chart)."""
    series = [s for s in (trend.hourly, trend.daily) if s is not None]
    if not series:
        return Text("No trend yet (no event counts for this issue).", style="dim italic")
    if len(series) == 2 and width >= sum(_natural(s) for s in series) + GAP:
        left_w = _natural(series[0])
        left = chart(series[0], trend.markers, left_w, style).split("\n")
        right = chart(series[1], trend.markers, width - left_w - GAP, style).split("\n")
        rows = []
        for i in range(max(len(left), len(right))):
            row = left[i].copy() if i < len(left) else Text()
            row.pad_right(left_w + GAP - row.cell_len)
            if i < len(right):
                row.append_text(right[i])
            rows.append(row)
        return Text("\n").join(rows)
    return Text("\n\n").join(chart(s, trend.markers, width, style) for s in series)
