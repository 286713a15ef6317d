"""Overload: the relay at twice its sustainable rate, open loop, for 30 s.

`sxtriage relay` runs as its own process, read by a real TUI in another process
(`overload_tui.py`: `build_session` + `SxTriageApp` headless at 160×45, the relay's SSE
stream read by `RelayClient`, a key typed every 100 ms) and by a raw SSE reader that
counts envelopes; every event is a new issue (the relay's most expensive path).  In one
run, against the same relay:

1. **sustainable rate**: closed loop, 16 senders, each posting its next envelope as soon
   as the last is answered; the 2xx/s they get is the rate the relay sustains here;
2. **floor**: open loop at half that rate: the answer times of a relay that keeps up;
3. **overload**: open loop at 2× the sustainable rate for 30 s (requests leave on
   schedule whatever the answers take, as SDKs send; `openloop.py`): answer time
   p50/p99 (from the scheduled send), share of 2xx / 429 / anything else, the 2xx/s
   actually stored (goodput), the process tree's RSS, and that every 2xx'd event is in
   SQLite;
4. **recovery**: light probes right after the burst; the time until every probe is
   answered 2xx within the floor's normal latency again;
5. **the TUI meanwhile**: keystroke → handled → frame painted (p50/p99, floor vs
   overload), and every 2xx'd event shown: its issue (named by the event's exception
   type, the issue's title) in the TUI's feed, and how long after its 2xx it got there.

Ratios are against the floor and the sustainable rate of the same run.  Budgets
(issue 18): p99 ≤ 1 s with only 2xx or 429, RSS bounded, nothing 2xx'd lost, normal
latency back within 5 s; every 2xx'd event shown, keystroke ≤ 50 ms meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, percentile  # noqa: E402
from benchmarks.openloop import Answer, HttpLoad, closed_loop, open_loop  # noqa: E402
from benchmarks.overload_tui import TuiError, TuiProcess, keystrokes, shown_lag  # noqa: E402

SUSTAIN_SECONDS = float(os.environ.get("BENCH_SUSTAIN_SECONDS", "8"))
OVERLOAD_SECONDS = float(os.environ.get("BENCH_OVERLOAD_SECONDS", "30"))
FLOOR_SECONDS = 5.0
RECOVERY_SECONDS = 10.0
CONCURRENCY = 16
PLATFORMS = {1: "python", 2: "javascript", 3: "javascript", 4: "go"}
BUDGET_P99_S = 1.0
BUDGET_RECOVERY_S = 5.0
BUDGET_KEY_MS = 50.0
SHOW_DEADLINE_S = 60.0


def exception_type(n: int) -> str:
    return f"Overload{n:07d}Error"


def envelope(event_id: str, n: int, project: int) -> bytes:
    """A small error event whose exception type makes it a new issue."""
    event = {
        "event_id": event_id,
        "platform": PLATFORMS[project],
        "level": "error",
        "timestamp": time.time(),
        "exception": {"values": [{"type": exception_type(n), "value": "bench event"}]},
        "release": "bench@1.0.0",
        "environment": "production",
    }
    payload = json.dumps(event).encode()
    head = json.dumps({"event_id": event_id, "sent_at": "2030-01-01T00:00:00Z"}).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    return head + b"\n" + item + b"\n" + payload + b"\n"


class Requests:
    """Numbered new-issue envelopes; `make(n)` → (event id, path, body).  `types` maps each
    event id to its exception type (what names its issue in the TUI)."""

    def __init__(self, start: int, types: dict[str, str]) -> None:
        self.start = start
        self.types = types

    def make(self, n: int) -> tuple[str, str, bytes]:
        project = n % 4 + 1
        event_id = uuid.uuid4().hex
        self.types[event_id] = exception_type(self.start + n)
        body = envelope(event_id, self.start + n, project)
        return event_id, f"/api/{project}/envelope/?sentry_key=bench", body


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children (the scrubbing workers count), in MiB."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid:
                    pids.append(int(entry.name))
    total = 0
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


class Relay:
    """`sxtriage relay` in its own process group, stdout drained."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self._drain: asyncio.Task[None] | None = None

    async def start(self) -> str:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "sxtriage.cli", "--data-dir", str(self.data_dir), "relay", "--port", "0"),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **(self.env or {})},
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = (await asyncio.wait_for(self.proc.stdout.readline(), 60)).decode()
        if not line.startswith("relay listening on "):
            raise RuntimeError(f"relay did not start: {line.strip()!r}")
        self.url = line.split()[3]
        self._drain = asyncio.create_task(self._read(self.proc.stdout))
        return self.url

    @staticmethod
    async def _read(stream: asyncio.StreamReader) -> None:
        while await stream.read(65536):
            pass

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 30)
        if self._drain is not None:
            self._drain.cancel()


