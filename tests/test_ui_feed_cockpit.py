"""The on-call cockpit on the feed screen: quiet alerts (one coalesced toast per burst,
never over the rows), the preview beside the list, the 24 h trend column."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from textual.widgets._toast import Toast

from sxtriage.config import Settings
from sxtriage.models import Event, IssueDelta, Source
from sxtriage.trends import Trends
from sxtriage.ui.screens.feed.alert_toasts import burst_text
from sxtriage.ui.widgets.issue_list.rows import trend_text
from sxtriage.ui.widgets.preview import DEBOUNCE
from tests.fixtures_ui import NOW, make_issue, make_issues


async def _until(pilot: Any, cond: Callable[[], bool], what: str, deadline: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def _record(app: Any) -> tuple[list[str], list[int]]:
    """The toasts' texts and the bells, as the app shows and rings them."""
    toasts: list[str] = []
    bells: list[int] = []
    notify = app.notify

    def recording(message: str, *args: Any, **kw: Any) -> None:
        toasts.append(message)
        notify(message, *args, **kw)

    app.notify = recording
    app.bell = lambda: bells.append(1)
    return toasts, bells


def _new_local_issues(start: int) -> IssueDelta:
    fresh = [
        make_issue(n, source=Source.RELAY, first_seen=NOW, last_seen=NOW)
        for n in range(start, start + 6)
    ]
    return IssueDelta(source=Source.RELAY, upserts=fresh)


async def test_a_burst_of_new_issues_makes_one_coalesced_toast_not_one_per_issue(
    ui_app,  # type: ignore[no-untyped-def]
) -> None:
    app = ui_app(make_issues(30))
    toasts, bells = _record(app)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.feed_screen()
        app.session.on_delta(_new_local_issues(100))  # six new issues, four services
        assert screen.query_one("AlertsStrip").display  # the strip says it at once
        await _until(pilot, lambda: screen._toaster.toasts >= 1, "the burst's toast")
        assert len(toasts) == 1 and not any(t.startswith("Alert:") for t in toasts)
        assert toasts[0].startswith("6 new issues in ")
        for service in ("api", "web", "mobile", "search"):
            assert service in toasts[0]
        assert len(bells) == 1
        # the toast sits over the service bar: never over the list's rows
        await _until(pilot, lambda: bool(app.screen.query(Toast)), "the toast widget")
        await pilot.pause()
        rows_top = screen.issue_list.region.y
        for toast in app.screen.query(Toast):
            assert toast.region.bottom <= rows_top, (toast.region, rows_top)
        # a second burst right after waits for the gap: still one toast, no new bell
        app.session.on_delta(_new_local_issues(200))
        await pilot.pause(0.3)
        assert len(toasts) == 1


