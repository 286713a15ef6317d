"""The UI scenes: deterministic data, a fixed clock.  Used by the snapshot tests and by
`python -m tests.scenes screenshots` (`make screenshots`), which writes them as SVGs into
screenshots/."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from sxtriage.models import Event, IssueDelta, Source, Status
from tests.fixtures_ui import NOW, build_app, health, make_issue, make_issues

ROOT = Path(__file__).resolve().parent.parent


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _open_issue(tab_presses: int) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("j", "j", "enter")
        await _settle(pilot)
        for _ in range(tab_presses):
            await pilot.press("tab")
        await _settle(pilot)

    return run


async def _filter(pilot: Pilot[Any]) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one("#filter-input").cursor_blink = False
    await pilot.press(*"level:error service:api")
    await _settle(pilot)


async def _paused(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    await pilot.press("space", "space", "j", "space", "p")
    fresh = [make_issue(n) for n in range(500, 512)]
    app.session.feed.apply(IssueDelta(source=Source.SENTRY, upserts=fresh))
    await _settle(pilot)


async def _stale(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    app.session.on_health(
        health("sentry", False, "503 Service Unavailable from /api/0/organizations/")
    )
    app.session.on_health(health("relay", True))
    app.feed_screen().refresh_chrome()
    await _settle(pilot)


async def _palette(pilot: Pilot[Any]) -> None:
    from textual.command import CommandInput, CommandList

    await pilot.press("colon")
    await _settle(pilot)
    pilot.app.screen.query_one(CommandInput).cursor_blink = False
    await pilot.press(*"sort by")
    hits = pilot.app.screen.query_one(CommandList)
    stable, last = 0, -1
    while stable < 5:  # the palette searches asynchronously: wait until the hits settle
        await pilot.pause(0.05)
        stable = stable + 1 if hits.option_count == last and last > 0 else 0
        last = hits.option_count
    await _settle(pilot)


async def _help(pilot: Pilot[Any]) -> None:
    await pilot.press("question_mark")
    await _settle(pilot)


async def _hostile(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    evil = make_issue(
        999,
        last_seen=NOW,
        title="[bold red]not markup[/] \x1b[31mansi\x1b[0m RTL\u202eevil 🔥 שלום " + "W" * 300,
        culprit="[link=http://x]click[/link]",
        status=Status.UNRESOLVED,
    )
    app.session.feed.apply(IssueDelta(source=Source.SENTRY, upserts=[evil]))
    await _settle(pilot)


def _incident_data(app: Any) -> None:
    """web@2.3.0 breaks checkout through api into search (three shared traces), api errors
    per minute over the threshold: the alerts strip, ⇄ markers, "new in", the releases."""
    session = app.session
    base = dict(last_seen=NOW, first_seen=NOW - timedelta(minutes=9), status=Status.UNRESOLVED)
    web = make_issue(
        900,
        service="web",
        short_id="WEB-LOCAL-1F",
        title="TypeError: Cannot read properties of undefined (reading 'cartTotal')",
        culprit="CheckoutPage in handlePay",
        release="web@2.3.0",
        first_release="web@2.3.0",
        **base,
    )
    api = make_issue(
        901,
        service="api",
        short_id="API-LOCAL-2C",
        first_release="api@1.4.2",
        title="ValidationError: cart total is NaN",
        culprit="POST /checkout",
        **base,
    )
    search = make_issue(
        902,
        service="search",
        short_id="SEARCH-LOCAL-7",
        title=("*main.IndexError: price facet missing in index"),
        culprit="GET /search",
        first_release="search@0.11.0",
        **base,
    )

    def event(issue: Any, n: int, at: Any, release: str, trace: str | None) -> Event:
        return Event(
            event_id=f"{n:032x}",
            issue_id=issue.id if issue else None,
            service=issue.service if issue else "web",
            timestamp=at,
            received=at,
            title=issue.title if issue else "",
            trace_id=trace,
            release=release,
            environment="production",
        )

    session.on_event(event(None, 1, NOW - timedelta(hours=2), "web@2.2.9", None))
    session.on_delta(IssueDelta(source=Source.SENTRY, upserts=[web, api, search]))
    for n in range(3):
        at = NOW - timedelta(minutes=9) + timedelta(seconds=n)
        trace = f"{n + 0xAB:032x}"
        for m, issue in enumerate((web, api, search)):
            release = issue.release or (issue.first_release or "")
            session.on_event(event(issue, 10 + n * 3 + m, at, release, trace))
    for n in range(12):
        at = NOW - timedelta(seconds=40 - n)
        session.on_event(event(api, 100 + n, at, "api@1.4.2", None))
    session.tick()


async def _incident(pilot: Pilot[Any]) -> None:
    _incident_data(pilot.app)
    # the strip's numbers as the once-a-second tick shows them, whenever the shot is taken
    pilot.app.feed_screen()._tick()
    await _settle(pilot)


async def _incident_issue(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    _incident_data(app)
    app.open_issue((Source.SENTRY, "1900"))
    await _settle(pilot)


def _trend_data(app: Any) -> None:
    """Sentry's 24 h series (stats["24h"], hourly, oldest first) on every sample issue:
    a few quiet, some steady, some with a spike in the last hours."""
    feed = app.session.feed
    issues = []
    for n, issue in enumerate(list(feed.issues.values())):
        shape = n % 4
        series = [
            0 if shape == 0 else (h * 7 + n) % 5 if shape == 1 else (h // 3) % 3 + 1
            for h in range(24)
        ]
        if shape == 3:
            series[-3:] = [4, 12, 30]
        issues.append(issue.model_copy(update={"stats_24h": series}))
    feed.apply(IssueDelta(source=Source.SENTRY, upserts=issues))


async def _cockpit(pilot: Pilot[Any]) -> None:
    """The on-call view: trends per row, the incident's alerts in the strip, one coalesced
    toast over the service bar, and from 140 columns the cursor's issue beside the list."""
    app: Any = pilot.app
    _trend_data(app)
    _incident_data(app)
    app.feed_screen()._tick()
    await _settle(pilot)


