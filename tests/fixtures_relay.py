"""Pytest fixtures for the relay tests: a real relay on an ephemeral loopback port and
the recorded real-SDK payloads (tests/data/fixtures, see its README)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from sxtriage.config import Settings
from sxtriage.relay.server import RelayServer

FIXTURES = Path(__file__).parent / "data" / "fixtures"
_SKIP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass
class Recorded:
    sdk: str
    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    envelope: bytes


def recorded(sdk: str | None = None) -> list[Recorded]:
    out = []
    for meta in sorted(FIXTURES.glob("*/*.http.json")):
        if sdk and meta.parent.name != sdk:
            continue
        info = json.loads(meta.read_text())
        stem = meta.name.removesuffix(".http.json")
        out.append(
            Recorded(
                sdk=meta.parent.name,
                name=stem,
                method=info["method"],
                path=info["path"],
                headers={
                    k: v for k, v in info["headers"].items() if k.lower() not in _SKIP_HEADERS
                },
                body=(meta.parent / f"{stem}.body").read_bytes(),
                envelope=(meta.parent / f"{stem}.envelope").read_bytes(),
            )
        )
    return out


@pytest.fixture
def relay_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "relay-data")


@pytest_asyncio.fixture
async def relay(relay_settings: Settings) -> AsyncIterator[RelayServer]:
    """A relay with the scrubbing pool in threads (same code path, fast start)."""
    server = RelayServer(relay_settings, workers=0)
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


def error_envelope(exc_type: str, value: str = "test event") -> tuple[str, bytes]:
    """(event id, envelope) of one error event whose exception type names its issue."""
    event_id = uuid.uuid4().hex
    event = {
        "event_id": event_id,
        "platform": "python",
        "level": "error",
        "timestamp": time.time(),
        "exception": {"values": [{"type": exc_type, "value": value}]},
    }
    payload = json.dumps(event).encode()
    head = json.dumps({"event_id": event_id}).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    return event_id, head + b"\n" + item + b"\n" + payload + b"\n"
