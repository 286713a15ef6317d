"""The command line: help, config show redaction, doctor offline, login, exit codes."""

from __future__ import annotations

import socket
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