async def test_toasts_off_keeps_the_strip_and_the_bell(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures_ui import build_app

    settings = Settings(data_dir=tmp_path, alert_toasts="off")
    app = build_app(tmp_path, make_issues(10), settings=settings)
    toasts, bells = _record(app)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.session.on_delta(_new_local_issues(100))
            await pilot.pause(1.2)  # longer than a burst: nothing may come
            assert app.feed_screen().query_one("AlertsStrip").display
            assert toasts == [] and len(bells) == 1
    finally:
        app.session.store.close()


def test_burst_text_names_counts_services_and_rules() -> None:
    from sxtriage.insights.firing import AlertChange, Firing

    def change(rule: str, name: str, service: str, keys: int = 1) -> AlertChange:
        firing = Firing(rule, name, service, 1, 0, "", 60, 0, issue_keys=[("relay", "x")] * keys)
        return AlertChange("fired", firing, "m", bell=True)

    text = burst_text(
        [
            change("new-issue", "new issue", "mobile"),
            change("new-issue", "new issue", "api", 2),
            change("errors-per-minute", "errors per minute", "api"),
        ]
    )
    assert text == "3 new issues in mobile, api · 1 alert: api errors per minute"


async def test_preview_follows_the_cursor_debounced_and_enter_opens_full_screen(
    ui_app,  # type: ignore[no-untyped-def]
) -> None:
    app = ui_app(make_issues(40))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.feed_screen()
        lst, preview = screen.issue_list, screen.preview
        assert preview.display and preview.key == lst.cursor_key
        await _until(pilot, lambda: preview.loaded is not None, "the first preview")
        loads = preview.loads
        # moves quicker than the debounce make one load, for the issue the cursor rests on
        order = app.session.feed.order
        for key in order[1:6]:
            preview.follow(key)
        await _until(pilot, lambda: preview.key == order[5], "the debounced preview")
        await _until(pilot, lambda: preview.loaded is not None, "the preview's detail")
        assert preview.loads == loads + 1
        # through the keys: the cursor moves at once, the preview follows it
        loads = preview.loads
        await pilot.press(*"jjjjj")
        await _until(pilot, lambda: preview.key == lst.cursor_key, "the preview to follow")
        await _until(pilot, lambda: preview.loaded is not None, "the preview's detail")
        assert lst.cursor_key == order[5] and preview.loads <= loads + 5
        issue = app.session.feed.get(lst.cursor_key)
        head = str(preview.query_one("#preview-head").render())
        assert issue.short_id in head
        assert app.focused is lst  # the list keeps the keys
        await pilot.press("tab")
        assert preview.tab == "p-stack" and app.focused is lst
        # coming back to an issue shown before: from the cache, no new load
        loads = preview.loads
        preview.follow(order[0])  # the first issue shown
        await pilot.pause(DEBOUNCE)
        await _until(pilot, lambda: preview.key == order[0], "the preview back")
        assert preview.loaded is not None and preview.loads == loads
        # the key toggles the split; enter still opens the issue full screen
        await pilot.press("backslash")
        assert not preview.display
        await pilot.press("backslash")
        assert preview.display
        await pilot.press("enter")
        await pilot.pause()
        assert getattr(app.screen, "SCOPE", None) == "issue"


async def test_no_preview_below_140_columns(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(20))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.feed_screen()
        assert not screen.preview.display
        await pilot.press("backslash")  # says why, stays off
        assert not screen.preview.display
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert screen.preview.display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not screen.preview.display


async def test_trend_column_by_width_from_sentry_stats_and_observed_events(
    ui_app,  # type: ignore[no-untyped-def]
) -> None:
    sentry = make_issue(1, last_seen=NOW, stats_24h=[0] * 20 + [1, 2, 4, 9])
    local = make_issue(2, source=Source.RELAY, last_seen=NOW - timedelta(seconds=1))
    app = ui_app([sentry, local, *make_issues(10, start=10)])
    async with app.run_test(size=(120, 30)) as pilot:
        app.session.on_delta(IssueDelta(source=Source.RELAY, upserts=[local]))
        for n in range(5):
            app.session.on_event(
                Event(
                    event_id=f"{n:032x}",
                    issue_id=local.id,
                    source=Source.RELAY,
                    service=local.service,
                    timestamp=NOW,
                    received=NOW,
                )
            )
        await pilot.pause()
        lst = app.feed_screen().issue_list
        header = lst.render_line(0).text
        assert "24H" in header
        lines = {lst.render_line(y).text for y in range(1, 5)}
        assert any(trend_text(sentry.stats_24h) in line for line in lines)
        assert any("▁▁▁▁▁▁▁▁▁▁▁█" in line and local.short_id in line for line in lines)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "24H" not in lst.render_line(0).text
        assert "LAST" in lst.render_line(0).text  # nothing cut at the right edge


def test_trends_count_hourly_shift_with_the_clock_and_stay_bounded() -> None:
    trends = Trends(hours=24, max_issues=2)
    t0 = 1_000 * 3600.0
    trends.observe(("relay", "a"), t0)
    trends.observe(("relay", "a"), t0 + 10)
    trends.observe(("relay", "a"), t0 - 3600)
    assert trends.series(("relay", "a"), t0)[-2:] == [1, 2]
    assert trends.series(("relay", "a"), t0 + 3 * 3600)[-5:] == [1, 2, 0, 0, 0]
    assert trends.series(("relay", "a"), t0 + 30 * 3600) == [0] * 24
    assert trends.series(("relay", "zz"), t0) == []
    trends.observe(("relay", "b"), t0)
    trends.observe(("relay", "c"), t0)
    assert trends.series(("relay", "a"), t0) == []  # the least recently counted went
    assert trend_text([]) == "—" and trend_text([0] * 24) == "▁" * 12
