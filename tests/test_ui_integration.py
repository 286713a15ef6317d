"""The wired TUI against the real demo stack: SimServer (Sentry API), RelayServer and the
TrafficGenerator's scenarios, triggered through the palette's "Simulate: …" commands.

Alerts: every default rule fires from a scenario, rings once, lands in the audit log,
the strip stays two lines (worst first, "+N more") and `!` shows the top alert's issues.
Correlation: the bad-release scenario is one incident across web → api → search, with
its suspect release in the row, the service bar, the overview and the filters.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sxtriage.config import Settings
from sxtriage.demo import DemoStack, start_demo
from sxtriage.models import Source
from sxtriage.triage.handoff import build_report
from sxtriage.ui.app import SxTriageApp
from sxtriage.ui.screens.feed.screen import FeedScreen
from sxtriage.ui.screens.issue.screen import IssueScreen
from sxtriage.ui.widgets.alerts_strip import MAX_LINES, AlertsStrip
from sxtriage.ui.widgets.related_panel import RelatedPanel


async def until(
    check: Callable[[], Any], pilot: Any, within: float = 15.0, what: object = ""
) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while not (result := check()):
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {what}"
        await pilot.pause(0.05)
    return result


async def simulate(app: SxTriageApp, scenario: str) -> None:
    """Run a palette "Simulate: <scenario> — …" command, as the palette does."""
    title = next(t for t in app.session.commands if t.startswith(f"Simulate: {scenario} "))
    await app.session.commands[title]()


@pytest.fixture
async def demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, poll_interval=1.0)
    stack = await start_demo(settings, rate=0.0, relay_port=0, sim_live=False)
    yield stack
    await stack.stop()
    stack.store.close()


def firing_rules(stack: DemoStack) -> set[tuple[str, str]]:
    return {(f.rule_id, f.service) for f in stack.session.alerts.firing}


async def test_every_alert_rule_fires_from_a_scenario(demo: DemoStack) -> None:
    app = SxTriageApp(demo.session)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(160, 45)) as pilot:
        await until(lambda: demo.session.health.get("relay"), pilot)
        await until(lambda: demo.session.health["relay"].ok, pilot)
        screen = app.screen
        assert isinstance(screen, FeedScreen)
        strip = screen.query_one(AlertsStrip)
        await simulate(app, "payment-failures")
        await until(lambda: ("payment-failures", "api") in firing_rules(demo), pilot)
        await until(lambda: bells, pilot)
        wanted = {
            "critical-prod": ("critical", "api"),
            "error-spike": ("errors-per-minute", "api"),
            "error-rate": ("error-rate", "api"),
            "slow-transactions": ("p95-duration", "search"),
            "auth-failures": ("auth-failures", "api"),
            "new-issue": None,
            "regression": ("regression", "api"),
        }
        for scenario, rule in wanted.items():
            await simulate(app, scenario)
            if rule is not None:
                await until(
                    lambda rule=rule: rule in firing_rules(demo),
                    pilot,
                    what=(scenario, rule, firing_rules(demo)),
                )
        assert ("errors-5m", "api") in firing_rules(demo)
        assert any(r == "new-issue" for r, _ in firing_rules(demo))
        # nothing but the scenarios was sent: no false payment alert elsewhere
        assert {s for r, s in firing_rules(demo) if r == "payment-failures"} == {"api"}
        # compact strip: two lines, worst first, the rest counted
        total = len(demo.session.alerts.firing)
        await until(
            lambda: len(strip.firing) + strip.hidden == total and strip.size.height == MAX_LINES,
            pilot,
            what="the strip showing every firing rule",
        )
        assert total > MAX_LINES
        assert strip.size.height == MAX_LINES
        assert strip.firing[0].rule_id == "critical"
        assert strip.hidden == total - MAX_LINES
        more = str(strip.query_one("#alerts-more").render())
        assert more == f"+{total - MAX_LINES} more"
        # the bell rang once per rule and service, not once per event
        assert 1 <= len(bells) <= total
        # fired alerts are in the audit log for the handoff report
        rows = await until(
            lambda: demo.store.query_sync("SELECT detail FROM audit WHERE kind = 'alert'"), pilot
        )
        details = [json.loads(r[0]) for r in rows]
        assert any(d["change"] == "fired" and d["rule"] == "critical" for d in details)
        report = await asyncio.to_thread(build_report, demo.store, since=timedelta(hours=1))
        alerts_part = report.split("Alerts fired", 1)[1]
        assert "api · critical error in production" in alerts_part
        # `!` shows only the issues of the top alert; `!` again shows everything
        top = strip.firing[0]
        await pilot.press("exclamation_mark")
        await pilot.pause()
        feed = demo.session.feed
        assert feed.pinned is not None and set(top.issue_keys) <= set(feed.pinned)
        assert feed.order and all(k in feed.pinned for k in feed.order)
        assert screen.issue_list.cursor_key in set(top.issue_keys)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert feed.pinned is None and len(feed.order) > 1
        await pilot.press("q")


async def test_bad_release_is_one_incident_across_services(demo: DemoStack) -> None:
    app = SxTriageApp(demo.session)
    session, feed = demo.session, demo.session.feed
    async with app.run_test(size=(170, 45)) as pilot:
        await until(lambda: session.health.get("relay") and session.health["relay"].ok, pilot)
        await simulate(app, "new-issue")  # web's running release is seen first …
        await demo.traffic._error("web", value="warm-up before the deploy")  # type: ignore[union-attr]
        await simulate(app, "bad-release")  # … then web@2.3.0 breaks checkout

        def checkout() -> Any:
            for issue in feed.issues.values():
                shared = [r.shared_traces for r in session.correlator.related(issue.key)]
                if "cartTotal" in issue.title and shared == [3, 3]:  # all three traces in
                    return issue
            return None

        web = await until(checkout, pilot)
        assert session.correlator.suspect_release(web) == "web@2.3.0"
        related = session.correlator.related(web.key)
        assert {r.service for r in related} == {"api", "search"}
        assert all(r.shared_traces == 3 for r in related)
        # the feed row: multi-service marker and "new in web@2.3.0"
        screen = app.screen
        assert isinstance(screen, FeedScreen)
        lst = screen.issue_list
        # the list takes the feed's order on its next redraw (at most 30 a second)
        await until(lambda: lst.select_key(web.key), pilot, what="web issue listed")
        await pilot.pause()
        row = "".join(
            s.text for s in lst.render_line(lst.position(web.key) + 1 - int(lst.scroll_y))
        )
        assert "⇄" in row and "new in web@2.3.0" in row
        # the service bar: web's latest release and the new issues it brought
        screen.refresh_chrome()
        card = str(screen.query_one("#svc-web").render())
        assert "web@2.3.0 +" in card and " new" in card
        # the filters, end to end through the filter bar
        for text in ("firstRelease:web@2.3.0", "release:latest service:web"):
            await pilot.press("slash", *text, "enter")
            await pilot.pause()
            assert web.key in feed.order, text
            assert all(feed.get(k).service == "web" for k in feed.order), text
        await pilot.press("slash", "ctrl+u", "enter")
        await pilot.pause()
        # the issue screen: overview names the suspect, the panel lists api and search
        assert lst.select_key(web.key)
        await pilot.press("enter")
        issue_screen = await until(
            lambda: isinstance(app.screen, IssueScreen) and app.screen, pilot
        )
        await issue_screen.workers.wait_for_complete()
        await pilot.pause()
        overview = str(issue_screen.query_one("#overview-text").render())
        assert "new in web@2.3.0" in overview and "first web@2.3.0" in overview
        panel = issue_screen.query_one(RelatedPanel)
        assert panel.has_class("-show") and {i.service for i in panel.items} == {"api", "search"}
        assert panel.region.width > 0 and panel.region.x > 0
        # one key jumps to the related issue, escape comes back
        await pilot.press("e")
        await pilot.pause()
        jumped = app.screen
        assert isinstance(jumped, IssueScreen) and jumped.key == panel.items[0].key
        await jumped.workers.wait_for_complete()
        # mark related: the whole incident marked and shown, then one bulk assign
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, FeedScreen)
        group = {web.key, *(r.key for r in related)}
        assert lst.marks == group and set(feed.order) == group
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await until(lambda: all(feed.get(k).assignee for k in group), pilot)
        assert {feed.get(k).assignee for k in group} == {session.settings.me}
        assert all(k[0] is Source.RELAY for k in group)
        await pilot.press("q")
