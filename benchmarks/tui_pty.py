"""The whole `sxtriage` process in a pseudo-terminal: exec → the first frame that shows the
cached feed (10,000 issues), and → the status line counting the whole cache; against the
floor (`python -c pass`) and a DataTable app reading the same cache, same run.

The TUI runs as a user starts it (`python -m sxtriage.cli --data-dir DIR`, a real pty of
160×45, its own HOME), on a Sentry org whose URL is a closed loopback port and a relay
URL that is closed too: nothing answers, nothing waits on the network, so the time is
the process's own (imports, config, store, cache, first frame).  Bytecode is cached in a
temporary prefix after a first run, as an installed package has it.  The frame is read
from the pty as a terminal gets it; text is matched once escape sequences are dropped.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from fcntl import ioctl
from pathlib import Path

_ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<>=$ ]*[ -/]*[@-~]"  # CSI: colours, cursor moves, modes
    rb"|\x1b[PX^_].*?\x1b\\"  # DCS and the other string controls
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1b[@-_]"
)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tui_env(home: Path) -> dict[str, str]:
    """A user with a Sentry org and a relay URL, neither of them answering."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "SXTRIAGE_"))},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
        "XDG_DATA_HOME": str(home / ".data"),
        "TERM": "xterm-256color",
        "COLUMNS": "160",
        "LINES": "45",
        "SENTRY_URL": f"http://127.0.0.1:{closed_port()}",
        "SENTRY_ORG": "bench",
        "SENTRY_AUTH_TOKEN": "sntrys_bench",
        "SXTRIAGE_RELAY_URL": f"http://127.0.0.1:{closed_port()}",
    }


def run_in_pty(
    argv: Sequence[str],
    env: dict[str, str],
    marks: Sequence[bytes],
    *,
    size: tuple[int, int] = (160, 45),
    timeout: float = 30.0,
    quit_keys: bytes = b"\x11",
) -> list[float]:
    """Start `argv` on a new pty; seconds from exec until each of `marks` has shown on the
    screen (in order; escape sequences dropped).  Then it is asked to quit (ctrl+q), and
    killed if it has not within 5 s.  A mark not seen before `timeout` raises TimeoutError."""
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen: list[float] = []
    raw = b""
    text = b""
    try:
        deadline = start + timeout
        while len(seen) < len(marks):
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{marks[len(seen)]!r} not on screen after {timeout:.0f} s")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the process ended
                raise TimeoutError(
                    f"the process ended: {_ESCAPES.sub(b'', raw)[-400:]!r}"
                ) from None
            now = time.perf_counter()
            raw += chunk
            text = _ESCAPES.sub(b"", raw)
            while len(seen) < len(marks) and marks[len(seen)] in text:
                seen.append(now - start)
        os.write(master, quit_keys)
        _drain(master, time.perf_counter() + 5)  # it writes as it quits: keep reading
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return seen


def _drain(master: int, deadline: float) -> None:
    """Read the pty until the process closes it (or the deadline)."""
    while (left := deadline - time.perf_counter()) > 0:
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            continue
        try:
            if not os.read(master, 1 << 16):
                return
        except OSError:  # EIO: the other side is closed
            return


def exec_floor(env: dict[str, str]) -> float:
    """`python -c pass` on a pty, exec → exit, seconds."""
    master, slave = pty.openpty()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], stdin=slave, stdout=slave, stderr=slave, env=env)
    elapsed = time.perf_counter() - start
    os.close(slave)
    os.close(master)
    return elapsed


RUNS = 5
PEER = """
import json, sqlite3, sys
from textual.app import App
from textual.widgets import DataTable
db = sqlite3.connect(sys.argv[1])
rows = [json.loads(d) for (d,) in db.execute(
    "SELECT data FROM issues ORDER BY last_seen DESC, rowid DESC")]
class Peer(App):
    def compose(self):
        yield DataTable()
    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("level", "short_id", "service", "title", "events", "users",
                          "last", "assignee")
        for r in rows:
            table.add_row(r["level"], r["short_id"], r["service"], r["title"],
                          str(r["count"]), str(r["user_count"]), r["last_seen"],
                          r.get("assignee") or "", key=r["id"])
Peer().run()
"""
"""The peer: Textual's DataTable app with the cache's rows added on mount."""


