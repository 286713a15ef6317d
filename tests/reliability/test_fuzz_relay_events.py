"""Fuzzed event payloads inside well-formed envelopes, through the whole relay pipeline.

The envelope parser has its own 12,000-case fuzz (tests/test_envelope.py); this one
takes the recorded real-SDK events and retypes, deletes or replaces parts of them, then
posts them to a real relay: normalization, scrubbing, grouping, the SQLite commit and
the stream must answer 200 or a one-line 4xx, never 5xx, and the relay stays healthy.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sxtriage.config import Settings
from sxtriage.relay.envelope import parse_envelope
from sxtriage.relay.limits import Limits
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import recorded
from tests.reliability.test_fuzz_api import _mutate

EVENT_ITEMS = ("event", "transaction")


def _seed_items() -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(envelope header, item header, payload) of every recorded event/transaction."""
    out = []
    for rec in recorded():
        env = parse_envelope(rec.envelope, Limits())
        for item in env.items:
            if item.headers.get("type") in EVENT_ITEMS:
                try:
                    payload = json.loads(item.payload)
                except ValueError:
                    continue
                out.append((dict(env.headers), dict(item.headers), payload))
    return out


SEEDS = _seed_items()


@dataclass
class RelayHarness:
    loop: asyncio.AbstractEventLoop
    server: RelayServer
    http: httpx.AsyncClient

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)


@pytest.fixture(scope="module")
def relay_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayHarness]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    data_dir: Path = tmp_path_factory.mktemp("fuzz-relay")

    async def setup() -> RelayHarness:
        server = RelayServer(Settings(data_dir=data_dir), workers=0)
        await server.start(host="127.0.0.1", port=0)
        return RelayHarness(loop, server, httpx.AsyncClient(base_url=server.url, timeout=10))

    h = asyncio.run_coroutine_threadsafe(setup(), loop).result(60)
    try:
        yield h
    finally:
        h.run(h.http.aclose())
        h.run(h.server.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def _envelope(data: st.DataObject) -> bytes:
    env_header, item_header, payload = data.draw(st.sampled_from(SEEDS), label="seed")
    if data.draw(st.booleans(), label="mutate payload"):
        payload = _mutate(payload, data)
    if data.draw(st.integers(0, 4), label="mutate header") == 0:
        env_header = _mutate(env_header, data)
    body = json.dumps(payload).encode()
    item = {k: v for k, v in item_header.items() if k != "length"}
    item["length"] = len(body)
    return b"\n".join([json.dumps(env_header).encode(), json.dumps(item).encode(), body]) + b"\n"


def check_one(h: RelayHarness, data: st.DataObject) -> None:
    project = data.draw(st.sampled_from([1, 2, 3, 4]), label="project")
    body = _envelope(data)
    resp = h.run(h.http.post(f"/api/{project}/envelope/?sentry_key=k", content=body))
    assert resp.status_code == 200 or 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    if resp.status_code != 200:
        detail = resp.json()["detail"]
        assert detail and "\n" not in detail


_FUZZ = settings(
    max_examples=300,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@_FUZZ
@given(data=st.data())
def test_fuzzed_events_through_the_relay(relay_harness: RelayHarness, data: st.DataObject) -> None:
    check_one(relay_harness, data)


@pytest.mark.slow
@settings(_FUZZ, max_examples=3_000)
@given(data=st.data())
def test_fuzzed_events_through_the_relay_soak(
    relay_harness: RelayHarness, data: st.DataObject
) -> None:
    check_one(relay_harness, data)


def test_relay_still_serves_after_the_fuzz(relay_harness: RelayHarness) -> None:
    """Runs after the fuzz in this module: health, local issues and the stream work."""
    h = relay_harness
    health = h.run(h.http.get("/health")).json()
    assert health["status"] == "ok"
    issues = h.run(h.http.get("/local/issues/"))
    assert issues.status_code == 200 and isinstance(issues.json(), list)
    good = recorded("python-sentry-sdk")[0]
    resp = h.run(h.http.post(good.path, content=good.body, headers=good.headers))
    assert resp.status_code == 200
