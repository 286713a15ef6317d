"""Relay vs Spotlight sidecar, side by side, same load generator, same envelopes.

Each target runs as its own process; the generator (aiohttp, concurrency 16) posts
7 KB sentry-sdk event envelopes, each with a fresh event id (our relay dedupes by id),
while one SSE subscriber on `GET /stream` counts deliveries and POST→stream latency.
Our relay runs with normalization + PII scrubbing + SQLite commit on (its defaults).
Spotlight is installed with `npm i @spotlightjs/spotlight hono@4.12.25` into a temp
dir; when npm or node is not available its column is skipped with a note.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "fixtures" / "python-sentry-sdk" / "01.envelope"
ORIGINAL_ID = "28c25c11a89e4a6699d4212724da635a"
DURATION = float(os.environ.get("BENCH_SECONDS", "6"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
SPOTLIGHT_DIR = Path(
    os.environ.get("SPOTLIGHT_DIR", Path(tempfile.gettempdir()) / "sxtriage-spotlight")
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children (the relay's scrubbing workers count)."""
    total = 0
    pids = [pid]
    with contextlib.suppress(Exception):
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
        )
        pids += [int(p) for p in out.stdout.split()]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


async def _wait_up(url: str, within: float = 30) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with s.get(url + "/health") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def _drive(url: str, path: str) -> dict[str, Any]:
    template = FIXTURE.read_bytes()
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    delivered = 0
    accepted = errors = 0
    stop = asyncio.Event()

    async def subscribe(ready: asyncio.Event) -> None:
        nonlocal delivered
        async with aiohttp.ClientSession() as s, s.get(url + "/stream", timeout=None) as r:
            ready.set()
            async for raw in r.content:
                if not raw.startswith(b"data: "):
                    continue
                t = time.perf_counter()
                data = raw[6:]
                i = data.find(b'"event_id":"')
                if i < 0:
                    continue
                eid = data[i + 12 : i + 44].decode()
                start = sent_at.pop(eid, None)
                if start is not None:
                    delivered += 1
                    latencies.append((t - start) * 1000)

    async def worker(s: aiohttp.ClientSession) -> None:
        nonlocal accepted, errors
        while not stop.is_set():
            eid = os.urandom(16).hex()
            body = template.replace(ORIGINAL_ID.encode(), eid.encode())
            sent_at[eid] = time.perf_counter()
            try:
                async with s.post(
                    url + path,
                    data=body,
                    headers={
                        "Content-Type": "application/x-sentry-envelope",
                        "X-Sentry-Auth": "Sentry sentry_key=0123456789abcdef0123456789abcdef",
                    },
                ) as r:
                    await r.read()
                    if r.status // 100 == 2:
                        accepted += 1
                    else:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1

    ready = asyncio.Event()
    sub = asyncio.create_task(subscribe(ready))
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.3)
    conn = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=conn) as s:
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(worker(s)) for _ in range(CONCURRENCY)]
        await asyncio.sleep(DURATION)
        stop.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    await asyncio.sleep(1.0)  # let the stream drain
    sub.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await sub
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else 0.0

    return {
        "accepted_per_s": accepted / elapsed,
        "delivered_per_s": delivered / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "errors": errors,
        "accepted": accepted,
    }


def _start_relay(port: int, data_dir: str) -> subprocess.Popen[bytes]:
    code = (
        "import sys; from sxtriage.config import load_settings; "
        "from sxtriage.relay.server import run_cli; "
        f"sys.exit(run_cli(load_settings(cli={{'data_dir': {data_dir!r}, 'relay_port': {port}}})))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _spotlight_entry() -> Path | None:
    entry = SPOTLIGHT_DIR / "node_modules" / "@spotlightjs" / "spotlight" / "dist" / "run.js"
    if entry.exists():
        return entry
    if not shutil.which("npm") or not shutil.which("node"):
        print("spotlight: node/npm not found; skipping the Spotlight column")
        return None
    SPOTLIGHT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"spotlight: npm i @spotlightjs/spotlight hono@4.12.25 in {SPOTLIGHT_DIR} …", flush=True)
    try:
        subprocess.run(
            ["npm", "i", "--no-audit", "--no-fund", "@spotlightjs/spotlight", "hono@4.12.25"],
            cwd=SPOTLIGHT_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"spotlight: npm install failed ({type(exc).__name__}); skipping its column")
        return None
    return entry if entry.exists() else None


async def _measure(name: str, proc: subprocess.Popen[bytes], url: str, path: str) -> dict[str, Any]:
    try:
        await _wait_up(url)
        result = await _drive(url, path)
        result["rss_mb"] = _tree_rss_mb(proc.pid)
        return result
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()


def _best(a: dict[str, Any] | None, b: dict[str, Any]) -> dict[str, Any]:
    return b if a is None or b["accepted_per_s"] > a["accepted_per_s"] else a


def run() -> dict[str, Any]:
    """Targets alternate for ROUNDS rounds (A B A B …); each keeps its best round, so
    a burst of unrelated load on the machine does not decide the ratio."""
    results: dict[str, Any] = {}
    entry = _spotlight_entry()
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            port = _free_port()
            proc = _start_relay(port, tmp)
            got = asyncio.run(
                _measure("sxtriage", proc, f"http://127.0.0.1:{port}", "/api/1/envelope/")
            )
            results["sxtriage"] = _best(results.get("sxtriage"), got)
        if entry is not None:
            port = _free_port()
            proc = subprocess.Popen(
                ["node", str(entry), "server", "-p", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            got = asyncio.run(_measure("spotlight", proc, f"http://127.0.0.1:{port}", "/stream"))
            results["spotlight"] = _best(results.get("spotlight"), got)
    _print(results)
    return results


def _print(results: dict[str, Any]) -> None:
    cols = list(results)
    rows = [
        ("accepted envelopes/s", "accepted_per_s", "{:.0f}"),
        ("delivered to SSE/s", "delivered_per_s", "{:.0f}"),
        ("p50 POST→stream ms", "p50_ms", "{:.1f}"),
        ("p99 POST→stream ms", "p99_ms", "{:.1f}"),
        ("RSS MB (process tree)", "rss_mb", "{:.0f}"),
        ("errors", "errors", "{}"),
    ]
    print(
        f"{'':26}" + "".join(f"{c:>14}" for c in cols) + ("       ratio" if len(cols) == 2 else "")
    )
    for label, key, fmt in rows:
        line = f"{label:26}" + "".join(f"{fmt.format(results[c][key]):>14}" for c in cols)
        if len(cols) == 2 and results[cols[1]][key]:
            line += f"{results[cols[0]][key] / results[cols[1]][key]:>11.2f}x"
        print(line)
    print(
        f"(concurrency {CONCURRENCY}, {DURATION:.0f} s per target, best of {ROUNDS} "
        "alternating rounds, 7 KB sentry-sdk envelopes)"
    )


if __name__ == "__main__":
    run()
