"""End to end: the app against a real SimServer (Sentry API), RelayServer and traffic.

Everything the demo starts, in-process on loopback: the poller fills the feed from the
simulator, the traffic generator's SDK events arrive through the relay, an issue opens
with its real latest event, and `r` resolves it in the simulator.
"""

from __future__ import annotations

from pathlib import Path

from sxtriage.config import Settings
from sxtriage.demo import start_demo
from sxtriage.models import Source, Status
from sxtriage.ui.app import SxTriageApp
from sxtriage.ui.screens.issue.screen import IssueScreen
from tests.test_ui_integration import until


async def test_demo_stack_end_to_end(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, poll_interval=1.0)
    stack = await start_demo(settings, rate=20.0, relay_port=0, sim_live=False)
    app = SxTriageApp(stack.session)
    feed = stack.session.feed
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await until(lambda: any(k[0] is Source.SENTRY for k in feed.issues), pilot)
            await until(lambda: any(k[0] is Source.RELAY for k in feed.issues), pilot)
            assert stack.session.health["relay"].ok
            assert any(t.startswith("Simulate: ") for t in stack.session.commands)
            # open a Sentry issue: its real latest event comes from the simulator
            key = next(k for k in feed.order if k[0] is Source.SENTRY)
            lst = app.feed_screen().issue_list  # type: ignore[union-attr]
            # the list takes the feed's order on its next redraw (at most 30 a second)
            await until(lambda: lst.select_key(key), pilot)
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, IssueScreen)
            await screen.workers.wait_for_complete()
            assert screen.event is not None and screen.event.exceptions
            # resolve it from the keyboard: optimistic in the feed, then in the simulator
            await pilot.press("r")
            await until(lambda: feed.get(key).status is Status.RESOLVED, pilot)
            sim_issue = stack.sim.state.issues[int(key[1])]
            await until(lambda: str(sim_issue.status) == "resolved", pilot)
            await pilot.press("escape", "q")
    finally:
        await stack.stop()
        stack.store.close()
