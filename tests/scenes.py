"""The UI scenes: deterministic data, a fixed clock.  Used by the snapshot tests and by
`python -m tests.scenes screenshots` (`make screenshots`), which writes them as SVGs into
screenshots/."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from sxtriage.models import IssueDelta, Source, Status
from tests.fixtures_ui import NOW, build_app, make_issue, make_issues

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
    app.backend.feed.apply(IssueDelta(source=Source.SENTRY, upserts=fresh))
    await _settle(pilot)


async def _stale(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    app.backend.set_health("sentry", False, "503 Service Unavailable from /api/0/organizations/")
    app.backend.set_health("relay", True)
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
    app.backend.feed.apply(IssueDelta(source=Source.SENTRY, upserts=[evil]))
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
)


def scene_app(scene: Scene, data_dir: Path) -> Any:
    app = build_app(data_dir, make_issues(scene.count), start_backend=False)
    if scene.theme is not None:
        app.backend.store.set_kv_sync("ui.theme", f'"{scene.theme}"')
    return app


async def _shoot(scene: Scene, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        app = scene_app(scene, Path(tmp))
        try:
            async with app.run_test(size=scene.size) as pilot:
                await _settle(pilot)
                if scene.run_before is not None:
                    await scene.run_before(pilot)
                path = out / f"{scene.name}.svg"
                path.write_text(app.export_screenshot(title=f"sxtriage — {scene.name}"))
                return path
        finally:
            app.backend.store.close()


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
