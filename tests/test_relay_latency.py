"""Latency plumbing: the relay's private loop thread and the process's GC settings."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import socket
import sys
import threading
import time
import uuid
import weakref
from pathlib import Path

import httpx
import pytest

from sxtriage.config import Settings
from sxtriage.relay.loop_thread import LoopThread
from sxtriage.relay.server import RelayServer
from sxtriage.runtime_tuning import SWITCH_INTERVAL, YOUNG_THRESHOLD, tune_runtime
from sxtriage.store import Store


def _envelope(eid: str) -> bytes:
    event = {"event_id": eid, "level": "error", "exception": {"values": [{"type": "E"}]}}
    lines = ({"event_id": eid}, {"type": "event"}, event)
    return "\n".join(json.dumps(x) for x in lines).encode()


def _post_from_other_thread(url: str, eid: str, out: dict[str, float | int]) -> threading.Thread:
    """An SDK in another thread: POST one envelope, record status and round-trip time."""

    def run() -> None:
        t0 = time.perf_counter()
        with httpx.Client(timeout=10) as client:
            resp = client.post(f"{url}/api/1/envelope/?sentry_key=k", content=_envelope(eid))
        out["status"] = resp.status_code
        out["seconds"] = time.perf_counter() - t0

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _repaint(seconds: float) -> None:
    """A long repaint in the embedding UI: pure Python work that holds this loop."""
    end = time.perf_counter() + seconds
    total = 0
    while time.perf_counter() < end:
        total += sum(range(200))


async def _ack_while_blocked(server: RelayServer, block: float) -> dict[str, float | int]:
    """POST from a thread while this (the embedding program's) loop is blocked."""
    warm: dict[str, float | int] = {}  # first request: connection set-up, lazy imports
    await asyncio.to_thread(_post_from_other_thread(server.url, uuid.uuid4().hex, warm).join)
    eid = uuid.uuid4().hex
    out: dict[str, float | int] = {}
    thread = _post_from_other_thread(server.url, eid, out)
    _repaint(block)
    await asyncio.to_thread(thread.join, 10)
    rows = await server.store.query("SELECT COUNT(*) FROM events WHERE event_id=?", (eid,))
    assert out["status"] == 200 and rows[0][0] == 1
    return out


async def test_loop_thread_runs_elsewhere_and_propagates_errors() -> None:
    runner = LoopThread(name="test-loop")
    runner.start()
    here = threading.get_ident()

    async def where() -> int:
        await asyncio.sleep(0)
        return threading.get_ident()

    async def boom() -> None:
        raise ValueError("bad input")

    try:
        assert await runner.run(where()) != here
        with pytest.raises(ValueError, match="bad input"):
            await runner.run(boom())
    finally:
        await runner.close()
    assert not runner.running
    with pytest.raises(RuntimeError, match="not running"):
        await runner.run(where())


async def test_loop_thread_close_cancels_what_is_still_running() -> None:
    runner = LoopThread(name="test-loop")
    runner.start()
    cancelled = threading.Event()
    started = threading.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    assert runner.loop is not None
    asyncio.run_coroutine_threadsafe(forever(), runner.loop)
    assert await asyncio.to_thread(started.wait, 30)  # running on the other loop
    await runner.close()
    assert cancelled.is_set() and not runner.running


async def test_embedded_relay_acks_while_the_embedding_loop_is_blocked(
    relay_settings: Settings,
) -> None:
    """On its own thread (the default) the relay answers SDKs while the UI loop is busy;
    sharing the loop, the same POST waits for the whole block."""
    block = 1.0
    threaded = RelayServer(relay_settings, workers=0)
    await threaded.start(port=0)
    try:
        fast = await _ack_while_blocked(threaded, block)
    finally:
        await threaded.stop()
    inline = RelayServer(
        relay_settings.model_copy(update={"data_dir": relay_settings.data_dir / "inline"}),
        workers=0,
        own_thread=False,
    )
    await inline.start(port=0)
    try:
        slow = await _ack_while_blocked(inline, block)
    finally:
        await inline.stop()
    assert fast["seconds"] < block / 2, fast
    assert slow["seconds"] >= block * 0.9, slow


async def test_threaded_relay_stops_its_thread(relay_settings: Settings) -> None:
    server = RelayServer(relay_settings, workers=0)
    await server.start(port=0)
    assert any(t.name == "sxtriage-relay" for t in threading.enumerate())
    async with httpx.AsyncClient() as client:
        assert (await client.get(server.url + "/health")).status_code == 200
    await server.stop()
    assert not any(t.name == "sxtriage-relay" and t.is_alive() for t in threading.enumerate())
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(server.url + "/health")


async def test_busy_port_raises_and_leaves_no_thread(relay_settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = RelayServer(relay_settings, workers=0)
        with pytest.raises(OSError):
            await server.start(host="127.0.0.1", port=port)
    assert not any(t.name == "sxtriage-relay" and t.is_alive() for t in threading.enumerate())


async def test_relay_start_tunes_the_runtime_once(relay: RelayServer) -> None:
    assert gc.get_threshold()[0] >= YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 0
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    assert tune_runtime() is False  # once per process
    # Reference cycles created after start-up are still collected.
    node = _Node()
    node.me = node
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None


class _Node:
    me: object = None


async def test_stop_under_load_leaves_a_shared_store_writable(tmp_path: Path) -> None:
    """Stopping the threaded relay mid-ingest must not break the store the app shares."""
    store = Store(tmp_path / "shared.db")
    server = RelayServer(Settings(data_dir=tmp_path), store, workers=0)
    await server.start(port=0)
    try:
        async with httpx.AsyncClient(timeout=10) as client:

            async def post() -> None:
                with contextlib.suppress(httpx.HTTPError):
                    await client.post(
                        f"{server.url}/api/1/envelope/?sentry_key=k",
                        content=_envelope(uuid.uuid4().hex),
                    )

            posts = [asyncio.create_task(post()) for _ in range(200)]
            while server.stats["accepted"] < 20:
                await asyncio.sleep(0.001)
            await server.stop()
            await asyncio.gather(*posts)
        await store.write("INSERT INTO kv(key, value) VALUES ('after', 'stop')")
        assert store.get_kv("after") == "stop"
    finally:
        store.close()
