"""doctor's reachability probe: a Sentry URL that takes no TCP connection is named from a
plain socket, as httpx would name it, without loading httpx and the Sentry client."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sxtriage import doctor

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def listening() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(var)


def test_refused_everywhere_is_a_connect_error() -> None:
    assert doctor.tcp_unreachable(f"http://127.0.0.1:{closed_port()}", 2.0) == "ConnectError"
    assert doctor.tcp_unreachable(f"https://localhost:{closed_port()}/s", 2.0) == "ConnectError"


def test_a_listener_leaves_the_answer_to_httpx(listening: int) -> None:
    assert doctor.tcp_unreachable(f"http://127.0.0.1:{listening}", 2.0) is None
    assert doctor.tcp_unreachable(f"http://localhost:{listening}", 2.0) is None  # resolved


def _not_numeric(flags: object) -> None:
    """What getaddrinfo does with a name and AI_NUMERICHOST: refuse at once."""
    if isinstance(flags, int) and flags & socket.AI_NUMERICHOST:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_unknown_host_is_a_connect_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    assert doctor.tcp_unreachable("https://sentry.example.invalid", 2.0) == "ConnectError"


def test_a_resolver_that_hangs_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hang(*args: object, flags: object = 0, **kwargs: object) -> object:
        _not_numeric(flags)
        release.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "try again")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    try:
        assert doctor.tcp_unreachable("https://sentry.example.invalid", 0.2) == "ConnectTimeout"
    finally:
        release.set()


@pytest.mark.parametrize("var", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_leaves_the_answer_to_httpx(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    monkeypatch.setenv(var, "http://127.0.0.1:3128")
    assert doctor.tcp_unreachable(f"http://127.0.0.1:{closed_port()}", 2.0) is None


def test_odd_urls_leave_the_answer_to_httpx() -> None:
    assert doctor.tcp_unreachable("http://[::1", 2.0) is None
    assert doctor.tcp_unreachable("http://127.0.0.1:99999", 2.0) is None
    assert doctor.tcp_unreachable("not a url", 2.0) is None


_PROBE = """
import json, sys
from sxtriage.cli import main
try:
    main(sys.argv[1:], prog_name="sxtriage")
except SystemExit:
    pass
loaded = [m for m in sys.modules if m.split(".")[0] in ("keyring", "httpx", "asyncio")]
print(json.dumps(sorted(loaded)))
"""


def _doctor(home: Path, url: str) -> tuple[str, list[str]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SENTRY_", "GITHUB_", "PYTHON_KEYRING"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "dbus_session_bus_address")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        SXTRIAGE_LOG_DIR=str(home / "log"),
        SENTRY_URL=url,
        SENTRY_ORG="acme",
        SENTRY_AUTH_TOKEN="sntrys_doctor_token_1234",
        SXTRIAGE_RELAY_PORT=str(closed_port()),
    )
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "--data-dir", str(home / "data"), "doctor"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out, _, modules = proc.stdout.rstrip("\n").rpartition("\n")
    return out, json.loads(modules)


def test_doctor_against_a_closed_port_loads_no_http_stack(isolated_home: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    _doctor(isolated_home, url)  # the first run remembers the keyring backend
    out, modules = _doctor(isolated_home, url)
    assert f"✗ sentry url: {url} unreachable (ConnectError) — check the network" in out
    assert "✓ keyring: " in out
    assert not [m for m in modules if m.startswith(("httpx", "asyncio"))]
    record = json.loads(
        (isolated_home / ".config" / "sxtriage" / "keyring-backend.json").read_text()
    )
    if record["backend"] is None:
        assert modules == []