class Subscriber:
    """One SSE reader on GET /stream (a fast TUI): counts the envelopes it is sent."""

    MARK = b"event: application/x-sentry-envelope\n"

    def __init__(self) -> None:
        self.envelopes = 0

    async def run(self, url: str, stop: asyncio.Event) -> None:
        host, _, port = url.split("://", 1)[1].partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"GET /stream HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        tail = b""
        try:
            while not stop.is_set():
                try:
                    chunk = await asyncio.wait_for(reader.read(1 << 16), 0.5)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                data = tail + chunk
                self.envelopes += data.count(self.MARK)
                tail = data[-(len(self.MARK) - 1) :]
        finally:
            writer.close()


def summarize(answers: list[Answer], seconds: float) -> dict[str, Any]:
    """Answer times, statuses, and the 2xx rate over the time the answers really took
    (at least `seconds`: a relay that falls behind answers after the schedule ends)."""
    ms = [a.seconds * 1000 for a in answers]
    if answers:
        span = max(a.answered for a in answers) - min(a.scheduled for a in answers)
        seconds = max(seconds, span)
    ok = sum(1 for a in answers if 200 <= a.status < 300)
    limited = [a for a in answers if a.status == 429]
    return {
        "requests": len(answers),
        "2xx": ok,
        "429": len(limited),
        "other": len(answers) - ok - len(limited),
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms, default=0.0), 1),
        "over_1s": sum(1 for x in ms if x > 1000),
        "goodput_per_s": round(ok / seconds, 1),
        "retry_after_ok": all(a.headers.get("retry-after", "").isdigit() for a in limited),
        "rate_limits_ok": all(
            a.headers.get("x-sentry-rate-limits", "").split(":")[0].isdigit() for a in limited
        ),
    }


def stored_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT event_id FROM events")}
    finally:
        conn.close()


async def recovery(
    load: HttpLoad, requests: Requests, rate: float, normal_ms: float, burst_end: float
) -> tuple[float | None, list[Answer]]:
    """Probe right after the burst; seconds from its end to the first probe from which a
    whole second of probes are 2xx within `normal_ms` (None: not within RECOVERY_SECONDS).
    A later lone slow probe is the machine's noise, as in the floor, not the burst."""
    answers = await open_loop(load, rate, RECOVERY_SECONDS, requests.make)
    answers.sort(key=lambda a: a.scheduled)
    good = [200 <= a.status < 300 and a.seconds * 1000 <= normal_ms for a in answers]
    last = answers[-1].scheduled if answers else 0.0
    for i, a in enumerate(answers):
        if a.scheduled + 1.0 > last:
            break
        j = i
        while j < len(answers) and answers[j].scheduled < a.scheduled + 1.0 and good[j]:
            j += 1
        if j == len(answers) or answers[j].scheduled >= a.scheduled + 1.0:
            return max(0.0, a.scheduled - burst_end), answers
    return None, answers


