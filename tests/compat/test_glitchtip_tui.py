"""The TUI on a real GlitchTip, wired exactly as `sxtriage` wires it (`build_session`), driven
with Textual's Pilot: the feed fills and goes live, an issue opens with its real stack and
breadcrumbs, the triage keys change GlitchTip (checked in its own API), and the keys of
what GlitchTip cannot do say why instead of sending a request it would answer with a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from textual.widgets import OptionList

from sxtriage.config import Settings
from sxtriage.models import IssueKey, Source
from sxtriage.store import Store
from tests.compat.conftest import CompatServer, compat_services
from tests.fixtures_triage import TriageStack

pytestmark = pytest.mark.compat
SIZE = (160, 45)


@pytest.fixture
async def gt_stack(glitchtip: CompatServer, tmp_path: Path) -> AsyncIterator[TriageStack]:
    from sxtriage.core.build import build_session
    from sxtriage.ui.app import SxTriageApp

    settings = Settings(
        data_dir=tmp_path,
        poll_interval=1.0,
        services=compat_services(),
        sentry_url=glitchtip.url,
        sentry_org=glitchtip.org,
        sentry_token=SecretStr(glitchtip.token),
        me="owner@compat.example.com",
    )
    store = Store(tmp_path / "tui.db")
    session = build_session(settings, store)
    app = SxTriageApp(session)
    stack = TriageStack(None, None, store, session, app)
    app.link_opener = lambda url: stack.opened.append(url) or True  # type: ignore[assignment]
    notify = app.notify

    def recording_notify(message: str, *args: Any, **kw: Any) -> None:
        stack.toasts.append((str(message), str(kw.get("severity", "information"))))
        notify(message, *args, **kw)

    app.notify = recording_notify  # type: ignore[method-assign]
    try:
        yield stack
    finally:
        await session.stop()
        store.close()


def key_of(raw: dict[str, Any]) -> IssueKey:
    return (Source.SENTRY, str(raw["id"]))


async def in_feed(s: TriageStack, pilot: Any, *raws: dict[str, Any], within: float = 20) -> None:
    keys = [key_of(r) for r in raws]
    await s.until(pilot, lambda: all(k in s.session.feed.issues for k in keys), "the feed", within)
    await s.until(pilot, lambda: s.session.triage._worker is not None, "the outbox worker")


async def glitchtip_status(glitchtip: CompatServer, key: IssueKey) -> str:
    return str((await glitchtip.issue(key[1]))["status"])


async def until_status(
    s: TriageStack, pilot: Any, glitchtip: CompatServer, keys: list[IssueKey], status: str
) -> None:
    """GlitchTip's own API shows `status` for all `keys`, and nothing is pending here."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20.0
    while [await glitchtip_status(glitchtip, k) for k in keys] != [status] * len(keys):
        assert loop.time() < deadline, f"GlitchTip never showed {status} for {keys}"
        await pilot.pause(0.1)
    await s.until(pilot, lambda: not s.session.triage.pending, f"{status} to settle")


async def test_feed_goes_live_and_an_issue_opens_with_its_stack(
    glitchtip: CompatServer, gt_stack: TriageStack
) -> None:
    from sxtriage.ui.screens.issue.screen import IssueScreen

    s = gt_stack
    raw, sent = await glitchtip.send_and_wait("api", breadcrumbs=3)
    async with s.app.run_test(size=SIZE) as pilot:
        await in_feed(s, pilot, raw)
        # the row is drawn (its short id) and holds GlitchTip's issue (the title may be cut
        # beside the preview)
        assert raw["shortId"] in s.row(key_of(raw))
        assert sent[0].marker in s.session.feed.get(key_of(raw)).title
        live, _ = await glitchtip.send_and_wait("web")  # while the app runs
        await in_feed(s, pilot, live, within=6)  # a few 1 s polls, never the 300 s reconcile
        assert s.session.feed.get(key_of(live)).service == "web"

        await s.cursor_on(pilot, key_of(raw))
        await pilot.press("enter")
        await s.until(pilot, lambda: isinstance(s.app.screen, IssueScreen), "the issue screen")
        screen = s.app.screen
        await screen.workers.wait_for_complete()
        assert screen.event is not None, s.messages()
        assert screen.event.exceptions[-1].type == "CompatError"
        assert screen.event.exceptions[-1].frames[-1].function == "checkout_handler"
        assert [b.message for b in screen.event.breadcrumbs] == [
            f"step {i} of {sent[0].marker}" for i in range(3)
        ]
        assert screen.event.tags.get("compat.marker") == sent[0].marker
        await pilot.press("escape")
        assert not [m for m, sev in s.toasts if sev == "error"], s.toasts


