"""kill -9 a relay under load, restart it: every 2xx'd event is present and replayed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.fixtures_relay import recorded

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = next(r for r in recorded("node-sentry-node") if r.name == "04").envelope
ORIGINAL_ID = b"6b745ad56f6f4e7db33beefc5f0af27d"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from sxtriage.config import load_settings; "
        "from sxtriage.relay.server import run_cli; "
        f"sys.exit(run_cli(load_settings(cli={{'data_dir': {str(data_dir)!r}, "
        f"'relay_port': {port}}})))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    """Running (a zombie that its new parent has not reaped yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def _up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as c:
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if (await c.get(url + "/health")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"relay did not start (exit code {proc.poll()})")


async def _until(check: Callable[[], bool], what: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_kill_9_under_load_then_replay(tmp_path: Path) -> None:
    port = _port()
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / "data"
    proc = _start(port, data)
    acked: list[str] = []
    try:
        await _up(url, proc)
        stop = asyncio.Event()

        async def worker() -> None:
            async with httpx.AsyncClient(timeout=5) as c:
                while not stop.is_set():
                    eid = os.urandom(16).hex()
                    body = TEMPLATE.replace(ORIGINAL_ID, eid.encode())
                    try:
                        r = await c.post(url + "/api/2/envelope/?sentry_key=k", content=body)
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)
                        continue
                    if r.status_code == 200:
                        acked.append(eid)
                    else:  # 429 while the relay is over its capacity: back off a little
                        await asyncio.sleep(0.05)

        workers = [asyncio.create_task(worker()) for _ in range(8)]
        # the kill comes once the load is really going, however slow the machine is
        await _until(lambda: len(acked) > 40, "the load to get going (40 events 2xx)", 60)
        children = _children(proc.pid)
        assert children, "the relay runs its scrubbing in worker processes"
        proc.kill()  # SIGKILL while requests are in flight
        proc.wait(5)
        await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(*workers)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(acked) > 20, "the load did not get going"
    # The killed relay's scrubbing workers notice and exit instead of lingering.
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "orphaned relay workers"

    db = sqlite3.connect(data / "sxtriage.db")
    stored = {r[0] for r in db.execute("SELECT event_id FROM events")}
    db.close()
    assert set(acked) <= stored

    proc = _start(port, data)
    try:
        await _up(url, proc)
        seen: set[str] = set()
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=10)) as c,
            c.stream("GET", url + "/stream", headers={"Last-Event-ID": "0"}) as resp,
        ):
            deadline = time.monotonic() + 15
            async for line in resp.aiter_lines():
                if line.startswith("data: ["):
                    header, _items = json.loads(line[6:])
                    seen.add(header.get("event_id"))
                if set(acked) <= seen or time.monotonic() > deadline:
                    break
        assert set(acked) <= seen
    finally:
        proc.terminate()
        proc.wait(10)
