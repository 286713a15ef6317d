"""The status line while the cold start still reads the cache: "loading cache… N read",
then the usual "N of M" once every cached issue is in."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from sxtriage.config import Settings
from sxtriage.core.session import Session
from sxtriage.core.store_io import CACHE_FIRST, CacheLoad, cache_ops
from sxtriage.store import Store
from sxtriage.ui.app import SxTriageApp
from tests.fixtures_ui import NOW, make_issues


async def test_status_says_the_cache_is_loading_until_the_rest_is_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = CACHE_FIRST + 700
    store = Store(tmp_path / "cache.db")
    store.write_sync(cache_ops(make_issues(count)))
    release = threading.Event()
    read_rest = CacheLoad._read_rest

    def held(self: CacheLoad, conn: object) -> object:
        assert release.wait(30)
        return read_rest(self, conn)  # type: ignore[arg-type]

    monkeypatch.setattr(CacheLoad, "_read_rest", held)
    session = Session(Settings(data_dir=tmp_path), store, clock=lambda: NOW.timestamp())
    session.load_cache()
    app = SxTriageApp(session, clock=lambda: NOW, start_session=False)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.pause()
            screen = app.feed_screen()
            assert screen is not None

            def status() -> str:
                return str(screen.query_one("#status").render())

            assert session.cache_loading
            text = status()
            assert f"loading cache… {CACHE_FIRST:,} read" in text
            assert f"{CACHE_FIRST:,} of {CACHE_FIRST:,}" not in text
            release.set()
            deadline = asyncio.get_running_loop().time() + 30
            while session.cache_loading or f"{count:,} of {count:,}" not in status():
                assert asyncio.get_running_loop().time() < deadline, status()
                await pilot.pause(0.02)
            assert "loading cache" not in status()
    finally:
        release.set()
        store.close()
