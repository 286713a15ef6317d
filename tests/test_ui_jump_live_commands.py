"""The on-call cockpit in the real app: `:` jumps by every id kind (against the Sentry
simulator and the relay), the live detail's "N new events" reached with `[`, and your own
commands ([[commands]]) through the real key path."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from textual.drivers.headless_driver import HeadlessDriver

from sxtriage.config import Settings
from sxtriage.models import IssueDelta, Source
from sxtriage.ui.bindings import help_rows
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.screens.help import HelpScreen
from sxtriage.ui.screens.issue.screen import IssueScreen
from sxtriage.ui.screens.trace import TraceScreen
from tests.fixtures_ui import make_issue, make_issues
from tests.palette import search_palette

SIZE = (160, 45)
HOSTILE = "Boom $(touch pwned); rm -rf ./pwned `touch pwned` && echo 'x' \"y\"\nline 2 | cat"
ARGV_SCRIPT = (
    "import json, sys\nwith open(sys.argv[1], 'w') as f:\n    json.dump(sys.argv[2:], f)\n"
)


async def _jump(pilot: Any, text: str) -> None:
    await pilot.press("colon")
    await search_palette(pilot, text)
    await pilot.press("enter")


async def _until(pilot: Any, check: Any, what: str, within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)
    return result


async def _back_to_feed(pilot: Any, app: Any) -> None:
    while not isinstance(app.screen, FeedScreen):
        app.pop_screen()
        await pilot.pause()


def _opened(app: Any, key: Any) -> bool:
    screen = app.screen
    return isinstance(screen, IssueScreen) and screen.key == key and not screen.busy


def _help_titles(app: Any) -> list[str]:
    return [row[2] for row in help_rows({}, ("app",), app.user_specs)]


async def test_jump_by_each_id_kind(triage_stack) -> None:  # type: ignore[no-untyped-def]
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        s.session.set_paused(True)  # no poll puts a removed issue back behind our back
        sims = sorted(s.sim.state.issues.values(), key=lambda i: i.id)

        # a short id in the feed: opened without asking the server
        first = sims[0]
        key = (Source.SENTRY, str(first.id))
        before = len(s.sim.requests)
        await _jump(pilot, first.short_id.lower())
        await _until(pilot, lambda: _opened(s.app, key), "the short id in the feed")
        assert not any("/shortids/" in r.path for r in s.sim.requests[before:])
        await _back_to_feed(pilot, s.app)

        # a short id only on the server: looked up, put into the feed, opened
        gone = sims[1]
        key = (Source.SENTRY, str(gone.id))
        s.session.feed.apply(IssueDelta(source=Source.SENTRY, removals=[str(gone.id)]))
        await pilot.pause()
        assert s.session.feed.get(key) is None
        await _jump(pilot, gone.short_id)
        await _until(pilot, lambda: _opened(s.app, key), "the short id from the server")
        assert any("/shortids/" in r.path for r in s.sim.requests)
        assert s.session.feed.get(key) is not None
        await _back_to_feed(pilot, s.app)

        # an event id (with dashes, as Sentry shows it): its issue, opened at that event
        third = sims[2]
        eid = third.events[0].event_id
        dashed = f"{eid[:8]}-{eid[8:12]}-{eid[12:16]}-{eid[16:20]}-{eid[20:]}"
        key = (Source.SENTRY, str(third.id))
        await _jump(pilot, dashed)
        await _until(pilot, lambda: _opened(s.app, key), "the event id")
        assert s.app.screen.event is not None and s.app.screen.event.event_id == eid
        await _back_to_feed(pilot, s.app)

        # a Sentry issue URL
        fourth = sims[3]
        key = (Source.SENTRY, str(fourth.id))
        await _jump(pilot, f"{s.sim.url}/organizations/scenextras/issues/{fourth.id}/")
        await _until(pilot, lambda: _opened(s.app, key), "the issue URL")
        await _back_to_feed(pilot, s.app)

        # a trace id: no event has that id, so the trace view opens
        trace_id = third.events[0].trace_id
        await _jump(pilot, trace_id)
        screen = await _until(
            pilot,
            lambda: (
                isinstance(s.app.screen, TraceScreen) and not s.app.screen.busy and s.app.screen
            ),
            "the trace view",
        )
        assert screen.trace_id == trace_id
        assert screen.trace is not None and screen.trace.spans, s.messages()
        await _back_to_feed(pilot, s.app)

        # not found: one toast with the reason, the screen stays
        await _jump(pilot, "NOPE-99")
        await _until(pilot, lambda: any("NOPE-99" in m for m in s.messages()), "the toast")
        assert "NOPE-99: no such issue in the org" in s.messages("warning")
        assert isinstance(s.app.screen, FeedScreen)


async def test_live_detail_counts_relay_events_and_bracket_reaches_them(triage_stack) -> None:  # type: ignore[no-untyped-def]
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        feed = s.session.feed
        await s.send_relay_event("live detail boom")
        key = await _until(
            pilot,
            lambda: next((k for k in feed.issues if k[0] is Source.RELAY), None),
            "the relay issue",
        )
        s.app.open_issue(key)
        await _until(pilot, lambda: _opened(s.app, key), "the relay issue screen")
        screen = s.app.screen
        first = screen.event.event_id
        head = screen.query_one("#issue-head")
        assert "new event" not in str(head.render())

        await s.send_relay_event("live detail boom")
        await _until(pilot, lambda: screen.live.new == 1, "the live counter")
        assert "1 new event" in str(head.render())
        newest = screen.events[0].event_id
        assert newest != first
        await pilot.press("left_square_bracket")
        await _until(pilot, lambda: screen.event.event_id == newest, "[ to the new event")
        assert screen.live.new == 0
        await _until(pilot, lambda: "new event" not in str(head.render()), "the counter reset")


async def test_live_detail_counts_sentry_polls_and_bracket_fetches_them(triage_stack) -> None:  # type: ignore[no-untyped-def]
    s = triage_stack
    async with s.app.run_test(size=SIZE) as pilot:
        await s.ready(pilot)
        (key,) = s.sentry_keys(1)
        s.app.open_issue(key)
        await _until(pilot, lambda: _opened(s.app, key), "the issue screen")
        screen = s.app.screen
        overview = screen.query_one("#overview-text")
        count = s.session.feed.get(key).count
        event = s.sim.state.add_event(s.sim_issue(key), time.time())
        await _until(pilot, lambda: screen.live.new == 1, "the poll's count")
        assert f"{count + 1:,}" in str(overview.render())  # the count, in place
        await pilot.press("left_square_bracket")
        await _until(pilot, lambda: screen.event.event_id == event.event_id, "[ fetching it")
        assert screen.live.new == 0


def _argv_command(tmp_path: Path, key: str, mode: str = "detached") -> tuple[dict[str, Any], Path]:
    script = tmp_path / "argv.py"
    script.write_text(ARGV_SCRIPT)
    out = tmp_path / "argv.json"
    command = {
        "key": key,
        "title": "Record argv",
        "run": [sys.executable, str(script), str(out), "{title}", "{short_id}", "{file}:{line}"],
        "mode": mode,
    }
    return command, out


def _recording(app: Any) -> list[tuple[str, str]]:
    toasts: list[tuple[str, str]] = []
    notify = app.notify

    def record(message: str, *args: Any, **kw: Any) -> None:
        toasts.append((str(message), str(kw.get("severity", "information"))))
        notify(message, *args, **kw)

    app.notify = record
    return toasts


async def test_user_command_gets_hostile_title_as_one_argument(ui_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    command, out = _argv_command(tmp_path, "x")
    issues = [make_issue(0, title=HOSTILE), *make_issues(4, start=1)]
    app = ui_app(issues, settings=Settings(data_dir=tmp_path, commands=[command]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.feed_screen().issue_list.select_key(issues[0].key)
        await pilot.press("x")  # the real key path: binding → action → worker → program
        await _until(pilot, lambda: out.exists() and out.read_text(), "the program's argv")
        args = json.loads(out.read_text())
        assert args[0] == HOSTILE  # one argument, untouched: no shell ever saw it
        assert args[1] == issues[0].short_id
        assert args[2].endswith(".py:21")  # the latest event's top in-app frame
        assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()  # noqa: ASYNC240
        assert "Record argv" in _help_titles(app)  # `?` help lists it
        await pilot.press("colon")
        await search_palette(pilot, "Record argv")
        hit = app.screen.query_one("CommandList").get_option_at_index(0)
        assert "Record argv" in str(hit.prompt) and "key: x" in str(hit.prompt)


async def test_terminal_mode_suspends_runs_and_returns(  # type: ignore[no-untyped-def]
    ui_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The headless driver cannot suspend; here it records the driver's suspend/resume
    around the program (the program itself runs for real)."""
    calls: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda self: True))
    monkeypatch.setattr(
        HeadlessDriver, "suspend_application_mode", lambda self: calls.append("suspend")
    )
    monkeypatch.setattr(
        HeadlessDriver, "resume_application_mode", lambda self: calls.append("resume")
    )
    command, out = _argv_command(tmp_path, "x", mode="terminal")
    issues = make_issues(5)
    app = ui_app(issues, settings=Settings(data_dir=tmp_path, commands=[command]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")
        await _until(pilot, lambda: calls == ["suspend", "resume"], "suspend and resume")
        assert json.loads(out.read_text())[1] == app.current_issue().short_id
        lst = app.feed_screen().issue_list
        before = lst.cursor_key
        await pilot.press("j")  # the TUI is back and takes keys
        assert lst.cursor_key != before and isinstance(app.screen, FeedScreen)


async def test_colliding_command_key_is_refused_naming_both(ui_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    command, out = _argv_command(tmp_path, "r")
    app = ui_app(make_issues(3), settings=Settings(data_dir=tmp_path, commands=[command]))
    toasts = _recording(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = next(m for m, _ in toasts if "[[commands]]" in m)
        assert "'Record argv'" in line and "Resolve (resolve)" in line and "\n" not in line
        assert app.user_specs == [] and "Record argv" not in _help_titles(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert not out.exists()
