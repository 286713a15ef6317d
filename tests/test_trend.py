"""The overview's trend chart: buckets, width, release markers (the suspect named), the
ASCII fallback, and where the buckets come from (Sentry's stats, the relay's events)."""

from __future__ import annotations

from rich.cells import cell_len

from sxtriage.sentry import wire
from sxtriage.ui.screens.issue.live_events import LiveEvents
from sxtriage.ui.screens.issue.trend import (
    DAY,
    HOUR,
    Marker,
    Style,
    Trend,
    chart,
    from_times,
    trend_text,
)
from tests.fixtures_ui import NOW, make_event, make_issue

END = NOW.timestamp()


def test_buckets_from_event_times_and_width_aware_chart() -> None:
    times = [END - 30, END - 60, END - 5 * HOUR - 60, END - 30 * HOUR]  # the last one is too old
    series = from_times(times, step=HOUR, end=END, n=24, label="24 h")
    assert series.counts[-1] == 2 and series.counts[-6] == 1 and sum(series.counts) == 3
    suspect = Marker("web@2.3.0", END - 5 * HOUR - 60, suspect=True)
    for width in (40, 60, 100):
        lines = chart(series, [suspect], width, Style()).plain.split("\n")
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert lines[0].startswith("24 h  3 events · peak 2")
        assert "▲" in lines[-2] and "▲ web@2.3.0 (suspect release)" in lines[-1]
    narrow = chart(series, [suspect], 20, Style()).plain
    assert narrow == "24 h  3 events · peak 2"  # one line when there is no room


def test_ascii_fallback_and_side_by_side() -> None:
    hourly = from_times([END - 10], step=HOUR, end=END, n=24, label="24 h")
    daily = from_times([END - 10, END - 3 * DAY], step=DAY, end=END, n=14, label="14 d")
    text = trend_text(Trend(hourly, daily), 100, Style(ascii=True)).plain
    assert (text.isascii() and "#" in text) or "@" in text
    first = text.split("\n")[0]
    assert "24 h" in first and "14 d" in first  # side by side at 100 columns
    stacked = trend_text(Trend(hourly, daily), 60, Style()).plain
    assert "14 d" not in stacked.split("\n")[0]
    assert "No trend yet" in trend_text(Trend(), 80, Style()).plain


def test_sentry_detail_stats_30d_are_read() -> None:
    stats = {"24h": [[1, 2], [2, 3]], "30d": [[1, 5], [2, 0], [3, 7]]}
    assert wire._stats_24h(stats) == [2, 3]
    assert wire._stats_24h(stats, "30d") == [5, 0, 7]
    assert wire._stats_24h({"24h": "junk"}, "30d") == []


def test_live_events_counter() -> None:
    issue = make_issue(1)
    old = [make_event(issue, seed=n) for n in (1, 2)]
    live = LiveEvents(baseline=issue.count)
    new = make_event(issue, seed=9)
    assert live.arrived(old, new) and not live.arrived(old, new)  # once
    assert live.new == 1 and old[0] is new
    assert not live.counted(issue.count + 1)  # the relay's own count is not counted twice
    live.viewed(old, new.event_id)
    assert live.new == 0
    assert live.counted(issue.count + 3) and live.new == 2
    fresh = [make_event(issue, seed=n) for n in (7, 8)] + old
    live.merge(old, fresh)
    assert live.uncounted == 0 and live.unseen == [fresh[0].event_id, fresh[1].event_id]
