"""The session outside the UI: one typed subscription, notices before anyone listens, and
failures that are never silent (a background task, an app or screen worker: the log file
with the traceback and a toast)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from sxtriage.config import Settings
from sxtriage.core.events import FeedChanged, HealthChanged, Notice, SessionEvent
from sxtriage.core.session import Session
from sxtriage.models import IssueDelta, Source
from sxtriage.store import Store
from tests.fixtures_ui import NOW, health, make_issues


@pytest.fixture
def session(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "s.db")
    yield Session(Settings(data_dir=tmp_path), store, clock=lambda: NOW.timestamp())
    store.close()


def test_one_subscription_gets_every_change_in_order(session: Session) -> None:
    seen: list[SessionEvent] = []
    session.notify("before anyone listened", "warning")
    unsubscribe = session.subscribe(seen.append)
    session.on_delta(IssueDelta(source=Source.SENTRY, upserts=make_issues(3)))
    session.on_health(health("sentry", False, "503"))
    unsubscribe()
    session.on_health(health("sentry", True))
    assert [type(e) for e in seen] == [Notice, FeedChanged, HealthChanged]
    assert seen[0] == Notice("before anyone listened", "warning")
    assert isinstance(seen[1], FeedChanged) and len(seen[1].change.added) == 3
    assert isinstance(seen[2], HealthChanged) and seen[2].health.error == "503"
    assert session.stale("sentry") is False  # the last report counts, listened to or not


async def test_a_failed_background_task_is_logged_and_toasted(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    notices: list[Notice] = []
    session.subscribe(lambda e: notices.append(e) if isinstance(e, Notice) else None)

    async def broken() -> None:
        raise RuntimeError("the source fell over")

    session.extra_tasks.append(("The test source", broken))
    with caplog.at_level(logging.ERROR, logger="sxtriage"):
        await session.start()
        for _ in range(100):
            if notices:
                break
            await asyncio.sleep(0.01)
    await session.stop()
    assert notices == [Notice("The test source stopped: the source fell over", "error")]
    record = next(r for r in caplog.records if r.name == "sxtriage.core.tasks")
    assert record.exc_info is not None and "the source fell over" in str(record.exc_info[1])


async def test_failed_workers_of_the_app_and_a_screen_are_reported(
    ui_app, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    app = ui_app(make_issues(5))

    async def boom(what: str) -> None:
        raise ValueError(f"{what} broke")

    with caplog.at_level(logging.ERROR, logger="sxtriage"):
        async with app.run_test(size=(120, 30)) as pilot:
            app.run_worker(boom("app"), name="The app job")
            app.feed_screen().run_worker(boom("screen"), name="The screen job")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            messages = [n.message for n in app._notifications]
            assert app.is_running  # neither failure closed the app
    assert "The app job failed: app broke" in messages
    assert "The screen job failed: screen broke" in messages
    logged = {str(r.exc_info[1]) for r in caplog.records if r.exc_info}
    assert {"app broke", "screen broke"} <= logged
