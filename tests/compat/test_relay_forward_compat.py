"""Our relay forwarding to servers we did not write: a real sentry-sdk sends to OUR relay,
configured as a user does (`[relay] forward = { api = "<their DSN>" }`), the relay keeps
the event locally and forwards the envelope, and the event becomes an issue in their API
(GlitchTip's `/api/0/`, Bugsink's own `/api/canonical/0/`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from sxtriage.config import load_settings
from sxtriage.relay.server import RelayServer
from tests.compat.conftest import CompatServer
from tests.compat.sdk import send_error

pytestmark = pytest.mark.compat


@pytest.fixture
async def relays(tmp_path: Path) -> AsyncIterator[Callable[[str], Any]]:
    """Factory: a relay on a free loopback port whose `api` service forwards to `dsn`."""
    made: list[RelayServer] = []

    async def make(dsn: str) -> RelayServer:
        cfg = tmp_path / f"config{len(made)}.toml"
        cfg.write_text(f'[relay]\nforward = {{ api = "{dsn}" }}\n')
        data = tmp_path / f"relay{len(made)}"
        settings = load_settings(cfg, env={}, cli={"data_dir": data}).settings
        relay = RelayServer(settings, workers=0)
        await relay.start(host="127.0.0.1", port=0)
        made.append(relay)
        return relay

    try:
        yield make
    finally:
        for relay in made:
            await relay.stop()


async def wait_for(check: Callable[[], Any], what: str, within: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def local_events(relay: RelayServer, event_id: str) -> int:
    rows = await relay.store.query("SELECT COUNT(*) FROM events WHERE event_id=?", (event_id,))
    return int(rows[0][0])


async def test_relay_forwards_a_real_sdk_event_to_glitchtip(
    glitchtip: CompatServer, relays: Callable[[str], Any]
) -> None:
    relay = await relays(glitchtip.dsn("api"))
    sent = await asyncio.to_thread(send_error, relay.dsn(1))  # the SDK points at OUR relay
    assert await wait_for(lambda: local_events(relay, sent.event_id), "the local copy")
    found = await glitchtip.wait_until(lambda: glitchtip.find(sent.marker), "GlitchTip's issue")
    assert found[0]["project"]["slug"] == "api" and sent.marker in found[0]["title"]
    latest = await glitchtip.api("GET", f"/issues/{found[0]['id']}/events/latest/")
    assert latest["eventID"] == sent.event_id
    assert relay.forwarder is not None
    assert (relay.forwarder.forwarded, relay.forwarder.failed) == (1, 0)


async def test_relay_forwards_a_real_sdk_event_to_bugsink(
    bugsink: Any, relays: Callable[[str], Any]
) -> None:
    relay = await relays(bugsink.dsn)
    sent = await asyncio.to_thread(send_error, relay.dsn(1))
    assert await wait_for(lambda: local_events(relay, sent.event_id), "the local copy")
    headers = {"Authorization": f"Bearer {bugsink.token}"}
    params = {"project": str(bugsink.project_id)}

    async def listed() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=bugsink.url, headers=headers) as http:
            resp = await http.get("/api/canonical/0/issues/", params=params)
        assert resp.status_code == 200, resp.text[:200]
        return [i for i in resp.json()["results"] if sent.marker in i["calculated_value"]]

    (issue,) = await wait_for(listed, "Bugsink's issue")
    assert issue["calculated_type"] == "CompatError"
    async with httpx.AsyncClient(base_url=bugsink.url, headers=headers) as http:
        events = (await http.get("/api/canonical/0/events/", params={"issue": issue["id"]})).json()
    assert [e["event_id"].replace("-", "") for e in events["results"]] == [sent.event_id]
    assert relay.forwarder is not None
    assert (relay.forwarder.forwarded, relay.forwarder.failed) == (1, 0)
