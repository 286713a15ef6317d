"""The command line: help, config show redaction, doctor offline, login, exit codes."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sxtriage.cli import main
from tests.conftest import MemoryKeyring

TOKEN = "sntrys_SUPERSECRETTOKENVALUE_abcd"


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_config_show_redacts_tokens_and_names_sources(isolated_home: Path) -> None:
    (isolated_home / ".sentryclirc").write_text("[defaults]\norg=acme\n")
    result = CliRunner().invoke(
        main,
        ["config", "show"],
        env={"SENTRY_AUTH_TOKEN": TOKEN, "GITHUB_TOKEN": "ghp_ANOTHERSECRET_wxyz"},
    )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert "SUPERSECRET" not in result.output
    assert "ANOTHERSECRET" not in result.output
    assert "sentry_token = ********abcd    # from env" in result.output
    assert f'sentry_org = "acme"    # from {isolated_home / ".sentryclirc"}' in result.output


def test_doctor_without_network_reports_and_exits_1(memory_keyring: MemoryKeyring) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = CliRunner().invoke(
        main,
        ["doctor", "--timeout", "1"],
        env={"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme"},
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "✓ sentry token" in result.output
    assert "✗ sentry url" in result.output and "check the network" in result.output
    assert TOKEN not in result.output
    for line in result.output.strip().splitlines():
        assert line[0] in "✓✗"


def test_doctor_reports_port_in_use(memory_keyring: MemoryKeyring) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        result = CliRunner().invoke(
            main,
            ["doctor", "--timeout", "1"],
            env={
                "SENTRY_URL": f"http://127.0.0.1:{closed_port()}",
                "SXTRIAGE_RELAY_PORT": str(port),
            },
        )
    finally:
        busy.close()
    assert f"✗ relay port: 127.0.0.1:{port} not free" in result.output


def test_login_stores_in_keyring_without_echoing(memory_keyring: MemoryKeyring) -> None:
    result = CliRunner().invoke(
        main, ["login", "--sentry-token", TOKEN, "--github-token", "ghp_x1234567890"]
    )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert memory_keyring.store[("sxtriage", "sentry_token")] == TOKEN
    # the stored token is then used by every command
    result = CliRunner().invoke(main, ["config", "show"])
    assert "sentry_token = ********abcd    # from keyring" in result.output


def test_login_refuses_empty_token() -> None:
    result = CliRunner().invoke(main, ["login", "--sentry-token", "  "])
    assert result.exit_code == 2
    assert "empty Sentry token" in result.output


def test_unwritable_data_dir_for_doctor(tmp_path: Path) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("")
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(blocker / "x"), "doctor", "--timeout", "1"],
        env={"SENTRY_URL": f"http://127.0.0.1:{closed_port()}"},
    )
    assert result.exit_code == 1
    assert "✗ data dir" in result.output


def test_config_show_hides_forward_dsn_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[relay]\nforward = { api = "https://f00dsecretkey@o1.ingest.example/42" }\n')
    result = CliRunner().invoke(main, ["--config", str(cfg), "config", "show"])
    assert result.exit_code == 0, result.output
    assert "f00dsecretkey" not in result.output
    assert '"api": "https://****@o1.ingest.example/42"' in result.output


def _program(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """sxtriage as a user runs it: its own process, arguments from sys.argv."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "GITHUB_"))}
    base.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return subprocess.run(
        [sys.executable, "-m", "sxtriage.cli", *args],
        env={
            **base,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "SXTRIAGE_LOG_DIR": str(home / "log"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_quick_commands_as_the_program(isolated_home: Path) -> None:
    env = {"SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme"}
    shown = _program(["config", "show"], isolated_home, **env)
    assert shown.returncode == 0, shown.stderr
    assert "sentry_token = ********abcd    # from env" in shown.stdout
    url = f"http://127.0.0.1:{closed_port()}"
    checked = _program(
        ["--data-dir", str(isolated_home / "data"), "doctor", "--timeout", "1"],
        isolated_home,
        SENTRY_URL=url,
        SXTRIAGE_RELAY_PORT=str(closed_port()),
        **env,
    )
    assert checked.returncode == 1, checked.stderr
    assert f"✗ sentry url: {url} unreachable (ConnectError)" in checked.stdout
    assert "✓ data dir" in checked.stdout
    bad = _program(["config", "show"], isolated_home, SENTRY_URL="ftp://x", **env)
    assert bad.returncode == 2
    assert "is not an http(s) URL" in bad.stderr
    assert "Traceback" not in bad.stderr
    helped = _program(["--help"], isolated_home)
    assert helped.returncode == 0 and "doctor" in helped.stdout


def test_called_from_python_gc_is_left_alone() -> None:
    # an earlier test may have tuned this process (runtime_tuning's hook freezes what
    # survives a collection): out of the way, so only the CLI could change the count
    hooks = gc.callbacks[:]
    gc.callbacks.clear()
    try:
        frozen = gc.get_freeze_count()
        result = CliRunner().invoke(main, ["--help"])
        assert result.exit_code == 0
        env = {"SENTRY_AUTH_TOKEN": TOKEN}
        result = CliRunner().invoke(main, ["config", "show"], env=env)
        assert result.exit_code == 0, result.output
        assert gc.isenabled()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.callbacks[:] = hooks
