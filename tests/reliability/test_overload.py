"""Overload: 3× a throttled relay's capacity, open loop, for 5 s.

The relay (a real `sxtriage relay` process) is throttled to 40 events/s
(`SXTRIAGE_RELAY_MAX_EVENTS_PER_S`), so its capacity is the same on a fast, slow or busy
machine; requests leave at a fixed 120/s whatever the answers take (as SDKs send).  The
relay must answer 429 with Retry-After and X-Sentry-Rate-Limits (in the form real SDKs
parse) instead of queueing, keep every answer time bounded, lose nothing it 2xx'd (every
such event in SQLite and sent to a reader of its SSE stream, as the TUI reads it), and
still commit about its capacity.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import sys
import time
import uuid
from pathlib import Path

import httpx
from httpx_sse import SSEError, aconnect_sse
from sentry_sdk.transport import _parse_rate_limits

from benchmarks.openloop import Answer, HttpLoad, open_loop

ROOT = Path(__file__).resolve().parents[2]
CAPACITY = 40.0  # events/s the throttled relay commits
OFFERED = 3 * CAPACITY
SECONDS = 5.0
RATE_LIMITS = re.compile(r"^(\d+)::organization:relay_backlog$")
EVENT_ID = re.compile(r"[0-9a-f]{32}")
STREAM_DEADLINE_S = 15.0


def envelope(event_id: str, n: int) -> bytes:
    event = {
        "event_id": event_id,
        "platform": "python",
        "level": "error",
        "exception": {"values": [{"type": f"Overload{n}Error", "value": "burst"}]},
    }
    payload = json.dumps(event).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    return json.dumps({"event_id": event_id}).encode() + b"\n" + item + b"\n" + payload + b"\n"


def make(n: int) -> tuple[str, str, bytes]:
    event_id = uuid.uuid4().hex
    return event_id, "/api/1/envelope/?sentry_key=k", envelope(event_id, n)


async def start_relay(data: Path) -> tuple[asyncio.subprocess.Process, str, asyncio.Task[None]]:
    env = {**os.environ, "SXTRIAGE_RELAY_MAX_EVENTS_PER_S": str(CAPACITY)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "sxtriage.cli", "--data-dir", str(data), "relay", "--port", "0"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode(errors="replace")
    assert line.startswith("relay listening on "), line

    async def drain(stream: asyncio.StreamReader) -> None:
        while await stream.read(65536):
            pass

    return proc, line.split()[3], asyncio.create_task(drain(proc.stdout))


class StreamReader:
    """A reader of the relay's SSE stream (`GET /stream`): every event id in the envelopes
    it is sent.  Reconnects with Last-Event-ID if the relay drops it, as the TUI does."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ids: set[str] = set()
        self.connected = asyncio.Event()
        self.last_id: str | None = None

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as http:
            while True:
                headers = {"Last-Event-ID": self.last_id} if self.last_id else {}
                try:
                    async with aconnect_sse(
                        http, "GET", self.url + "/stream", headers=headers
                    ) as source:
                        assert source.response.status_code == 200
                        self.connected.set()
                        async for sse in source.aiter_sse():
                            self.ids.update(EVENT_ID.findall(sse.data))
                            if sse.id:
                                self.last_id = sse.id
                except (httpx.HTTPError, SSEError):
                    await asyncio.sleep(0.1)

    async def wait_for(self, wanted: set[str], deadline_s: float) -> set[str]:
        """The wanted ids not yet read once they all are, or the deadline passes."""
        deadline = time.monotonic() + deadline_s
        while not wanted <= self.ids and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return wanted - self.ids


def stored(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT event_id FROM events")}
    finally:
        conn.close()


async def test_overload_answers_429_fast_and_loses_nothing(tmp_path: Path) -> None:
    proc, url, drain = await start_relay(tmp_path / "relay")
    load = HttpLoad(url, max_connections=256, timeout=20)
    stream = StreamReader(url)
    reading = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), 10)
        answers: list[Answer] = await open_loop(load, OFFERED, SECONDS, make)
        acked = {a.key for a in answers if a.status == 200}
        not_streamed = await stream.wait_for(acked, STREAM_DEADLINE_S)
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await load.close()
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
        drain.cancel()

    ms = sorted(a.seconds * 1000 for a in answers)
    print(
        f"{len(answers)} requests: {sum(a.status == 200 for a in answers)} 200, "
        f"{sum(a.status == 429 for a in answers)} 429; p50 {ms[len(ms) // 2]:.0f} ms, "
        f"p99 {ms[int(len(ms) * 0.99)]:.0f} ms, max {ms[-1]:.0f} ms"
    )
    statuses = {a.status for a in answers}
    assert statuses <= {200, 429}, f"answers other than 200/429: {statuses - {200, 429}}"
    limited = [a for a in answers if a.status == 429]
    ok = [a for a in answers if a.status == 200]
    assert len(limited) >= len(answers) * 0.3, f"only {len(limited)} of {len(answers)} were 429"
    for a in limited:
        retry = a.headers.get("retry-after", "")
        header = a.headers.get("x-sentry-rate-limits", "")
        assert retry.isdigit() and int(retry) >= 1, f"Retry-After {retry!r}"
        match = RATE_LIMITS.match(header)
        assert match and match.group(1) == retry, f"X-Sentry-Rate-Limits {header!r}"
        # what sentry-python makes of it: every category held back for that long
        assert [c for c, _ in _parse_rate_limits(header)] == [None]

    # bounded answers: a 429 comes at once, an accepted event within the backlog budget
    # (0.5 s) plus slack for a busy machine — never the seconds of an unbounded queue
    slowest = max(a.seconds for a in answers)
    assert slowest < 2.5, f"slowest answer took {slowest:.2f} s"
    assert max(a.seconds for a in limited) < 1.5

    # it still commits about its capacity (admission does not starve it)
    assert len(ok) >= CAPACITY * SECONDS * 0.5, f"only {len(ok)} accepted in {SECONDS} s"
    assert len(ok) <= CAPACITY * (SECONDS + 1.5), f"{len(ok)} accepted: throttle not applied"

    missing = acked - stored(tmp_path / "relay" / "sxtriage.db")
    assert not missing, f"{len(missing)} events answered 2xx are not in SQLite"
    assert not not_streamed, (
        f"{len(not_streamed)} of {len(acked)} events answered 2xx never reached the "
        f"stream's reader within {STREAM_DEADLINE_S:.0f} s"
    )