async def write_cache(path: Path, count: int) -> None:
    """A store whose issue cache holds `count` sample issues, as the session writes them."""
    from sxtriage.core.store_io import cache_ops
    from sxtriage.store import Store
    from tests.fixtures_ui import make_issues

    store = Store(path)
    await store.write_many(cache_ops(make_issues(count)))
    store.close()


def measure_process(tmp: Path, count: int = 10_000) -> dict[str, list[float]]:
    """Seconds per run: floor, sxtriage's first paint and whole cache, the peer's first
    paint; runs interleaved (a warm-up first)."""
    import asyncio

    from tests.fixtures_ui import make_issues

    home, data = tmp / "home", tmp / "data"
    home.mkdir()
    asyncio.run(write_cache(data / "sxtriage.db", count))
    env = tui_env(home)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    newest = max(make_issues(count), key=lambda i: (i.last_seen, -int(i.id)))
    first = newest.short_id.encode() + b" "
    ours = [sys.executable, "-m", "sxtriage.cli", "--data-dir", str(data)]
    peer = [sys.executable, "-c", PEER, str(data / "sxtriage.db")]
    whole = f"{count:,} of {count:,}".encode()
    out: dict[str, list[float]] = {"floor": [], "first": [], "whole": [], "peer": []}
    run_in_pty(ours, env, [first, whole])  # writes the bytecode, warms the file cache
    run_in_pty(peer, env, [first])
    for _ in range(RUNS):
        out["floor"].append(exec_floor(env))
        a, b = run_in_pty(ours, env, [first, whole])
        out["first"].append(a)
        out["whole"].append(b)
        out["peer"].append(run_in_pty(peer, env, [first])[0])
    return out


FIRST_PAINT_BUDGET_MS = 500.0
"""exec → first painted frame of the cached feed, on the slower 2-core machine."""


def print_process(samples: dict[str, list[float]]) -> list[dict[str, object]]:
    """The table of `measure_process`; returns its rows for the results file.  Beside ×
    floor, × the DataTable app of the same run: on a loaded machine both grow, their
    ratio less."""
    from benchmarks.common import median_spread

    stats = {k: median_spread([x * 1000.0 for x in v]) for k, v in samples.items()}
    floor = stats["floor"]["median"] or 1.0
    peer = stats["peer"]["median"] or 1.0
    print(
        f"\n{'whole process, pty 160x45':<36}{'median':>8}{'min':>8}{'max':>8}"
        f"{'x floor':>9}{'x peer':>8}{'budget':>8}"
    )
    rows: list[dict[str, object]] = []
    for key, label in (
        ("floor", "python -c pass (floor)"),
        ("first", "sxtriage exec → first paint"),
        ("whole", "  → whole cache in the status"),
        ("peer", "DataTable app exec → first paint"),
    ):
        st = stats[key]
        ratio = st["median"] / floor
        budget = FIRST_PAINT_BUDGET_MS if key == "first" else None
        verdict = "—" if budget is None else ("ok" if st["median"] <= budget else "OVER")
        print(
            f"{label:<36}{st['median']:>8.0f}{st['min']:>8.0f}{st['max']:>8.0f}{ratio:>8.1f}x"
            f"{st['median'] / peer:>7.2f}x{verdict:>8}"
        )
        rows.append(
            {
                "metric": f"process_{key}",
                **st,
                "x_floor": round(ratio, 1),
                "x_peer": round(st["median"] / peer, 2),
                "budget_ms": budget,
            }
        )
    print(
        f"(exec → first frame of the cached feed on the pty, budget ≤ "
        f"{FIRST_PAINT_BUDGET_MS:.0f} ms; times in ms)"
    )
    return rows
