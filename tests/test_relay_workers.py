"""The scrubbing worker pool: dispatch to free workers, a dead worker fails only its
batch and is replaced, and the relay keeps answering."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import httpx
import pytest

from sxtriage.config import Settings
from sxtriage.relay.pii_config import build_pii_config
from sxtriage.relay.server import RelayServer
from sxtriage.relay.workers import ProcessPool, WorkerDied
from tests.fixtures_relay import recorded


def _event_jobs(n: int) -> list[tuple[str, str, int | None, bytes]]:
    rec = next(r for r in recorded("python-sentry-sdk") if r.name == "01")
    from sxtriage.relay.envelope import parse_envelope

    item = next(i for i in parse_envelope(rec.envelope).items if i.type == "event")
    return [("event", "api", 1, item.payload)] * n


async def test_pool_answers_in_order_and_fills_free_slots() -> None:
    pool = ProcessPool(2, json.dumps(build_pii_config()), depth=2)
    await pool.start()
    try:
        assert pool.idle() == 4 and pool.alive() == 2
        futures = [pool.dispatch(_event_jobs(k)) for k in (1, 2, 3)]
        assert pool.idle() == 1  # the least-loaded worker took each batch
        results = await asyncio.gather(*futures)
        assert [len(r) for r in results] == [1, 2, 3]
        assert all(ok and summary and summary["issue_id"] for ok, _t, summary in results[2])
        assert pool.idle() == 4
    finally:
        await pool.stop()


async def test_dead_worker_fails_its_batch_and_is_replaced() -> None:
    pool = ProcessPool(1, json.dumps(build_pii_config()), depth=1)
    await pool.start()
    woke: list[int] = []
    pool.on_idle = lambda: woke.append(pool.idle())
    try:
        future = pool.dispatch(_event_jobs(400))  # far more than it can finish at once
        (pid,) = pool.pids()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerDied):
            await future
        for _ in range(200):
            if pool.restarts == 1 and pool.idle() == 1:
                break
            await asyncio.sleep(0.05)
        assert pool.restarts == 1 and pool.pids() != [pid] and woke
        again = await pool.dispatch(_event_jobs(2))
        assert [ok for ok, _t, _s in again] == [True, True]
    finally:
        await pool.stop()
    assert pool.alive() == 0


async def test_relay_answers_503_for_a_lost_batch_then_recovers(relay_settings: Settings) -> None:
    server = RelayServer(relay_settings, workers=1)
    await server.start(port=0)
    rec = next(r for r in recorded("python-sentry-sdk") if r.name == "01")
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            pool = server.pipeline.pool
            assert pool is not None
            (pid,) = pool.pids()
            os.kill(pid, signal.SIGKILL)
            first = await client.post(server.url + rec.path, content=rec.body, headers=rec.headers)
            # Either it reached the dead worker (503, retryable) or the replacement (200).
            assert first.status_code in (200, 503)
            if first.status_code == 503:
                assert "worker" in first.json()["detail"]
            for _ in range(100):
                again = await client.post(
                    server.url + rec.path, content=rec.body, headers=rec.headers
                )
                if again.status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert again.status_code == 200
            health = (await client.get(server.url + "/health")).json()
            assert health["status"] == "ok" and health["scrub_workers"] == 1
            assert health["scrub_restarts"] == 1
    finally:
        await server.stop()
