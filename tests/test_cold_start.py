"""Cold start from the issue cache: the newest issues first (the first frame), the rest read
off the event loop and merged as one delta — the feed ends up exactly as a load of the
whole cache at once leaves it, whatever was typed meanwhile."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from sxtriage.config import Settings
from sxtriage.core.events import FeedChanged, SessionEvent
from sxtriage.core.session import Session
from sxtriage.core.store_io import CACHE_FIRST, CACHE_SMALL_REST, CacheLoad, cache_ops
from sxtriage.feed import SortKey
from sxtriage.models import Issue, IssueDelta, Source
from sxtriage.store import Store
from sxtriage.ui.app import SxTriageApp
from tests.fixtures_ui import NOW, make_issue, make_issues

FIRST = 100


def _cached_issues(count: int) -> list[Issue]:
    """Sentry and relay issues, several sharing a last-seen second (ties)."""
    issues = make_issues(count)
    for n in range(0, count, 9):
        issues[n] = make_issue(n, source=Source.RELAY)
    for n in range(5, count, 17):
        issues[n] = issues[n].model_copy(update={"last_seen": issues[0].last_seen})
    return issues


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "cache.db")
    yield store
    store.close()


def _fill(store: Store, issues: list[Issue]) -> None:
    store.write_sync(cache_ops(issues))


def _session(store: Store, tmp_path: Path) -> Session:
    return Session(Settings(data_dir=tmp_path), store, clock=lambda: NOW.timestamp())


def _whole(store: Store, tmp_path: Path) -> Session:
    session = _session(store, tmp_path)
    session.load_cache(first=None)
    assert not session.cache_loading
    return session


async def test_first_the_newest_then_the_rest_ends_as_a_whole_load(
    store: Store, tmp_path: Path
) -> None:
    _fill(store, _cached_issues(1000))
    store.write_sync(
        [("INSERT INTO issues VALUES('sentry','bad','api','unresolved',1e10,'{',0)", ())]
    )
    whole = _whole(store, tmp_path)
    session = _session(store, tmp_path)
    assert session.load_cache(first=FIRST) == FIRST - 1  # the newest row no longer parses
    assert session.cache_loading
    newest = sorted(whole.feed.issues.values(), key=lambda i: i.last_seen, reverse=True)
    assert {i.last_seen for i in session.feed.issues.values()} <= {
        i.last_seen for i in newest[:FIRST]
    }
    assert session.feed.order == [k for k in whole.feed.order if k in session.feed.issues]

    assert await session.load_cache_rest() == 1000 - (FIRST - 1)
    assert not session.cache_loading
    assert session.feed.order == whole.feed.order
    assert session.feed.issues == whole.feed.issues
    assert len(whole.feed.issues) == 1000
    for service in ("api", "web", "mobile", "search"):
        assert session.feed.stats(service).levels == whole.feed.stats(service).levels
    assert await session.load_cache_rest() == 0


async def test_a_filter_and_sort_set_while_loading_apply_to_the_whole_cache(
    store: Store, tmp_path: Path
) -> None:
    _fill(store, _cached_issues(800))
    whole = _whole(store, tmp_path)
    session = _session(store, tmp_path)
    session.load_cache(first=FIRST)
    for feed in (session.feed, whole.feed):
        feed.set_filter("level:error timeout")
        feed.set_sort(SortKey.EVENTS)
    await session.load_cache_rest()
    assert session.feed.order == whole.feed.order
    assert 0 < len(session.feed.order) < 800


def test_a_cache_barely_larger_than_the_first_part_is_read_at_once(
    store: Store, tmp_path: Path
) -> None:
    _fill(store, make_issues(FIRST + CACHE_SMALL_REST))
    session = _session(store, tmp_path)
    assert session.load_cache(first=FIRST) == FIRST + CACHE_SMALL_REST
    assert not session.cache_loading
    load = CacheLoad(store, limit=FIRST + 50, first=FIRST)
    assert sum(map(len, load.first().values())) == FIRST + 50 and not load.pending


async def test_the_rest_keeps_what_a_source_sent_meanwhile(store: Store, tmp_path: Path) -> None:
    issues = make_issues(600)
    _fill(store, issues)
    session = _session(store, tmp_path)
    session.load_cache(first=FIRST)
    old = min(issues, key=lambda i: i.last_seen)  # certainly in the rest
    assert session.feed.get(old.key) is None
    fresher = old.model_copy(
        update={"count": old.count + 1, "last_seen": NOW + timedelta(minutes=1)}
    )
    session.on_delta(IssueDelta(source=Source.SENTRY, upserts=[fresher]))
    assert await session.load_cache_rest() == 600 - FIRST - 1
    assert session.feed.get(old.key) == fresher
    assert session.feed.order[0] == old.key


async def test_callers_waiting_together_merge_it_once(store: Store, tmp_path: Path) -> None:
    _fill(store, make_issues(700))
    session = _session(store, tmp_path)
    events: list[SessionEvent] = []
    session.subscribe(events.append)
    session.load_cache(first=FIRST)
    events.clear()
    added = await asyncio.gather(session.load_cache_rest(), session.load_cache_rest())
    assert sorted(added) == [0, 700 - FIRST]
    merged = [e for e in events if isinstance(e, FeedChanged)]
    assert len(merged) == 1 and len(merged[0].change.added) == 700 - FIRST


async def test_a_rest_that_changes_no_row_still_tells_the_listeners(
    store: Store, tmp_path: Path
) -> None:
    _fill(store, make_issues(700))
    session = _session(store, tmp_path)
    session.load_cache(first=FIRST)
    session.feed.set_filter("nothing-matches-this")
    events: list[SessionEvent] = []
    session.subscribe(events.append)
    await session.load_cache_rest()
    assert [type(e) for e in events] == [FeedChanged]
    assert session.feed.total == 700 and not session.cache_loading


async def test_start_waits_for_the_whole_cache(store: Store, tmp_path: Path) -> None:
    _fill(store, make_issues(700))
    session = _session(store, tmp_path)
    session.load_cache(first=FIRST)
    await session.start()
    assert session.feed.total == 700 and not session.cache_loading
    await session.stop()


async def test_the_app_paints_the_newest_first_then_merges_the_rest(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first frame has the newest issues while the rest is still being read; a filter
    typed meanwhile applies to the whole cache once it lands, the cursor on its issue."""
    count = CACHE_FIRST + CACHE_SMALL_REST + 300
    _fill(store, make_issues(count))
    whole = _whole(store, tmp_path)
    whole.feed.set_filter("level:error")
    release = threading.Event()
    read_rest = CacheLoad._read_rest

    def held(self: CacheLoad, conn: object) -> object:
        assert release.wait(30)
        return read_rest(self, conn)  # type: ignore[arg-type]

    monkeypatch.setattr(CacheLoad, "_read_rest", held)
    session = _session(store, tmp_path)
    session.load_cache()
    app = SxTriageApp(session, clock=lambda: NOW, start_session=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        screen = app.feed_screen()
        assert screen is not None
        assert session.cache_loading and session.feed.total == CACHE_FIRST
        assert screen.issue_list.order[0] == whole.feed.order[0]
        await pilot.press("slash", *"level:error", "enter")
        await pilot.pause()
        cursor = screen.issue_list.cursor_key
        assert cursor is not None
        release.set()
        deadline = asyncio.get_running_loop().time() + 30
        while session.cache_loading:
            assert asyncio.get_running_loop().time() < deadline, "the rest never merged"
            await asyncio.sleep(0.01)
        await pilot.pause()
        assert session.feed.total == count
        assert screen.issue_list.order == whole.feed.order
        assert screen.issue_list.cursor_key == cursor


def test_issues_seen_in_the_same_second_keep_one_order(store: Store) -> None:
    """Both parts read one order: ties in last seen go by the row's age, newest first."""
    tied = [i.model_copy(update={"last_seen": NOW - timedelta(days=1)}) for i in make_issues(5)]
    store.write_sync(cache_ops(tied))
    load = CacheLoad(store, limit=5, first=5)
    assert [i.id for i in load.first()[Source.SENTRY]] == [i.id for i in reversed(tied)]
