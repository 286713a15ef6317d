"""In the real app: events through the session light up the alerts strip on the feed and
the "Related across services" panel on the issue screen, whose rows jump."""

from __future__ import annotations

from textual.widgets import OptionList

from sxtriage.models import Event, IssueDelta, Source
from sxtriage.ui.screens.issue.screen import IssueScreen
from sxtriage.ui.widgets.alerts_strip import AlertsStrip
from sxtriage.ui.widgets.related_panel import RelatedPanel
from tests.fixtures_ui import NOW, make_issue

TRACE = "3f" * 16


def _error(issue, n: int, trace: str | None = TRACE) -> Event:  # type: ignore[no-untyped-def]
    return Event(
        event_id=f"{n:032x}",
        issue_id=issue.id,
        source=issue.source,
        service=issue.service,
        timestamp=NOW,
        title=issue.title,
        trace_id=trace,
        environment="production",
    )


async def test_related_panel_in_issue_screen_jumps(ui_app) -> None:  # type: ignore[no-untyped-def]
    web = make_issue(1, service="web")
    api = make_issue(2, service="api")
    search = make_issue(3, service="search")
    app = ui_app([web, api, search])
    session = app.session
    assert session.correlator is not None
    session.correlator.observe_delta(IssueDelta(source=Source.SENTRY, upserts=[web, api, search]))
    for n, issue in enumerate((web, api, search)):
        session.on_event(_error(issue, n))
    async with app.run_test(size=(150, 40)) as pilot:
        app.open_issue(web.key)
        await pilot.pause()
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IssueScreen)
        panel = screen.query_one(RelatedPanel)
        assert panel.has_class("-show") and panel.display
        assert [r.short_id for r in panel.items] == [api.short_id, search.short_id]
        options = panel.query_one(OptionList)
        options.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        await app.screen.workers.wait_for_complete()
        assert isinstance(app.screen, IssueScreen) and app.screen.key == search.key


async def test_alerts_strip_on_the_feed_shows_a_burst(ui_app) -> None:  # type: ignore[no-untyped-def]
    api = make_issue(2, service="api")
    app = ui_app([api])
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.pause()
        strip = app.screen.query_one(AlertsStrip)
        assert strip.display is False
        for n in range(11):
            app.session.on_event(_error(api, n, trace=None))
        await pilot.pause()
        assert strip.display is True
        rules = {(f.rule_id, f.service) for f in strip.firing}
        assert ("errors-per-minute", "api") in rules
        assert all(api.key in f.issue_keys for f in strip.firing)
