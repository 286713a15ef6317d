"""Pilot tests of the issue screen: tabs, stack toggle, breadcrumbs, trace jump, bad input."""

from __future__ import annotations

from datetime import timedelta

from sxtriage.models import Breadcrumb, Event, ExceptionValue, Frame
from sxtriage.ui.screens.issue import tabs
from sxtriage.ui.screens.issue.screen import IssueScreen
from sxtriage.ui.text import fit, safe
from sxtriage.ui.widgets.lines_view import LinesView
from tests.fixtures_ui import NOW, SampleDetail, make_event, make_issue, make_issues


async def _open(pilot, app, key) -> IssueScreen:  # type: ignore[no-untyped-def]
    app.open_issue(key)
    await pilot.pause()
    await app.screen.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, IssueScreen)
    return screen


def _plain(view: LinesView) -> list[str]:
    return [t.plain for t in view.lines]


async def test_tabs_cycle_and_render_each_part(ui_app) -> None:  # type: ignore[no-untyped-def]
    issues = make_issues(8)
    app = ui_app(issues)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open(pilot, app, issues[2].key)
        tabs = screen.query_one("TabbedContent")
        seen = []
        for _ in range(5):
            seen.append(tabs.active)
            await pilot.press("tab")
            await pilot.pause()
        assert seen == ["overview", "stack", "crumbs", "trace", "events"]
        assert tabs.active == "overview"
        await pilot.press("shift+tab")
        assert tabs.active == "events"
        stack = _plain(screen.query_one("#stack-view", LinesView))
        assert any("caused by" in line for line in stack)
        assert any("system frames (f shows all)" in line for line in stack)
        assert not any("x_3.py" in line for line in stack)
        screen.action_toggle_frames()
        full = _plain(screen.query_one("#stack-view", LinesView))
        assert any("x_3.py" in line for line in full) and "all frames" in full[0]
        assert not any("system frames" in line for line in full)
        crumbs = _plain(screen.query_one("#crumbs-view", LinesView))
        assert sum("last before the error" in line for line in crumbs) == 1
        screen.action_cycle_category()
        filtered = _plain(screen.query_one("#crumbs-view", LinesView))
        assert "category console" in filtered[0] and len(filtered) < len(crumbs)
        trace = _plain(screen.query_one("#trace-view", LinesView))
        assert "web → api → search" in trace[0]


async def test_trace_span_jumps_to_its_issue_and_events_step(ui_app) -> None:  # type: ignore[no-untyped-def]
    issues = make_issues(8)
    app = ui_app(issues)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open(pilot, app, issues[1].key)
        # the sample trace's errored span names issue 1000 (issues[0])
        view = screen.query_one("#trace-view", LinesView)
        view.cursor = next(i for i, t in enumerate(view.targets) if t is not None)
        view.action_open()
        await pilot.pause()
        assert isinstance(app.screen, IssueScreen) and app.screen.key == issues[0].key
        screen = app.screen
        await screen.workers.wait_for_complete()
        first = screen.event.event_id
        await pilot.press("right_square_bracket")
        await screen.workers.wait_for_complete()
        assert screen.event is not None and screen.event.event_id != first


def test_event_text_is_plain_never_markup() -> None:
    evil = "[bold red]boom[/] \x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\u202eRTL 🔥 שלום"
    issue = make_issue(1, title=evil, culprit=evil)
    event = make_event(issue)
    event.message = evil
    event.breadcrumbs[0].message = evil
    text = tabs.overview(issue, event, NOW)
    assert "[bold red]boom[/]" in text.plain
    assert "\x1b" not in text.plain and "\\x1b[31m" in text.plain and "\\u202e" in text.plain
    assert not any(
        span.style == "bold red" and "boom" in text.plain[span.start : span.end]
        for span in text.spans
    )
    lines = tabs.breadcrumb_lines(event)
    assert any("[bold red]boom[/]" in t.plain for t, _ in lines)
    assert safe("a\nb") == "a ⏎ b" and safe("\x00") == "\\x00"
    assert fit("🔥🔥🔥", 4) == "🔥…" + " " or len(fit("🔥🔥🔥", 4)) <= 4


async def test_huge_input_renders_without_breaking(ui_app) -> None:  # type: ignore[no-untyped-def]
    huge_title = "X" * 50_000 + " [red]not markup[/red]"
    issue = make_issue(0, title=huge_title)

    class HugeDetail(SampleDetail):
        async def latest_event(self, issue):  # type: ignore[no-untyped-def]
            frames = [
                Frame(
                    filename=f"f{i}.py",
                    function=f"fn{i}",
                    lineno=i,
                    in_app=i % 2 == 0,
                    context_line="x = 1",
                )
                for i in range(5000)
            ]
            crumbs = [
                Breadcrumb(
                    timestamp=NOW - timedelta(seconds=10_000 - i),
                    category="c" + str(i % 5),
                    message="m" * (i % 300),
                )
                for i in range(10_000)
            ]
            return Event(
                event_id="ab" * 16,
                title=huge_title,
                message=huge_title * 2,
                timestamp=NOW,
                breadcrumbs=crumbs,
                exceptions=[ExceptionValue(type="E", value=huge_title, frames=frames)],
            )

    app = ui_app([issue], detail=HugeDetail())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = await _open(pilot, app, issue.key)
        stack = screen.query_one("#stack-view", LinesView)
        crumbs = screen.query_one("#crumbs-view", LinesView)
        assert len(crumbs.lines) == 10_001
        assert len(stack.lines) > 2500
        await pilot.press("tab")
        await pilot.press("G")
        await pilot.pause()
        assert stack.cursor == len(stack.lines) - 1
        await pilot.press("tab", "G")
        await pilot.pause()
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        head = screen.query_one("#issue-head").render()
        assert len(str(head)) < 1000


def test_text_helpers_pad_and_truncate_wide_characters() -> None:
    from rich.cells import cell_len

    for width in (1, 2, 3, 5, 10):
        for text in ("🔥🔥🔥🔥", "abc", "ﷺﷺﷺ", "שלום עולם", ""):
            assert cell_len(fit(text, width)) == width
