"""Sentry polling cost: requests and bytes per idle poll, cold load, delta processing.

Runs the simulator in-process on a loopback port and polls it with the real client and
poller.  Cold-load time includes the simulator's own work (same process, same loop).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import tracemalloc
from typing import Any

import httpx

from sxtriage.config import Settings, default_services
from sxtriage.sentry import wire
from sxtriage.sentry.client import SentryClient
from sxtriage.sentry.poller import SentryPoller
from sxtriage.sim.server import SimServer

SIZES = (100, 1_000, 10_000)


async def _idle(n: int) -> dict[str, Any]:
    async with SimServer(n_issues=n, seed=11) as server:
        client = SentryClient(server.url, "scenextras", "bench", services=default_services())
        async with client:
            poller = SentryPoller(client, Settings(), lambda d: None)
            started = time.perf_counter()
            await poller.poll_now()
            cold_s = time.perf_counter() - started
            cold_requests = len(server.requests)
            idle_requests, idle_bytes = [], []
            for _ in range(5):
                before = len(server.requests)
                await poller.poll_now()
                new = server.requests[before:]
                idle_requests.append(len(new))
                idle_bytes.append(sum(r.bytes for r in new))
    return {
        "open_issues": n,
        "cold_load_s": round(cold_s, 3),
        "cold_requests": cold_requests,
        "idle_requests_per_poll": max(idle_requests),
        "idle_body_bytes_per_poll": max(idle_bytes),
    }


async def _cold_memory(n: int) -> float:
    async with SimServer(n_issues=n, seed=12) as server:
        client = SentryClient(server.url, "scenextras", "bench", services=default_services())
        async with client:
            kept: list[Any] = []
            poller = SentryPoller(client, Settings(), lambda d: kept.extend(d.upserts))
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            await poller.poll_now()
            # what the client side retains: the issues handed to the feed + poller state
            retained = tracemalloc.get_traced_memory()[0] - base
            tracemalloc.stop()
    return round(retained / 1e6, 1)


async def _delta_processing() -> dict[str, float]:
    async with (
        SimServer(n_issues=1_000, seed=13) as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        resp = await http.get(
            "/api/0/organizations/scenextras/issues/", params={"limit": 100, "query": ""}
        )
        body = resp.content
    client = SentryClient("http://127.0.0.1:9", "scenextras", None, services=default_services())
    poller = SentryPoller(client, Settings(), lambda d: None)
    timings = []
    for round_ in range(60):
        raw = json.loads(body)
        for item in raw:  # every issue changed since the previous poll
            item["count"] = str(int(item["count"]) + round_ + 1)
        data = json.dumps(raw).encode()
        started = time.perf_counter()
        issues = client._items(json.loads(data), wire.WireIssue, "issues/", client._to_issue)
        changed = poller.process(issues)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(changed) == 100
    await client.aclose()
    return {
        "changed_issues": 100,
        "median_ms": round(statistics.median(timings[10:]), 2),
        "p95_ms": round(sorted(timings[10:])[int(len(timings[10:]) * 0.95) - 1], 2),
        "bytes": len(body),
    }


async def _main() -> dict[str, Any]:
    rows = [await _idle(n) for n in SIZES]
    memory = await _cold_memory(10_000)
    delta = await _delta_processing()
    return {"idle": rows, "cold_load_10k_retained_mb": memory, "delta_100": delta}


def run() -> dict[str, Any]:
    result = asyncio.run(_main())
    head = ("open issues", "cold load s", "cold reqs", "idle reqs", "idle bytes")
    print(" ".join(f"{h:>12}" for h in head))
    for row in result["idle"]:
        print(
            f"{row['open_issues']:>12} {row['cold_load_s']:>12} {row['cold_requests']:>12} "
            f"{row['idle_requests_per_poll']:>12} {row['idle_body_bytes_per_poll']:>12}"
        )
    print(f"cold load of 10k issues retains {result['cold_load_10k_retained_mb']} MB client-side")
    d = result["delta_100"]
    verdict = "ok" if d["median_ms"] <= 20 else "OVER BUDGET"
    print(
        f"poll with 100 changed issues ({d['bytes']} bytes): parse+validate+diff "
        f"median {d['median_ms']} ms, p95 {d['p95_ms']} ms (budget 20 ms: {verdict})"
    )
    return result


if __name__ == "__main__":
    run()
