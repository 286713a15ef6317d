"""Start-up: whole-process wall time of the commands a user types most, against the floor.

Each command runs as its own process (`sxtriage --help`, `config show`, `doctor` against a
closed port, so it answers at once without a network), repeated; the floor is
`python -c pass` measured in the same run, so the ratio holds on a slower machine.
Budget (issue 18): each ≤ 150 ms median.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.common import machine, median_spread

RUNS = 7
BUDGET_MS = 150.0


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _time(cmd: list[str], env: dict[str, str]) -> list[float]:
    out: list[float] = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run() -> dict[str, Any]:
    home = tempfile.mkdtemp(prefix="sxtriage-bench-home-")
    env = {
        **os.environ,
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/.config",
        "XDG_STATE_HOME": f"{home}/.state",
        "SENTRY_URL": f"http://127.0.0.1:{_closed_port()}",
        "SENTRY_ORG": "bench",
        "SENTRY_AUTH_TOKEN": "sntrys_bench",
    }
    sx = [sys.executable, "-m", "sxtriage.cli"]
    floor = median_spread(_time([sys.executable, "-c", "pass"], env))
    rows: dict[str, Any] = {"machine": machine(), "floor_ms": floor}
    print(f"floor (python -c pass): median {floor['median']:.0f} ms")
    print(f"{'command':<28}{'median ms':>10}{'min':>8}{'max':>8}{'× floor':>9}  budget")
    for name, args in (
        ("sxtriage --help", ["--help"]),
        ("sxtriage config show", ["config", "show"]),
        ("sxtriage doctor", ["--data-dir", home, "doctor", "--timeout", "0.2"]),
    ):
        stats = median_spread(_time(sx + args, env))
        ratio = stats["median"] / floor["median"] if floor["median"] else 0.0
        verdict = "ok" if stats["median"] <= BUDGET_MS else "OVER (≤ 150 ms)"
        print(
            f"{name:<28}{stats['median']:>10.0f}{stats['min']:>8.0f}{stats['max']:>8.0f}"
            f"{ratio:>8.1f}×  {verdict}"
        )
        rows[name] = {**stats, "x_floor": round(ratio, 1)}
    return rows


if __name__ == "__main__":
    run()
