"""Wiring seen across a restart and while paused, on the real demo stack; and the polish
of the ID column and the overview's releases."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style

from sxtriage.config import Settings
from sxtriage.demo import start_demo
from sxtriage.models import Source
from sxtriage.ui.app import SxTriageApp
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.screens.issue.screen import IssueScreen
from sxtriage.ui.widgets.issue_list.rows import RowNote, RowStyles, id_width, layout, row_segments
from tests.fixtures_ui import NOW, make_issue
from tests.test_ui_integration import simulate, until

TICKET = "https://github.com/scenextras/api/issues/77"


async def test_tickets_and_trace_index_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, poll_interval=1.0)
    first = await start_demo(settings, rate=0.0, relay_port=0, sim_live=False)
    try:
        app = SxTriageApp(first.session)
        async with app.run_test(size=(160, 40)) as pilot:
            feed = first.session.feed
            await until(lambda: any(k[0] is Source.SENTRY for k in feed.issues), pilot)
            issue = feed.get(next(k for k in feed.order if k[0] is Source.SENTRY))
            assert issue is not None and not issue.linked_ticket
            await first.session.triage.link_ticket(issue, TICKET)
            await until(lambda: not first.session.triage.pending, pilot)
            await simulate(app, "bad-release")
            corr = first.session.correlator
            web = await until(
                lambda: next(
                    (
                        k
                        for k, i in feed.issues.items()
                        if "cartTotal" in i.title and corr.related(k)
                    ),
                    None,
                ),
                pilot,
            )
            await until(lambda: len(corr.related(web)) == 2, pilot)
            await pilot.press("q")
    finally:
        await first.stop()
        first.store.close()

    second = await start_demo(settings, rate=0.0, relay_port=0, sim_live=False)
    try:
        feed = second.session.feed
        assert feed.get(issue.key) is not None  # from the cache, before any poll
        assert not feed.get(issue.key).linked_ticket  # type: ignore[union-attr]
        corr = second.session.correlator
        assert not corr.related(web)
        app = SxTriageApp(second.session, start_session=False)
        async with app.run_test(size=(160, 40)) as pilot:
            await second.session.start()
            # before the relay stream delivers anything: the trace index was rebuilt from
            # the relay's stored events
            assert len(corr.related(web)) == 2 and corr.is_multi_service(web)
            await until(lambda: feed.get(issue.key).linked_ticket == TICKET, pilot)  # type: ignore[union-attr]
            polls = second.session.poller.polls
            await until(lambda: second.session.poller.polls >= polls + 2, pilot)
            assert feed.get(issue.key).linked_ticket == TICKET  # type: ignore[union-attr]
            screen = app.screen
            assert isinstance(screen, FeedScreen)
            lst = screen.issue_list
            await until(lambda: lst.select_key(issue.key), pilot)
            await pilot.pause()
            line = lst.render_line(lst.position(issue.key) + 1 - int(lst.scroll_y))  # type: ignore[operator]
            assert "⧉" in line.text
            await pilot.press("q")
    finally:
        await second.stop()
        second.store.close()


async def test_pause_holds_the_poller_while_the_relay_keeps_buffering(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, poll_interval=1.0)
    stack = await start_demo(settings, rate=0.0, relay_port=0, sim_live=False)
    poller, feed = stack.session.poller, stack.session.feed
    try:
        app = SxTriageApp(stack.session)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(lambda: poller.polls >= 2, pilot)
            await until(lambda: stack.session.health.get("relay"), pilot)
            screen = app.screen
            assert isinstance(screen, FeedScreen)
            lst = screen.issue_list
            await pilot.press("p")
            assert poller.paused and lst.paused
            polls, shown = poller.polls, list(lst.order)
            await simulate(app, "new-issue")
            await until(lambda: len(lst.new_while_paused) >= 1, pilot)
            await pilot.pause(2.2)  # two poll intervals
            assert poller.polls <= polls + 1  # at most the poll already under way
            assert lst.order == shown  # the display is frozen
            assert any(k[0] is Source.RELAY for k in lst.new_while_paused)
            assert set(lst.new_while_paused) <= set(feed.issues)  # buffered in the feed
            await pilot.press("p")
            assert not poller.paused and not lst.paused
            await until(lambda: poller.polls >= polls + 2, pilot)
            assert any(k[0] is Source.RELAY for k in lst.order)
            await pilot.press("q")
    finally:
        await stack.stop()
        stack.store.close()


def _plain_styles() -> RowStyles:
    s = Style()
    return RowStyles(s, s, s, s, s, s, s, s, {}, {}, s)


def test_id_column_fits_the_longest_short_id_before_the_title_shrinks() -> None:
    issue = make_issue(3, service="mobile", source=Source.RELAY, short_id="MOBILE-LOCAL-1F")
    ident = id_width(len(issue.short_id))
    assert ident == len("MOBILE-LOCAL-1F")
    for width in (160, 120):
        cols = dict((c.name, w) for c, w in layout(width, ident))
        assert cols["short_id"] == ident
        text = "".join(
            s.text for s in row_segments(issue, width, _plain_styles(), now=NOW, short_id=ident)
        )
        assert "MOBILE-LOCAL-1F " in text and "MOBILE-LOCA…" not in text
    # a narrow terminal keeps the title readable: the ID column shrinks back first
    narrow = dict((c.name, w) for c, w in layout(44, ident))
    assert narrow["short_id"] == 12 and narrow["title"] >= 12
    assert id_width(40) == 16 and id_width(3) == 8
    # correlation notes in a row
    note = RowNote(multi_service=True, suspect_release="web@2.3.0")
    text = "".join(s.text for s in row_segments(issue, 160, _plain_styles(), now=NOW, note=note))
    assert "⇄" in text and "new in web@2.3.0 " in text


async def test_overview_fills_releases_from_the_event(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, poll_interval=1.0)
    stack = await start_demo(settings, rate=0.0, relay_port=0, sim_live=False)
    try:
        app = SxTriageApp(stack.session)
        feed = stack.session.feed
        async with app.run_test(size=(160, 40)) as pilot:
            await until(lambda: stack.session.health.get("relay"), pilot)
            await simulate(app, "critical-prod")
            key = await until(
                lambda: next(
                    (k for k, i in feed.issues.items() if "DatabaseDown" in i.title), None
                ),
                pilot,
            )
            stripped = feed.get(key).model_copy(update={"release": None, "first_release": None})  # type: ignore[union-attr]
            feed.issues[key] = stripped  # as a source that does not carry releases
            app.open_issue(key)
            screen = await until(lambda: isinstance(app.screen, IssueScreen) and app.screen, pilot)
            await screen.workers.wait_for_complete()
            await pilot.pause()
            text = str(screen.query_one("#overview-text").render())
            assert "first api@1.4.2  last api@1.4.2" in text
            assert "first —" not in text
            await pilot.press("escape", "q")
    finally:
        await stack.stop()
        stack.store.close()


async def test_alerts_strip_lines_never_wrap_on_a_narrow_terminal(ui_app) -> None:  # type: ignore[no-untyped-def]
    from sxtriage.models import Event
    from sxtriage.ui.widgets.alerts_strip import AlertsStrip

    issues = [make_issue(n, service=s) for n, s in enumerate(("api", "web", "search"))]
    app = ui_app(issues)
    async with app.run_test(size=(80, 24)) as pilot:
        for n in range(33):
            issue = issues[n % 3]
            app.session.on_event(
                Event(
                    event_id=f"{n:032x}",
                    issue_id=issue.id,
                    service=issue.service,
                    timestamp=NOW,
                    received=NOW,
                    title=issue.title,
                    environment="production",
                )
            )
        await pilot.pause()
        strip = app.screen.query_one(AlertsStrip)
        assert strip.hidden >= 1 and len(strip.firing) == 2
        assert strip.size.height == 2  # two alerts, one line each, "+N more" beside them
        options = strip.query_one("#alerts-list")
        assert [options.render_line(y).text[:2] for y in (0, 1)] == ["▲ ", "▲ "]
        assert options.render_line(0).text.rstrip().endswith("…")
        assert str(strip.query_one("#alerts-more").render()) == f"+{strip.hidden} more"


async def test_alerts_fired_just_before_stop_reach_the_audit_log(ui_app) -> None:  # type: ignore[no-untyped-def]
    from sxtriage.models import Event

    api = make_issue(1, service="api")
    session = ui_app([api]).session
    for n in range(11):
        session.on_event(
            Event(
                event_id=f"{n:032x}",
                issue_id=api.id,
                service="api",
                timestamp=NOW,
                received=NOW,
                title=api.title,
                environment="production",
            )
        )
    await session.stop()  # at once: the write was only scheduled
    rows = session.store.query_sync("SELECT target FROM audit WHERE kind = 'alert'")
    assert "api:errors-per-minute" in {r[0] for r in rows}
