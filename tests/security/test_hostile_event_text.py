"""Rich markup, ANSI, OSC 8 and OSC 52 sequences in every event field render literally.

An issue and its latest event carry a hostile string in every field the UI can show;
the test walks the feed and every detail tab in a headless TUI and inspects the rendered
strips: no escape or bell reaches the terminal, no segment carries a hyperlink, and the
markup appears as typed.
"""

from __future__ import annotations

from datetime import timedelta

from textual.strip import Strip

from sxtriage.models import Breadcrumb, Event, ExceptionValue, Frame, Issue, Span, Trace
from tests.fixtures_ui import NOW, SampleDetail, make_event, make_issue, make_issues

CONTROL_CHARS = ("\x1b", "\x07", "\x9b", "\x9d", "\x90", "\x00", "\u202e")


def evil(tag: str) -> str:
    """Markup first (so it survives truncation), then ANSI, OSC 8, OSC 52, CSI, bidi."""
    return (
        f"[bold red]{tag}[/] [link=javascript:alert(1)]x[/link] \x1b[31mRED\x1b[0m "
        "\x1b]8;;javascript:alert(1)\x07click\x1b]8;;\x07 \x1b]52;c;cm0gLXJmIH4=\x07 "
        "\x9b2J\u202eevil"
    )


def hostile_issue() -> Issue:
    return make_issue(
        0,
        title=evil("TITLE"),
        culprit=evil("CULPRIT"),
        release=evil("RELEASE"),
        tags={evil("TAGK"): evil("TAGV")},
    )


def hostile_event(issue: Issue) -> Event:
    event = make_event(issue, frames=3, crumbs=3)
    frame = Frame(
        filename=evil("FILENAME"),
        function=evil("FUNCTION"),
        module=evil("MODULE"),
        lineno=7,
        in_app=True,
        context_line=evil("CONTEXT"),
        pre_context=[evil("PRE")],
        post_context=[evil("POST")],
        vars={evil("VARK"): evil("VARV")},
    )
    event.title = evil("TITLE")
    event.message = evil("MESSAGE")
    event.culprit = evil("CULPRIT")
    event.release = evil("RELEASE")
    event.tags = {evil("TAGK"): evil("TAGV")}
    event.user = {"id": evil("USERID"), "email": evil("USEREMAIL")}
    event.exceptions = [
        ExceptionValue(type=evil("EXCTYPE"), value=evil("EXCVALUE"), frames=[frame])
    ]
    event.breadcrumbs = [
        Breadcrumb(
            timestamp=NOW - timedelta(seconds=5),
            category="[i]CC\x1b[5m",  # a short column: markup first
            message=evil("CRUMBMSG"),
            data={evil("CRUMBK"): evil("CRUMBV")},
        )
    ]
    root = event.spans[0]
    event.spans = [
        root,
        Span(
            span_id="e1",
            trace_id=root.trace_id,
            parent_span_id=root.span_id,
            op=evil("SPANOP"),
            description=evil("SPANDESC"),
            start=root.start,
            end=root.end,
            service="api",
            issue_ids=[issue.id],
        ),
    ]
    return event


class HostileDetail(SampleDetail):
    def __init__(self, issue: Issue) -> None:
        super().__init__()
        self.issue = issue

    async def latest_event(self, issue: Issue) -> Event | None:
        return hostile_event(self.issue)

    async def events(self, issue: Issue, limit: int = 50) -> list[Event]:
        return [hostile_event(self.issue)]

    async def event(self, issue: Issue, event_id: str) -> Event | None:
        return hostile_event(self.issue)

    async def trace(self, trace_id: str) -> Trace | None:
        return Trace(trace_id=trace_id, spans=hostile_event(self.issue).spans)


def check_strips(strips: list[Strip], where: str) -> str:
    """Assert nothing dangerous is in the rendered segments; return the screen's text."""
    lines = []
    for strip in strips:
        text = ""
        for seg in strip:
            for ch in CONTROL_CHARS:
                assert ch not in seg.text, f"{where}: {ch!r} reached the terminal: {seg.text!r}"
            if seg.style is not None:
                assert not seg.style.link, f"{where}: hyperlink {seg.style.link!r} in {seg.text!r}"
            text += seg.text
        lines.append(text)
    return "\n".join(lines)


def screen_text(app, where: str) -> str:  # type: ignore[no-untyped-def]
    return check_strips(app.screen._compositor.render_strips(), where)


async def test_every_field_renders_literally(ui_app) -> None:  # type: ignore[no-untyped-def]
    issue = hostile_issue()
    app = ui_app([issue, *make_issues(5, start=1)], detail=HostileDetail(issue))
    shown = ""
    async with app.run_test(size=(220, 60)) as pilot:
        await pilot.pause()
        shown += screen_text(app, "feed")
        app.open_issue(issue.key)
        await pilot.pause()
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        for tab in range(5):
            for _ in range(2):  # the stack tab: also with every frame shown
                shown += screen_text(app, f"detail tab {tab}")
                await pilot.press("f")
                await pilot.pause()
            await pilot.press("tab")
            await app.screen.workers.wait_for_complete()
            await pilot.pause()
    expected = ["TITLE", "CULPRIT", "MESSAGE", "EXCVALUE", "FUNCTION", "FILENAME", "CONTEXT"]
    expected += ["CRUMBMSG", "SPANDESC", "RELEASE", "TAGV"]
    missing = [tag for tag in expected if f"[bold red]{tag}[/]" not in shown]
    assert not missing, f"fields not shown literally: {missing}"
    assert "[i]CC" in shown  # the breadcrumb category
    assert "[link=javascript:alert(1)]" in shown
    assert "\\x1b]52;" in shown or "\\x1b" in shown  # the escape is shown, not sent