async def _preview_stack(pilot: Pilot[Any]) -> None:
    await _cockpit(pilot)
    await pilot.press("j", "tab")
    preview = pilot.app.feed_screen().preview
    deadline = asyncio.get_running_loop().time() + 10
    while preview.loaded is None and asyncio.get_running_loop().time() < deadline:
        await pilot.pause(0.05)
    await _settle(pilot)


def _workflow_data(app: Any) -> None:
    """Sentry's workflow states: priorities, substatuses, For Review, archive modes."""
    cases: list[dict[str, Any]] = [
        dict(substatus="escalating", for_review=True, inbox_reason="escalating", priority="high"),
        dict(substatus="regressed", for_review=True, inbox_reason="regression", priority="high"),
        dict(substatus="new", for_review=True, inbox_reason="new", priority="medium"),
        dict(substatus="ongoing", priority="low", is_bookmarked=True),
        dict(status=Status.IGNORED, substatus="archived_until_escalating", priority="low"),
        dict(
            status=Status.IGNORED,
            substatus="archived_until_condition_met",
            status_details={"ignoreCount": 100, "ignoreWindow": 60},
            priority="medium",
        ),
        dict(status=Status.RESOLVED, status_details={"inRelease": "api@2.1.0"}),
        dict(substatus="frobnicated", priority="critical"),
    ]
    issues = [
        make_issue(700 + n, last_seen=NOW - timedelta(seconds=n), **case)
        for n, case in enumerate(cases)
    ]
    app.session.feed.apply(IssueDelta(source=Source.SENTRY, upserts=issues))


async def _workflow(pilot: Pilot[Any]) -> None:
    _workflow_data(pilot.app)
    await _settle(pilot)


async def _archive_menu(pilot: Pilot[Any]) -> None:
    from sxtriage.ui.modals.archive import ArchiveModal

    _workflow_data(pilot.app)
    await _settle(pilot)
    await pilot.app.push_screen(ArchiveModal(count=2))
    await _settle(pilot)


async def _no_release(pilot: Pilot[Any]) -> None:
    from sxtriage.ui.modals.release import NoReleaseModal

    _workflow_data(pilot.app)
    await _settle(pilot)
    await pilot.app.push_screen(NoReleaseModal(["API-2BD", "WEB-2BE"], 3))
    await _settle(pilot)


