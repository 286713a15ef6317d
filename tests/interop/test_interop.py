"""Real SDKs and a real Spotlight against the relay (`make interop`).

Needs node + npm (installs @spotlightjs/spotlight, hono@4.12.25 and @sentry/node into a
cached temp dir) and, for Go, the Debian packages golang-go and
golang-github-getsentry-sentry-go-dev.  Each test skips with a reason when its tool is
missing.  gen_node.js / searchsvc.go are the generators that recorded tests/data/fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from sxtriage.models import Event, IssueDelta
from sxtriage.relay.client import RelayClient
from sxtriage.relay.server import RelayServer
from tests.fixtures_relay import recorded

pytestmark = pytest.mark.interop
HERE = Path(__file__).parent
NODE_DIR = Path(
    os.environ.get("SXTRIAGE_INTEROP_NODE", Path(tempfile.gettempdir()) / "sxtriage-interop-node")
)


def _npm(*packages: str) -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm not installed")
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    names = [
        p if p.count("@") == (1 if p.startswith("@") else 0) else p.rsplit("@", 1)[0]
        for p in packages
    ]
    missing = [n for n in names if not (NODE_DIR / "node_modules" / n).exists()]
    if missing:
        try:
            subprocess.run(
                ["npm", "i", "--no-audit", "--no-fund", *packages],
                cwd=NODE_DIR,
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"npm install failed: {type(exc).__name__}")
    return NODE_DIR


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until(check, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)


async def test_spotlight_tail_reads_our_stream(relay: RelayServer) -> None:
    root = _npm("@spotlightjs/spotlight", "hono@4.12.25")
    run_js = root / "node_modules/@spotlightjs/spotlight/dist/run.js"
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(run_js),
        "tail",
        "errors",
        "-p",
        str(relay.port),
        "-f",
        "json",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await asyncio.sleep(2)
        rec = next(r for r in recorded("node-sentry-node") if r.name == "04")
        async with httpx.AsyncClient() as c:
            assert (await c.post(relay.url + rec.path, content=rec.body)).status_code == 200
        found = None

        async def read() -> None:
            nonlocal found
            while proc.stdout is not None:
                line = await proc.stdout.readline()
                if not line:
                    return
                if line.startswith(b"{"):
                    found = json.loads(line)
                    return

        await asyncio.wait_for(read(), 10)
        assert found and found["event_id"] == "6b745ad56f6f4e7db33beefc5f0af27d"
        assert found["exception_type"] == "TypeError"
    finally:
        proc.kill()
        await proc.wait()


async def test_relay_client_reads_a_real_spotlight_sidecar() -> None:
    root = _npm("@spotlightjs/spotlight", "hono@4.12.25")
    port = _port()
    proc = subprocess.Popen(  # noqa: ASYNC220
        [
            "node",
            str(root / "node_modules/@spotlightjs/spotlight/dist/run.js"),
            "server",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deltas: list[IssueDelta] = []
    events: list[Event] = []
    client = RelayClient(url, timeout=5)
    task = None
    try:
        async with httpx.AsyncClient() as c:
            for _ in range(100):
                with contextlib.suppress(httpx.HTTPError):
                    if (await c.get(url + "/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            task = asyncio.create_task(client.run(deltas.append, events.append))
            await _until(lambda: client.health.ok)
            for rec in recorded("python-sentry-sdk"):
                r = await c.post(
                    url + "/stream",
                    content=rec.envelope,
                    headers={"Content-Type": "application/x-sentry-envelope"},
                )
                assert r.status_code == 200
        await _until(lambda: len(events) >= 4)
        assert client.spotlight is True
        issues = {i.id: i for d in deltas for i in d.upserts}
        assert len(issues) == 3 and all(i.service == "api" for i in issues.values())
        err = next(e for e in events if e.type == "error")
        assert {e.type for e in events} == {"error", "default", "transaction"}
        assert (await client.latest_event(issues[err.issue_id])) is not None
        trace = await client.trace("7c1a53b8428847aa962e3d5d5cada041")
        assert trace is not None and len(trace.spans) == 4
    finally:
        if task:
            task.cancel()
        await client.aclose()
        proc.kill()
        proc.wait()


async def test_node_sdk_to_relay(relay: RelayServer) -> None:
    root = _npm("@sentry/node")
    script = root / "gen_node.js"
    shutil.copy(HERE / "gen_node.js", script)
    proc = await asyncio.create_subprocess_exec("node", str(script), str(relay.port), cwd=root)
    assert await asyncio.wait_for(proc.wait(), 60) == 0
    async with httpx.AsyncClient() as c:
        for _ in range(100):
            issues = (await c.get(relay.url + "/local/issues/")).json()
            if len(issues) >= 3:
                break
            await asyncio.sleep(0.1)
    assert {i["service"] for i in issues} == {"web"}
    assert any(i["title"].startswith("TypeError") for i in issues)
    for _ in range(100):
        rows = await relay.store.query(
            "SELECT COUNT(*) FROM events WHERE type IN ('span', 'transaction')"
        )
        if rows[0][0]:
            break
        await asyncio.sleep(0.1)
    assert rows[0][0] >= 1  # @sentry/node 11 streams v2 spans (older: a transaction)


async def test_go_sdk_to_relay(relay: RelayServer, tmp_path: Path) -> None:
    if (
        not shutil.which("go")
        or not Path("/usr/share/gocode/src/github.com/getsentry/sentry-go").exists()  # noqa: ASYNC240
    ):
        pytest.skip("needs apt-get install golang-go golang-github-getsentry-sentry-go-dev")
    src = tmp_path / "gopath" / "src" / "searchsvc"
    src.mkdir(parents=True)
    shutil.copy(HERE / "searchsvc.go", src / "main.go")
    env = dict(
        os.environ,
        GO111MODULE="off",
        GOPATH=f"{tmp_path / 'gopath'}:/usr/share/gocode",
        GOCACHE=str(tmp_path / "gocache"),
    )
    subprocess.run(  # noqa: ASYNC221
        ["go", "build", "-o", str(tmp_path / "searchsvc"), str(src)],
        env=env,
        check=True,
        timeout=300,
    )
    proc = await asyncio.create_subprocess_exec(
        str(tmp_path / "searchsvc"),
        f"http://99998888777766665555444433332222@127.0.0.1:{relay.port}/4",
    )
    assert await asyncio.wait_for(proc.wait(), 60) == 0
    rows = await relay.store.query("SELECT type FROM events WHERE service='search'")
    assert {r[0] for r in rows} >= {"error", "transaction"}