async def _measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sxtriage-bench-overload-") as tmp:
        relay = Relay(Path(tmp) / "relay")
        url = await relay.start()
        stop = asyncio.Event()
        subscriber = Subscriber()
        sub = asyncio.create_task(subscriber.run(url, stop))
        tui = TuiProcess(url, Path(tmp) / "tui", Path(tmp) / "tui.json")
        load = HttpLoad(url, max_connections=512, timeout=60)
        types: dict[str, str] = {}
        try:
            await tui.start()
            await closed_loop(load, CONCURRENCY, 2.0, Requests(0, types).make)  # warm-up
            rss_idle = tree_rss_mb(relay.pid)
            tui_rss_idle = tree_rss_mb(tui.pid)
            closed = await closed_loop(
                load, CONCURRENCY, SUSTAIN_SECONDS, Requests(10**6, types).make
            )
            sustainable = summarize(closed, SUSTAIN_SECONDS)
            rate = sustainable["goodput_per_s"]
            print(f"sustainable: {rate:.0f} new issues/s (closed loop, {CONCURRENCY} senders)")
            floor_window = (time.time(), time.time() + FLOOR_SECONDS)
            floor_answers = await open_loop(
                load, rate / 2, FLOOR_SECONDS, Requests(2 * 10**6, types).make
            )
            floor = summarize(floor_answers, FLOOR_SECONDS)
            rss_peak = tui_rss_peak = 0.0
            sampling = True

            async def sample_rss() -> None:
                nonlocal rss_peak, tui_rss_peak
                while sampling:
                    rss_peak = max(rss_peak, tree_rss_mb(relay.pid))
                    tui_rss_peak = max(tui_rss_peak, tree_rss_mb(tui.pid))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample_rss())
            print(
                f"overload: {2 * rate:.0f}/s open loop for {OVERLOAD_SECONDS:.0f} s …", flush=True
            )
            burst_start = time.time()
            burst = asyncio.create_task(
                open_loop(load, 2 * rate, OVERLOAD_SECONDS, Requests(3 * 10**6, types).make)
            )
            await asyncio.sleep(OVERLOAD_SECONDS)
            burst_end = burst_start + OVERLOAD_SECONDS
            normal_ms = max(2 * floor["p99_ms"], floor["p99_ms"] + 20)
            recovered, probes = await recovery(
                load, Requests(4 * 10**6, types), rate / 4, normal_ms, burst_end
            )
            overload_answers = await burst
            sampling = False
            await sampler
            overload = summarize(overload_answers, OVERLOAD_SECONDS)
            health = await _health(url)
            for _ in range(100):  # the stream may still be writing the last commits
                if subscriber.envelopes >= health.get("events", 0):
                    break
                await asyncio.sleep(0.05)
            # every committed event (the warm-up's too) is a new issue the TUI should show
            committed = stored_ids(Path(tmp) / "relay" / "sxtriage.db")
            try:
                seen = await tui.result(len(committed), SHOW_DEADLINE_S)
            except TuiError as exc:  # the relay's numbers stand; the TUI's verdicts fail
                seen = {"error": str(exc), "presses": [], "shown": {}, "stray_actions": 0}
        finally:
            stop.set()
            await load.close()
            with contextlib.suppress(Exception):
                await sub
            await tui.kill()
            await relay.stop()
        acked = {
            a.key
            for a in [*closed, *floor_answers, *overload_answers, *probes]
            if 200 <= a.status < 300
        }
        stored = stored_ids(Path(tmp) / "relay" / "sxtriage.db")
    shown_at = {title.partition(":")[0]: at for title, at in seen["shown"].items()}
    not_shown = sorted(types[k] for k in acked if types[k] not in shown_at)
    return {
        "machine": machine(),
        "sustainable_per_s": rate,
        "sustainable": sustainable,
        "floor": floor,
        "overload_rate_per_s": round(2 * rate, 1),
        "overload": overload,
        "rss_idle_mb": round(rss_idle, 1),
        "rss_peak_mb": round(rss_peak, 1),
        "tui_rss_idle_mb": round(tui_rss_idle, 1),
        "tui_rss_peak_mb": round(tui_rss_peak, 1),
        "acked": len(acked),
        "lost": len(acked - stored),
        "streamed": subscriber.envelopes,
        "recovery_s": None if recovered is None else round(recovered, 2),
        "normal_ms": normal_ms,
        "health": health,
        "keys_floor": keystrokes(seen["presses"], *floor_window),
        "keys_overload": keystrokes(seen["presses"], burst_start, burst_end),
        "keys_stray_actions": seen["stray_actions"],
        "shown": len(acked) - len(not_shown),
        "not_shown": len(not_shown),
        "not_shown_sample": not_shown[:5],
        "shown_caught_up_s": seen.get("caught_up_s"),
        "tui_error": seen.get("error"),
        "shown_floor": shown_lag(_acked_at(floor_answers, types), shown_at),
        "shown_overload": shown_lag(_acked_at(overload_answers, types), shown_at),
    }


