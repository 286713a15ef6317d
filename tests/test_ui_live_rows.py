"""The issue list under live updates: a row is drawn again only when its issue or its
look changed (rows that only moved are reused), what is drawn is always current, and
new rows never re-lay-out the screen while the scrollbar follows them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sxtriage.models import IssueDelta, Source
from tests.fixtures_ui import NOW, make_issue, make_issues


async def test_rows_are_current_after_live_changes(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(80))
    async with app.run_test(size=(160, 40)) as pilot:
        lst = app.feed_screen().issue_list
        feed = app.session.feed
        await pilot.pause()
        before = [lst.render_line(y) for y in range(1, lst.size.height)]
        # three new issues on top: every row moves down, none of them changed
        newer = [  # short ids as wide as the others: the ID column keeps its width
            make_issue(n, last_seen=NOW + timedelta(seconds=n), short_id=f"NEW-{n}")
            for n in (90, 91, 92)
        ]
        feed.apply(IssueDelta(source=Source.SENTRY, upserts=newer))
        await pilot.press("g")  # the cursor held its issue; back to the top to see them
        await pilot.pause()
        after = [lst.render_line(y) for y in range(1, lst.size.height)]
        assert [s.text for s in after[3:]] == [s.text for s in before[: len(after) - 3]]
        reused = sum(a is b for a, b in zip(after[3:], before, strict=False))
        assert reused >= len(after) - 3 - 2  # moved, not built again (the old cursor row is)
        assert all(
            issue.short_id in strip.text
            for issue, strip in zip(reversed(newer), after, strict=False)
        )
        # a changed issue is drawn from its new data; the cursor's row follows the cursor
        changed = feed.issues[feed.order[5]].model_copy(update={"title": "Renamed on the fly"})
        feed.apply(IssueDelta(source=Source.SENTRY, upserts=[changed]))
        await pilot.press("j")
        await pilot.pause()
        assert any("Renamed on the fly" in lst.render_line(y).text for y in range(1, 40))

        def background(y: int) -> object:
            return next(iter(lst.render_line(y))).style.bgcolor  # type: ignore[union-attr]

        assert background(2) != background(1) == background(3)  # the cursor is on row 2 now


async def test_new_rows_move_the_scrollbar_without_a_layout(ui_app) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(200))
    async with app.run_test(size=(120, 40)) as pilot:  # no preview beside the list
        lst = app.feed_screen().issue_list
        feed = app.session.feed
        await pilot.pause()
        layouts = 0
        screen = app.screen
        relayout = screen._refresh_layout

        def watch(*args, **kw):  # type: ignore[no-untyped-def]
            nonlocal layouts
            layouts += screen._layout_required  # a layout, not a scroll-only refresh
            return relayout(*args, **kw)

        screen._refresh_layout = watch  # type: ignore[method-assign]
        lst.action_cursor_bottom()
        for n in range(50):
            feed.apply(
                IssueDelta(
                    source=Source.SENTRY,
                    upserts=[make_issue(5000 + n, last_seen=NOW + timedelta(seconds=n))],
                )
            )
            await pilot.pause()
        assert lst.virtual_size.height == len(feed.order) + 1 == 251
        assert lst.max_scroll_y == 251 - lst.scrollable_content_region.height
        # the scrollbar shows what a freshly laid out list would show
        bar = lst.vertical_scrollbar
        assert bar.window_virtual_size in range(240, 252)
        assert bar.position == lst.scroll_y == lst.max_scroll_y
        assert lst.cursor_key == feed.order[-1]
        assert layouts == 0


def test_a_throttle_runs_at_once_after_quiet_and_once_per_interval_while_busy() -> None:
    from sxtriage.ui.screens.feed.live import Throttle

    now = 100.0
    runs: list[float] = []
    scheduled: list[tuple[float, Callable[[], None]]] = []
    throttle = Throttle(
        lambda: runs.append(now), 0.25, lambda d, fn: scheduled.append((d, fn)), lambda: now
    )
    throttle.soon()
    assert runs == [100.0] and not scheduled  # quiet before: at once
    now = 100.1
    for _ in range(5):  # a stream of changes within the interval: one run, at its end
        throttle.soon()
    assert runs == [100.0] and len(scheduled) == 1
    delay, fire = scheduled[0]
    assert abs(delay - 0.15) < 1e-9
    now = 100.25
    fire()
    assert runs == [100.0, 100.25]
    now = 101.0
    throttle.soon()
    assert runs == [100.0, 100.25, 101.0] and len(scheduled) == 1