async def test_triage_keys_change_glitchtip_and_undo(
    glitchtip: CompatServer, gt_stack: TriageStack
) -> None:
    from sxtriage.ui.modals.archive import ArchiveModal

    s = gt_stack
    a, _ = await glitchtip.send_and_wait("api")
    b, _ = await glitchtip.send_and_wait("web")
    ka, kb = key_of(a), key_of(b)
    async with s.app.run_test(size=SIZE) as pilot:
        await in_feed(s, pilot, a, b)
        await s.cursor_on(pilot, ka)
        await pilot.press("r")
        await until_status(s, pilot, glitchtip, [ka], "resolved")
        await pilot.press("z")
        await until_status(s, pilot, glitchtip, [ka], "unresolved")

        await pilot.press("i")
        await s.until(pilot, lambda: isinstance(s.app.screen, ArchiveModal), "the archive menu")
        options = s.app.screen.query_one(OptionList)
        by_id = {options.get_option_at_index(i).id: i for i in range(options.option_count)}
        assert options.get_option_at_index(by_id["30m"]).disabled  # GlitchTip: forever only
        assert options.get_option_at_index(by_id["escalating"]).disabled
        assert not options.get_option_at_index(by_id["forever"]).disabled
        assert options.highlighted == by_id["forever"]
        await pilot.press("enter")
        await until_status(s, pilot, glitchtip, [ka], "ignored")
        await pilot.press("u")
        await until_status(s, pilot, glitchtip, [ka], "unresolved")

        for key in (ka, kb):
            await s.cursor_on(pilot, key)
            await pilot.press("space")
        assert s.issue_list.marks == {ka, kb}
        await pilot.press("r")
        await s.until(pilot, lambda: type(s.app.screen).__name__ == "ConfirmModal", "confirm")
        await pilot.press("y")
        await until_status(s, pilot, glitchtip, [ka, kb], "resolved")
        await pilot.press("z")
        await until_status(s, pilot, glitchtip, [ka, kb], "unresolved")
        assert not [m for m, sev in s.toasts if sev == "error"], s.toasts


@pytest.mark.parametrize(
    ("keys", "words"),
    [(("A",), "assign"), (("a",), "assign"), (("P",), "priority"), (("R",), "release")],
)
async def test_keys_glitchtip_cannot_serve_say_why(
    glitchtip: CompatServer, gt_stack: TriageStack, keys: tuple[str, ...], words: str
) -> None:
    s = gt_stack
    raw, _ = await glitchtip.send_and_wait("api")
    async with s.app.run_test(size=SIZE) as pilot:
        await in_feed(s, pilot, raw)
        await s.cursor_on(pilot, key_of(raw))
        s.session.set_paused(True)  # the poller's requests out of the count
        await pilot.pause(0.2)
        before = s.session.sentry.requests
        await pilot.press(*keys)
        await s.until(
            pilot,
            lambda: any("unavailable" in m and "GlitchTip" in m for m in s.messages()),
            f"the reason on {keys}",
            within=20,  # returns as soon as the toast is up; generous for a loaded machine
        )
        message = next(m for m in s.messages() if "unavailable" in m)
        assert words in message.lower()
        assert s.app.screen is s.app.feed_screen()  # no modal opened
        assert not s.session.triage.pending and not s.session.triage.failed
        assert s.session.sentry.requests == before  # refused here: no request at all
        assert await glitchtip_status(glitchtip, key_of(raw)) == "unresolved"
