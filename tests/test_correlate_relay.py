"""End to end: real SDK envelopes sharing one trace, posted to a real relay on a loopback
port; after a restart the correlator rebuilds its index from the relay's store."""

from __future__ import annotations

import json

import httpx

from sxtriage.insights.correlate import Correlator
from sxtriage.models import Source
from sxtriage.relay.server import RelayServer
from tests.fixtures_alerts import FIXTURES, SHARED_TRACE

ORIGINAL_TRACES = [
    b"f767d2f076e24e79b8390f6a166bc748",  # node (web) checkout
    b"8dc0dc2de60b447ca197bb740bbd1a4b",  # python (api) payment
    b"e0e6ead90862b371affe10cac507a845",  # go (search)
]
POSTS = [("node-sentry-node", "04"), ("python-sentry-sdk", "04"), ("go-sentry-go", "01")]


async def test_related_issues_rebuilt_from_the_relay_store(relay: RelayServer) -> None:
    async with httpx.AsyncClient() as client:
        for folder, number in POSTS:
            meta = json.loads((FIXTURES / folder / f"{number}.http.json").read_text())
            body = (FIXTURES / folder / f"{number}.envelope").read_bytes()
            for old in ORIGINAL_TRACES:
                body = body.replace(old, SHARED_TRACE.encode())  # same length: item lengths hold
            headers = {
                k: v
                for k, v in meta["headers"].items()
                if k.lower()
                not in {
                    "host",
                    "content-length",
                    "content-encoding",
                    "transfer-encoding",
                    "connection",
                }
            }
            response = await client.post(relay.url + meta["path"], content=body, headers=headers)
            assert response.status_code == 200, response.text
    # A second trace with a malformed id must not disturb anything.
    await relay.store.write(
        "INSERT INTO events(event_id, service, issue_id, type, received, trace_id, release, data)"
        " VALUES ('bad', 'api', 'zzz', 'error', 9e9, 'not-a-trace', '[b]x\x1b', '{}')"
    )
    corr = Correlator()
    loaded = await corr.load_from_store(relay.store, since=0)
    assert loaded == 4
    rows = await relay.store.query(
        "SELECT service, issue_id FROM events WHERE trace_id = ?", (SHARED_TRACE,)
    )
    keys = {svc: (Source.RELAY, issue) for svc, issue in rows}
    assert set(keys) == {"web", "api", "search"}
    related = corr.related(keys["web"])
    assert [(r.service, r.key, r.shared_traces) for r in related] == [
        ("api", keys["api"], 1),
        ("search", keys["search"], 1),
    ]
    assert corr.is_multi_service(keys["search"])
    assert corr.releases.latest("web") == "web@2.3.0"
    assert corr.releases.latest("api") == "[b]x\x1b"  # kept literally
