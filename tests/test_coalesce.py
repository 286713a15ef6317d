"""One delivery per frame: a relay source's deltas merged (keyed upserts, last wins; a
removal after an upsert wins; first-seen order), its events after the frame's delta,
bounded deliveries with the loop free between them; and a burst through a real relay
reaching the feed complete in far fewer feed changes than issues."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from sxtriage.config import Settings
from sxtriage.core.events import FeedChanged, SessionEvent
from sxtriage.core.session import Session
from sxtriage.models import Event, Issue, IssueDelta, Source
from sxtriage.relay.client import RelayClient
from sxtriage.relay.coalesce import DeltaMerge, FrameBatcher
from sxtriage.relay.inproc import InProcessRelay
from sxtriage.relay.server import RelayServer
from sxtriage.store import Store
from tests.fixtures_relay import error_envelope

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def _issue(n: int, title: str = "", source: Source = Source.RELAY) -> Issue:
    return Issue(
        source=source,
        id=f"i{n}",
        service="api",
        short_id=f"API-{n}",
        title=title or f"Error {n}",
        first_seen=T0,
        last_seen=T0,
    )


def _event(n: int, issue_id: str | None = None) -> Event:
    return Event(
        event_id=f"e{n}",
        issue_id=issue_id,
        source=Source.RELAY,
        service="api",
        project="api",
        timestamp=T0,
    )


def _delta(*upserts: Issue, removals: tuple[str, ...] = ()) -> IssueDelta:
    return IssueDelta(source=Source.RELAY, upserts=list(upserts), removals=list(removals))


async def _until(check: Callable[[], bool], what: str, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


# --- merge semantics ---------------------------------------------------------------------


def test_upserts_are_keyed_and_the_last_one_wins_in_first_seen_order() -> None:
    merge = DeltaMerge(Source.RELAY)
    merge.add(_delta(_issue(1, "one v1"), _issue(2)))
    merge.add(_delta(_issue(3)))
    merge.add(_delta(_issue(1, "one v2")))
    delta = merge.take()
    assert delta is not None and delta.source is Source.RELAY
    assert [(i.id, i.title) for i in delta.upserts] == [
        ("i1", "one v2"),
        ("i2", "Error 2"),
        ("i3", "Error 3"),
    ]
    assert delta.removals == []
    assert merge.take() is None  # taken: nothing waits any more


def test_a_removal_after_an_upsert_wins_and_an_upsert_after_a_removal_brings_it_back() -> None:
    merge = DeltaMerge(Source.RELAY)
    merge.add(_delta(_issue(1), _issue(2)))
    merge.add(_delta(removals=("i1", "i9")))
    merge.add(_delta(_issue(9, "back")))
    delta = merge.take()
    assert delta is not None
    assert [(i.id, i.title) for i in delta.upserts] == [("i2", "Error 2"), ("i9", "back")]
    assert delta.removals == ["i1"]


def test_merged_deltas_do_to_the_feed_what_the_deltas_did_one_by_one() -> None:
    from sxtriage.feed import Feed

    deltas = [
        _delta(_issue(1), _issue(2), _issue(3)),
        _delta(_issue(2, "two again"), removals=("i3",)),
        _delta(_issue(4), removals=("i1",)),
        _delta(_issue(1, "one back")),
    ]
    one_by_one, merged = Feed(), Feed()
    for delta in deltas:
        one_by_one.apply(delta)
    merge = DeltaMerge(Source.RELAY)
    for delta in deltas:
        merge.add(delta)
    taken = merge.take()
    assert taken is not None
    merged.apply(taken)
    assert merged.issues == one_by_one.issues
    assert merged.order == one_by_one.order


def test_take_with_a_limit_hands_out_bounded_pieces_in_order() -> None:
    merge = DeltaMerge(Source.RELAY)
    merge.add(_delta(*(_issue(n) for n in range(7)), removals=("x1", "x2")))
    pieces = []
    while (delta := merge.take(4)) is not None:
        pieces.append([i.id for i in delta.upserts] + delta.removals)
    assert pieces == [["i0", "i1", "i2", "i3"], ["i4", "i5", "i6", "x1"], ["x2"]]


# --- delivery per frame ------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.log: list[tuple[str, list[str]]] = []

    def on_delta(self, delta: IssueDelta) -> None:
        self.log.append(
            ("delta", [i.id for i in delta.upserts] + [f"-{r}" for r in delta.removals])
        )

    def on_event(self, event: Event) -> None:
        self.log.append(("event", [event.event_id]))


async def test_a_quiet_source_delivers_at_the_end_of_the_loop_turn() -> None:
    """What one turn brings (one chunk of the stream) goes out together, at once."""
    sink = Sink()
    batch = FrameBatcher(sink.on_delta, sink.on_event)
    batch.upsert([_issue(1)])  # the relay streams an issue, then the envelope with its event
    await batch.settle()
    batch.event(_event(1, "i1"))
    await batch.settle()
    assert sink.log == []  # not inside the turn
    await _until(lambda: len(sink.log) == 2, "the delivery")
    assert sink.log == [("delta", ["i1"]), ("event", ["e1"])]


async def test_a_busy_source_delivers_once_per_frame_merged_issues_before_events() -> None:
    sink = Sink()
    batch = FrameBatcher(sink.on_delta, sink.on_event, frame=3600, burst=1)  # a long frame
    batch.upsert([_issue(0)])
    await batch.settle()
    await _until(lambda: len(sink.log) == 1, "the first delivery")
    for n in range(1, 5):  # four messages: an issue, then its event
        batch.upsert([_issue(n)])
        batch.event(_event(n, f"i{n}"))
        await batch.settle()
        await asyncio.sleep(0.01)
    batch.upsert([_issue(1, "changed")])
    batch.delta(_delta(removals=("i2",)))
    await batch.settle()
    assert len(sink.log) == 1  # the frame is not over
    await batch.flush()
    assert sink.log[1:] == [
        ("delta", ["i1", "i3", "i4", "-i2"]),  # one delta for the frame, before its events
        ("event", ["e1"]),
        ("event", ["e2"]),
        ("event", ["e3"]),
        ("event", ["e4"]),
    ]


async def test_what_waits_goes_out_when_the_next_frame_allows() -> None:
    sink = Sink()
    batch = FrameBatcher(sink.on_delta, sink.on_event, frame=0.05, burst=1)
    batch.upsert([_issue(0)])
    await batch.settle()
    await _until(lambda: len(sink.log) == 1, "the first delivery")
    for n in range(1, 4):
        batch.upsert([_issue(n)])
        await batch.settle()
        await asyncio.sleep(0)
    await _until(lambda: len(sink.log) == 2, "the next frame")
    assert sink.log == [("delta", ["i0"]), ("delta", ["i1", "i2", "i3"])]


async def test_a_burst_goes_out_in_bounded_deliveries_with_the_loop_free_between() -> None:
    """Past the cap a delivery goes out at once, and the loop runs other work (keys, a
    repaint) between two deliveries: a burst is never one giant frame."""
    ticks = 0
    seen: list[tuple[int, int]] = []  # (issues, ticks when delivered)

    async def other_work() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    def on_delta(delta: IssueDelta) -> None:
        seen.append((len(delta.upserts), ticks))

    ticker = asyncio.create_task(other_work())
    try:
        await asyncio.sleep(0)
        batch = FrameBatcher(on_delta, None, frame=3600, cap=100)
        for n in range(450):  # one burst, read without a pause
            batch.upsert([_issue(n)])
            await batch.settle()
        await batch.flush()
        batch.upsert(_issue(1000 + n) for n in range(250))  # one big change: split too
        await batch.flush()
    finally:
        ticker.cancel()
    sizes = [n for n, _ in seen]
    assert sum(sizes) == 450 + 250
    assert max(sizes) <= 100
    assert sizes == [100, 100, 100, 100, 50, 100, 100, 50]
    at = [t for _, t in seen]
    for run in (at[:5], at[-3:]):  # the cap deliveries; the pieces of the big change
        assert all(b > a for a, b in itertools.pairwise(run))  # other work ran between


async def test_an_error_in_a_scheduled_delivery_reaches_the_source() -> None:
    calls = 0

    def on_delta(delta: IssueDelta) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("the sink fell over")

    batch = FrameBatcher(on_delta, None)
    batch.upsert([_issue(0)])
    await batch.settle()  # delivered at the end of the turn, where the sink raises
    await _until(lambda: calls == 1, "the delivery")
    await asyncio.sleep(0)
    batch.upsert([_issue(1)])
    with pytest.raises(RuntimeError, match="fell over"):
        await batch.settle()


# --- a burst through a real relay ----------------------------------------------------------


def _envelope(n: int) -> bytes:
    return error_envelope(f"Burst{n:04d}Error", "burst test")[1]


N = 120


@pytest.mark.parametrize("reader", ["stream", "in-process"])
async def test_a_burst_reaches_the_feed_complete_in_far_fewer_changes(
    relay: RelayServer, tmp_path: Path, reader: str
) -> None:
    source: RelayClient | InProcessRelay
    if reader == "stream":
        source = RelayClient(relay.url, timeout=5, frame=0.25)
    else:
        source = InProcessRelay(relay.broadcaster, relay.store, frame=0.25)
    store = Store(tmp_path / "tui.db")
    session = Session(Settings(data_dir=tmp_path), store, relay=source)
    changes: list[FeedChanged] = []

    def listen(event: SessionEvent) -> None:
        if isinstance(event, FeedChanged):
            changes.append(event)

    session.subscribe(listen)
    try:
        await session.start()
        await _until(lambda: session.stale("relay") is False and "relay" in session.health, "up")
        before = len(changes)
        async with httpx.AsyncClient(timeout=30) as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        f"{relay.url}/api/{n % 4 + 1}/envelope/?sentry_key=k",
                        content=_envelope(n),
                    )
                    for n in range(N)
                )
            )
        assert all(a.status_code == 200 for a in answers)

        def titles() -> set[str]:
            return {i.title.split(":")[0] for i in session.feed.issues.values()}

        wanted = {f"Burst{n:04d}Error" for n in range(N)}
        await _until(lambda: wanted <= titles(), "every issue in the feed")
        assert len(session.feed.issues) == N
        burst = len(changes) - before
        assert 1 <= burst < N // 4, f"{burst} feed changes for {N} new issues"
        added = [k for c in changes[before:] for k in c.change.added]
        assert len(added) == len(set(added)) == N  # each issue added once
    finally:
        await session.stop()
        store.close()