def _acked_at(answers: list[Answer], types: dict[str, str]) -> list[tuple[str, float]]:
    return [(types[a.key], a.answered) for a in answers if 200 <= a.status < 300]


async def _health(url: str) -> dict[str, Any]:
    host = url.split("://", 1)[1]
    name, _, port = host.partition(":")
    try:
        reader, writer = await asyncio.open_connection(name, int(port))
        writer.write(f"GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        raw = await reader.read()
        writer.close()
        return json.loads(raw.split(b"\r\n\r\n", 1)[1])
    except (OSError, ValueError, IndexError):
        return {}


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def run() -> dict[str, Any]:
    print(f"machine: {machine()}")
    r = asyncio.run(_measure())
    floor, over = r["floor"], r["overload"]
    share = over["requests"] or 1
    p99_ok = over["p99_ms"] <= BUDGET_P99_S * 1000 and over["other"] == 0
    rec = r["recovery_s"]
    rows = [
        ("", "floor (½ rate)", "overload (2×)", "ratio"),
        ("offered /s", f"{r['sustainable_per_s'] / 2:.0f}", f"{r['overload_rate_per_s']:.0f}",
         "4.0×"),
        ("answer p50 ms", f"{floor['p50_ms']:.1f}", f"{over['p50_ms']:.1f}",
         f"{over['p50_ms'] / max(floor['p50_ms'], 0.1):.1f}×"),
        ("answer p99 ms", f"{floor['p99_ms']:.1f}", f"{over['p99_ms']:.1f}",
         f"{over['p99_ms'] / max(floor['p99_ms'], 0.1):.1f}×"),
        ("answered > 1 s", f"{floor['over_1s']}", f"{over['over_1s']}", ""),
        ("2xx / 429 / other", f"{floor['2xx']}/{floor['429']}/{floor['other']}",
         f"{over['2xx']}/{over['429']}/{over['other']}", ""),
        ("2xx share", "", f"{over['2xx'] / share:.1%}", ""),
        ("stored 2xx/s (goodput)", f"{floor['goodput_per_s']:.0f}", f"{over['goodput_per_s']:.0f}",
         f"{over['goodput_per_s'] / max(r['sustainable_per_s'], 1):.2f}× sustainable"),
        ("RSS MB (process tree)", f"{r['rss_idle_mb']:.0f}", f"{r['rss_peak_mb']:.0f}",
         f"{r['rss_peak_mb'] / max(r['rss_idle_mb'], 1):.2f}×"),
    ]  # fmt: skip
    kf, ko = r["keys_floor"], r["keys_overload"]
    sf, so = r["shown_floor"], r["shown_overload"]
    rows += [
        ("TUI RSS MB", f"{r['tui_rss_idle_mb']:.0f}", f"{r['tui_rss_peak_mb']:.0f}",
         f"{r['tui_rss_peak_mb'] / max(r['tui_rss_idle_mb'], 1):.2f}×"),
        ("TUI: 2xx → shown p50 ms", f"{sf['p50_ms']:.0f}", f"{so['p50_ms']:.0f}", ""),
        ("TUI: 2xx → shown p99 ms", f"{sf['p99_ms']:.0f}", f"{so['p99_ms']:.0f}", ""),
        ("TUI: keys typed", f"{kf['count']}", f"{ko['count']}", ""),
        ("key → handled p99 ms", f"{kf['handled_p99_ms']:.1f}", f"{ko['handled_p99_ms']:.1f}",
         ""),
        ("key → painted p50 ms", f"{kf['p50_ms']:.1f}", f"{ko['p50_ms']:.1f}",
         f"{ko['p50_ms'] / max(kf['p50_ms'], 0.1):.1f}×"),
        ("key → painted p99 ms", f"{kf['p99_ms']:.1f}", f"{ko['p99_ms']:.1f}",
         f"{ko['p99_ms'] / max(kf['p99_ms'], 0.1):.1f}×"),
        ("key → painted max ms", f"{kf['max_ms']:.1f}", f"{ko['max_ms']:.1f}", ""),
    ]  # fmt: skip
    for row in rows:
        print(f"{row[0]:<24}{row[1]:>16}{row[2]:>16}{row[3]:>22}")
    print(
        f"sustainable {r['sustainable_per_s']:.0f} new issues/s; 429s carry Retry-After "
        f"{_verdict(over['retry_after_ok'])}, "
        f"X-Sentry-Rate-Limits {_verdict(over['rate_limits_ok'])}"
    )
    lost = r["lost"]
    print(f"every 2xx'd event stored: {r['acked']} acked, {lost} missing — {_verdict(not lost)}")
    streamed = r["streamed"] >= r["acked"]
    print(f"and streamed to the subscriber: {r['streamed']} envelopes — {_verdict(streamed)}")
    if r["tui_error"]:
        print(f"TUI: {r['tui_error']}")
    shown = not r["not_shown"] and not r["tui_error"]
    caught = r["shown_caught_up_s"]
    print(
        f"every 2xx'd event shown in the TUI's feed: {r['shown']} of {r['acked']}"
        + ("" if shown else f" (missing e.g. {', '.join(r['not_shown_sample'])})")
        + ("" if caught is None else f", the last {caught:.1f} s after the raw SSE reader's")
        + f" — {_verdict(shown)}"
    )
    keys_ok = ko["count"] > 0 and not ko["unpainted"] and ko["p99_ms"] <= BUDGET_KEY_MS
    missed = f", {ko['unpainted']} never painted" if ko["unpainted"] else ""
    print(
        f"keystroke → painted during the burst: p50 {ko['p50_ms']:.1f} ms, p99 "
        f"{ko['p99_ms']:.1f} ms of {ko['count']} keys{missed} "
        f"(≤ {BUDGET_KEY_MS:.0f} ms): {_verdict(keys_ok)}"
    )
    print(f"p99 ≤ {BUDGET_P99_S:.0f} s with only 2xx/429: {_verdict(p99_ok)}")
    rec_text = "never (within 10 s)" if rec is None else f"{rec:.2f} s"
    print(
        f"back to normal latency (≤ {r['normal_ms']:.0f} ms, 2xx) after the burst: {rec_text} — "
        f"{_verdict(rec is not None and rec <= BUDGET_RECOVERY_S)}"
    )
    r["verdicts"] = {
        "p99_le_1s_only_2xx_429": p99_ok,
        "nothing_lost": not lost,
        "all_streamed": streamed,
        "recovered_le_5s": rec is not None and rec <= BUDGET_RECOVERY_S,
        "all_shown_in_tui": shown,
        "keystroke_p99_le_50ms": keys_ok,
    }
    backlog = r["health"].get("backlog")
    if backlog:
        print(f"relay /health after the burst: {json.dumps(backlog)}")
    return r


if __name__ == "__main__":
    run()
