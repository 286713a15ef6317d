"""Start-up: whole-process wall time of the commands a user types most, against the floor.

Each command runs as its own process (`sxtriage --help`, `config show`, `doctor` against a
closed port, so it answers at once without a network), repeated; the floor is
`python -c pass` measured in the same run, so the ratio holds on a slower machine.
Budget (issue 18): each ≤ 150 ms median.

The children run as an installed sxtriage does: with bytecode cached (a private
PYTHONPYCACHEPREFIX, filled by one untimed run of each command, so a
PYTHONDONTWRITEBYTECODE in the caller's environment does not make every run compile
sxtriage's sources), a private HOME, and no D-Bus session (never the desktop's keyring).

Besides the budgeted lines, `config show` is timed where the Sentry token is not in the
environment but must be looked up, as a user after `sxtriage login` has it:
- in a keyring backend (`BenchKeyring` below, named by PYTHON_KEYRING_BACKEND: all of
  keyring's import, no D-Bus round trip — a Secret Service adds that and secretstorage);
- in the 0600 file, no keyring backend (the remembered answer: keyring is not imported);
- in the file on the first run, before the answer is remembered (keyring's discovery).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from tests.json_keyring import JsonKeyring

RUNS = 9
BUDGET_MS = 150.0
ROOT = Path(__file__).resolve().parent.parent
_STORE = "SXTRIAGE_BENCH_KEYRING"


class BenchKeyring(JsonKeyring):
    """A keyring backend in a JSON file named by $SXTRIAGE_BENCH_KEYRING; viable only there."""

    store_var = _STORE


def _closed_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _run(cmd: list[str], env: dict[str, str]) -> float:
    import subprocess
    import time

    start = time.perf_counter()
    subprocess.run(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return (time.perf_counter() - start) * 1000


def _rounds(cases: list[tuple[list[str], dict[str, str], Path | None]]) -> list[list[float]]:
    """One untimed run of each case (bytecode, the keyring record), then RUNS rounds of
    all of them in turn, so a busy moment of the machine weighs on every case alike.  A
    case's path, when given, is removed before each of its runs (the record: first runs)."""
    for cmd, env, _ in cases:
        _run(cmd, env)
    out: list[list[float]] = [[] for _ in cases]
    for _ in range(RUNS):
        for samples, (cmd, env, before) in zip(out, cases, strict=True):
            if before is not None:
                before.unlink(missing_ok=True)
            samples.append(_run(cmd, env))
    return out


def run() -> dict[str, Any]:
    import shutil
    import subprocess
    import tempfile

    from benchmarks.common import machine, median_spread

    home = tempfile.mkdtemp(prefix="sxtriage-bench-home-")
    homes = [home]
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("PYTHONDONTWRITEBYTECODE", "DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND")
        and not k.startswith(("SENTRY_", "SXTRIAGE_", "GITHUB_", "GH_"))
    }
    env.update(
        {
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_DATA_HOME": f"{home}/.local/share",
            "XDG_STATE_HOME": f"{home}/.state",
            "PYTHONPYCACHEPREFIX": f"{home}/pycache",
            "SENTRY_URL": f"http://127.0.0.1:{_closed_port()}",
            "SENTRY_ORG": "bench",
        }
    )
    sx = [sys.executable, "-m", "sxtriage.cli"]
    token = {"SENTRY_AUTH_TOKEN": "sntrys_bench"}

    def logged_in(kind: str, backend: str) -> dict[str, str]:
        """An environment of its own (HOME) where `sxtriage login` stored the tokens."""
        own = tempfile.mkdtemp(prefix=f"sxtriage-bench-{kind}-")
        homes.append(own)
        out = {
            **env,
            "HOME": own,
            "XDG_CONFIG_HOME": f"{own}/.config",
            "XDG_DATA_HOME": f"{own}/.local/share",
            "XDG_STATE_HOME": f"{own}/.state",
            _STORE: f"{own}/bench-keyring.json",
        }
        login = ["login", "--sentry-token", "sntrys_bench_login", "--github-token", "ghp_bench"]
        subprocess.run(
            [*sx, *login],
            env={**out, "PYTHON_KEYRING_BACKEND": backend},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        return out

    in_keyring = logged_in("keyring", "benchmarks.bench_startup.BenchKeyring")
    in_keyring["PYTHON_KEYRING_BACKEND"] = "benchmarks.bench_startup.BenchKeyring"
    # stored where no backend exists; later runs find that by discovery, as such a machine does
    in_file = logged_in("file", "keyring.backends.fail.Keyring")
    record = Path(in_file["XDG_CONFIG_HOME"], "sxtriage", "keyring-backend.json")

    cases: list[tuple[str, list[str], dict[str, str], bool, Path | None]] = [
        ("sxtriage --help", ["--help"], {**env, **token}, True, None),
        ("sxtriage config show", ["config", "show"], {**env, **token}, True, None),
        ("config show, token in keyring", ["config", "show"], in_keyring, False, None),
        ("config show, token in file", ["config", "show"], in_file, False, None),
        ("config show, file, first run", ["config", "show"], in_file, False, record),
        (
            "sxtriage doctor",
            ["--data-dir", home, "doctor", "--timeout", "0.2"],
            {**env, **token},
            True,
            None,
        ),
    ]
    try:
        samples = _rounds(
            [([sys.executable, "-c", "pass"], env, None)]
            + [(sx + args, case_env, before) for _, args, case_env, _, before in cases]
        )
    finally:
        for path in homes:
            shutil.rmtree(path, ignore_errors=True)
    floor = median_spread(samples[0])
    rows: dict[str, Any] = {"machine": machine(), "floor_ms": floor}
    print(f"floor (python -c pass): median {floor['median']:.0f} ms")
    print(f"{'command':<40}{'median ms':>10}{'min':>8}{'max':>8}{'× floor':>9}  budget")
    for (name, _, _, budgeted, _), times in zip(cases, samples[1:], strict=True):
        stats = median_spread(times)
        ratio = stats["median"] / floor["median"] if floor["median"] else 0.0
        if not budgeted:
            verdict = "(not budgeted)"
        else:
            verdict = "ok" if stats["median"] <= BUDGET_MS else "OVER (≤ 150 ms)"
        print(
            f"{name:<40}{stats['median']:>10.0f}{stats['min']:>8.0f}{stats['max']:>8.0f}"
            f"{ratio:>8.1f}×  {verdict}"
        )
        rows[name] = {**stats, "x_floor": round(ratio, 1)}
    return rows


if __name__ == "__main__":
    run()
