"""Memory: RSS of the TUI's in-memory state with 10,000 issues + 50,000 events.

Each side runs in a fresh subprocess so the numbers are not polluted by each other:
- ours: the feed index (10k issues through IssueDelta), the correlator and the alert
  engine fed 50k events (traces shared across services, releases), as the TUI holds them;
- peer: a Textual DataTable holding the same 10k rows in a headless app — what a
  DataTable-based feed holds for the rows alone, before any event.
RSS is measured above each subprocess's own baseline after imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.common import machine, median_spread

ROOT = Path(__file__).resolve().parent.parent
N_ISSUES = 10_000
N_EVENTS = 50_000
REPEAT = 3

OURS = r"""
import gc, json, time, datetime as dt
from benchmarks.common import rss_mb
from sxtriage.config import Settings
from sxtriage.feed import Feed
from sxtriage.insights.correlate import Correlator
from sxtriage.insights.alerts import AlertEngine
from sxtriage.models import Event, Issue, IssueDelta, Source, Level
N_ISSUES, N_EVENTS = {n_issues}, {n_events}
gc.collect(); base = rss_mb()
services = ["api", "web", "mobile", "search"]
now = dt.datetime.now(dt.UTC)
issues = [Issue(source=Source.SENTRY, id=str(i), service=services[i % 4],
                short_id=f"{{services[i % 4].upper()}}-{{i:X}}",
                title=f"Error {{i}}: something failed in module {{i % 97}}",
                culprit=f"app.module{{i % 97}} in handler", level=Level.ERROR,
                count=i % 500, user_count=i % 50, last_seen=now, first_seen=now)
          for i in range(N_ISSUES)]
t0 = time.perf_counter()
feed = Feed(services=services)
feed.apply(IssueDelta(source=Source.SENTRY, upserts=issues))
del issues
settings = Settings()
alerts, _ = AlertEngine.from_settings(settings)
corr = Correlator()
for j in range(N_EVENTS):
    svc = services[j % 4]
    ev = Event(event_id=f"{{j:032x}}", service=svc, title=f"Error {{j % N_ISSUES}}",
               trace_id=f"{{j // 3:032x}}", release=f"{{svc}}@1.{{j // 10000}}.0",
               environment="production", level=Level.ERROR)
    key = (Source.SENTRY, str(j % N_ISSUES))
    corr.observe_event(ev, key)
    alerts.observe_event(ev, key)
elapsed = time.perf_counter() - t0
gc.collect()
print(json.dumps({{"rss_mb": rss_mb() - base, "build_s": elapsed}}))
"""

PEER = r"""
import asyncio, gc, json, time
from benchmarks.common import rss_mb
from textual.app import App
from textual.widgets import DataTable
N_ISSUES = {n_issues}
class T(App):
    def compose(self):
        yield DataTable()
async def main():
    app = T()
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        gc.collect(); base = rss_mb()
        t0 = time.perf_counter()
        table = app.query_one(DataTable)
        for c in ("L", "ID", "SVC", "TITLE", "EVENTS", "USERS", "LAST"):
            table.add_column(c)
        table.add_rows([("E", f"API-{{i:X}}", "api",
                         f"Error {{i}}: something failed in module {{i % 97}}",
                         str(i % 500), str(i % 50), "1m") for i in range(N_ISSUES)])
        await pilot.pause()
        elapsed = time.perf_counter() - t0
        gc.collect()
        print(json.dumps({{"rss_mb": rss_mb() - base, "build_s": elapsed}}))
asyncio.run(main())
"""


def _measure(code: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> dict[str, object]:
    ours_code = OURS.format(n_issues=N_ISSUES, n_events=N_EVENTS)
    peer_code = PEER.format(n_issues=N_ISSUES)
    feed_code = OURS.format(n_issues=N_ISSUES, n_events=0)
    ours: list[dict[str, float]] = []
    feed: list[dict[str, float]] = []
    peer: list[dict[str, float]] = []
    for _ in range(REPEAT):
        ours.append(_measure(ours_code))
        feed.append(_measure(feed_code))
        peer.append(_measure(peer_code))
    o = median_spread([r["rss_mb"] for r in ours])
    f = median_spread([r["rss_mb"] for r in feed])
    p = median_spread([r["rss_mb"] for r in peer])
    print(f"machine: {machine()}")
    print(f"{'':44} {'RSS MiB (median, min-max)':>28}")
    print(
        f"{'ours: 10k issues + 50k events (feed+corr+alerts)':44} "
        f"{o['median']:>10.1f} ({o['min']:.1f}-{o['max']:.1f})"
    )
    print(
        f"{'ours: feed index alone, 10k issues':44} "
        f"{f['median']:>10.1f} ({f['min']:.1f}-{f['max']:.1f})"
    )
    print(
        f"{'peer: Textual DataTable, 10k rows only':44} "
        f"{p['median']:>10.1f} ({p['min']:.1f}-{p['max']:.1f})"
    )
    ratio = o["median"] / p["median"] if p["median"] else float("nan")
    feed_ratio = f["median"] / p["median"] if p["median"] else float("nan")
    print(f"ratio feed/DataTable (same 10k rows): {feed_ratio:.2f}x")
    print(f"ratio ours+50k events/DataTable: {ratio:.2f}x")
    return {
        "ours_rss_mb": o,
        "ours_feed_only_rss_mb": f,
        "peer_datatable_rss_mb": p,
        "ratio": round(ratio, 3),
        "feed_ratio": round(feed_ratio, 3),
        "issues": N_ISSUES,
        "events": N_EVENTS,
        "ours_build_s": median_spread([r["build_s"] for r in ours]),
        "machine": machine(),
    }


if __name__ == "__main__":
    run()
