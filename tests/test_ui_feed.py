"""Pilot tests of the feed screen: navigation, filter, pause, scopes, cursor stability."""

from __future__ import annotations

from datetime import timedelta

from sxtriage.models import IssueDelta, Source, Status
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.widgets.filter_bar import FilterBar
from tests.fixtures_ui import NOW, health, make_issue, make_issues


def _feed_screen(app) -> FeedScreen:  # type: ignore[no-untyped-def]
    screen = app.feed_screen()
    assert screen is not None
    return screen


async def test_vim_and_arrow_navigation(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(60))
    async with app.run_test(size=(120, 30)) as pilot:
        lst = _feed_screen(app).issue_list
        order = app.session.feed.order
        assert lst.cursor_key == order[0]
        await pilot.press("j", "j", "down")
        assert lst.cursor_key == order[3]
        await pilot.press("k", "up")
        assert lst.cursor_key == order[1]
        await pilot.press("G")
        assert lst.cursor_key == order[-1]
        assert lst.scroll_y > 0  # the cursor row was scrolled into view
        await pilot.press("g")
        assert lst.cursor_key == order[0] and lst.scroll_y == 0
        await pilot.press("enter")
        await pilot.pause()
        assert getattr(app.screen, "SCOPE", None) == "issue"
        await pilot.press("escape")
        assert app.screen.id == "feed"


async def test_cursor_stays_on_issue_while_50_rows_are_inserted_above(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(100))
    async with app.run_test(size=(120, 30)) as pilot:
        lst = _feed_screen(app).issue_list
        await pilot.press(*["j"] * 10)
        target = lst.cursor_key
        screen_row = app.session.feed.position(target) - int(lst.scroll_y)
        await pilot.press("space")  # mark it (moves down), then come back
        await pilot.press("k")
        assert lst.cursor_key == target and target in lst.marks
        newer = [make_issue(n, last_seen=NOW + timedelta(seconds=n)) for n in range(1000, 1050)]
        app.session.feed.apply(IssueDelta(source=Source.SENTRY, upserts=newer))
        await pilot.pause()
        assert app.session.feed.position(target) == 60
        assert lst.cursor_key == target and target in lst.marks
        assert app.session.feed.position(target) - int(lst.scroll_y) == screen_row
        # a re-sort moves the row; the cursor and the mark move with it
        await pilot.press("s")
        await pilot.pause()
        assert lst.cursor_key == target and target in lst.marks
        assert app.selected_issues()[0].key == target


async def test_cursor_falls_to_neighbour_when_its_issue_goes(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(20))
    async with app.run_test(size=(120, 30)) as pilot:
        lst = _feed_screen(app).issue_list
        await pilot.press("j", "j")
        gone = lst.cursor_key
        after = app.session.feed.order[3]
        app.session.feed.apply(IssueDelta(source=Source.SENTRY, removals=[gone[1]]))
        await pilot.pause()
        assert lst.cursor_key == after


async def test_filter_bar_live_results_errors_and_history(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(40))
    async with app.run_test(size=(120, 30)) as pilot:
        feed = app.session.feed
        await pilot.press("slash")
        bar = app.screen.query_one(FilterBar)
        assert bar.has_class("-open")
        await pilot.press(*"level:fatal")
        await pilot.pause()
        assert len(feed) == 6 and all(feed.get(k).level.value == "fatal" for k in feed.order)
        await pilot.press("space", *'"unterminated')
        await pilot.pause()
        assert "unterminated quote" in str(bar.query_one("#filter-error").render())
        assert len(feed) == 6  # the last good filter stays while typing
        for _ in range(len(' "unterminated')):
            await pilot.press("backspace")
        await pilot.press("enter")
        await pilot.pause()
        assert not bar.has_class("-open") and feed.query.text == "level:fatal"
        assert bar.history[-1] == "level:fatal"
        # esc restores the filter that was active before opening the bar
        await pilot.press("slash", "backspace", "backspace", "escape")
        await pilot.pause()
        assert feed.query.text == "level:fatal"
        # history: ↑ recalls it
        await pilot.press("slash")
        bar.input.value = ""
        await pilot.press("up")
        assert bar.input.value == "level:fatal"
    stored = app.session.prefs.get("filter_history")
    assert stored == ["level:fatal"]


async def test_scopes_zero_to_four(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(40))
    async with app.run_test(size=(120, 30)) as pilot:
        feed = app.session.feed
        await pilot.press("2")
        assert feed.scope == "web" and all(feed.get(k).service == "web" for k in feed.order)
        await pilot.press("4")
        assert feed.scope == "search" and len(feed) == 10
        await pilot.press("0")
        assert feed.scope is None and len(feed) == 40


async def test_pause_freezes_rows_and_counts_new(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(10))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = _feed_screen(app)
        lst = screen.issue_list
        await pilot.press("p")
        assert lst.paused
        frozen = list(lst.order)
        fresh = [make_issue(n, last_seen=NOW + timedelta(seconds=5)) for n in range(200, 205)]
        app.session.feed.apply(IssueDelta(source=Source.SENTRY, upserts=fresh))
        await pilot.pause()
        assert lst.order == frozen and len(lst.new_while_paused) == 5
        assert "5 new" in str(screen.query_one("#status").render())
        await pilot.press("p")
        assert not lst.paused and len(lst.order) == 15 and lst.order[0] in {i.key for i in fresh}


async def test_resolved_row_lingers_then_ages_out(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(10))
    async with app.run_test(size=(120, 30)) as pilot:
        feed = app.session.feed
        feed.set_filter("is:unresolved")
        issue = feed.get(feed.order[0])
        feed.apply(
            IssueDelta(
                source=Source.SENTRY, upserts=[issue.model_copy(update={"status": Status.RESOLVED})]
            )
        )
        await pilot.pause()
        assert issue.key in _feed_screen(app).issue_list.order
        feed.tick(NOW.timestamp() + 60)
        await pilot.pause()
        assert issue.key not in _feed_screen(app).issue_list.order


async def test_source_down_banner_keeps_last_data(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(5))
    async with app.run_test(size=(120, 30)) as pilot:
        app.session.on_health(health("sentry", False, "connection refused (http://127.0.0.1:9)"))
        screen = _feed_screen(app)
        screen.refresh_chrome()
        await pilot.pause()
        banner = screen.query_one("#banner")
        assert banner.has_class("-show")
        assert "showing last data" in str(banner.render())
        assert len(app.session.feed) == 5
        app.session.on_health(health("sentry", True))
        screen.refresh_chrome()
        assert not banner.has_class("-show")


async def test_graceful_at_40_by_12(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(30))
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.press("j", "j", "enter")
        await pilot.pause()
        await pilot.press("tab", "tab")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert app.screen.id == "feed"