async def _workflow_issue(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    _workflow_data(app)
    app.open_issue((Source.SENTRY, "1700"))
    await _settle(pilot)


@dataclass(frozen=True)
class Scene:
    name: str
    size: tuple[int, int] = (120, 32)
    run_before: Callable[[Pilot[Any]], Awaitable[None]] | None = None
    theme: str | None = None
    count: int = 60
    options: dict[str, Any] = field(default_factory=dict)


SCENES: tuple[Scene, ...] = (
    Scene("feed-80x24", (80, 24)),
    Scene("feed-200x50", (200, 50), count=120),
    Scene("feed-filter", run_before=_filter),
    Scene("feed-paused-marked", run_before=_paused),
    Scene("feed-source-down", run_before=_stale),
    Scene("feed-hostile-text", run_before=_hostile),
    Scene("feed-40x12", (40, 12)),
    Scene("issue-overview", (120, 36), _open_issue(0)),
    Scene("issue-stack", (120, 36), _open_issue(1)),
    Scene("issue-breadcrumbs", (120, 36), _open_issue(2)),
    Scene("issue-trace", (120, 36), _open_issue(3)),
    Scene("issue-events", (120, 36), _open_issue(4)),
    Scene("help", (120, 40), _help),
    Scene("palette", (120, 32), _palette),
    Scene("theme-light", theme="sxtriage-light"),
    Scene("theme-high-contrast", theme="sxtriage-high-contrast"),
    Scene("theme-dark-issue", (120, 36), _open_issue(1), theme="sxtriage-dark"),
    Scene("feed-incident", (160, 36), _incident),
    Scene("issue-related", (160, 36), _incident_issue),
    Scene("feed-workflow", (120, 32), _workflow),
    Scene("feed-workflow-80x24", (80, 24), _workflow),
    Scene("archive-menu", (120, 32), _archive_menu),
    Scene("no-release-warning", (120, 32), _no_release),
    Scene("issue-workflow", (120, 36), _workflow_issue),
    Scene("cockpit-80x24", (80, 24), _cockpit),
    Scene("cockpit-120x40", (120, 40), _cockpit),
    Scene("cockpit-200x50", (200, 50), _cockpit),
    Scene("cockpit-40x12", (40, 12), _cockpit),
    Scene("cockpit-preview-stack", (160, 40), _preview_stack),
)


def scene_app(scene: Scene, data_dir: Path) -> Any:
    app = build_app(data_dir, make_issues(scene.count), start_session=False)
    if scene.theme is not None:
        app.session.store.set_kv_sync("ui.theme", f'"{scene.theme}"')
    app.notify = _lasting(app.notify)
    return app


def _lasting(notify: Callable[..., None]) -> Callable[..., None]:
    """A toast stays until the shot: its lifetime runs on the wall clock, so on a busy
    machine it could expire before the shot is taken."""

    def lasting(message: str, *args: Any, **kw: Any) -> None:
        kw["timeout"] = 3600
        notify(message, *args, **kw)

    return lasting


def scene_pilot(scene: Scene) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """What runs before every shot (snapshot test and `make screenshots` alike): settle,
    the scene's own steps, then one tick of the feed's once-a-second timer and settle
    again.  The tick is idempotent on the fixed clock, so the shot is the same whether
    the real timer fired zero, one or more times while the scene ran."""

    async def run(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        if scene.run_before is not None:
            await scene.run_before(pilot)
        await _settle(pilot)
        feed = pilot.app.feed_screen()
        if feed is not None:
            feed._tick()
            # an alert burst's toast comes after a short delay: show it now, so the shot
            # does not depend on how long the scene took
            feed._toaster.flush()
        await _settle(pilot)

    return run


async def _shoot(scene: Scene, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        app = scene_app(scene, Path(tmp))
        try:
            # toasts as the snapshot tests show them (run_test hides them by default)
            async with app.run_test(size=scene.size, notifications=True) as pilot:
                await scene_pilot(scene)(pilot)
                path = out / f"{scene.name}.svg"
                path.write_text(app.export_screenshot(title=f"sxtriage — {scene.name}"))
                return path
        finally:
            app.session.store.close()


def main(argv: list[str]) -> int:
    if argv[:1] != ["screenshots"]:
        print("usage: python -m tests.scenes screenshots [OUT_DIR]")
        return 2
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        print(asyncio.run(_shoot(scene, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
