"""First run on a real org: doctor lists issues once, config init, the log file.

The simulator runs as its own process (`sxtriage sim`), the way a user's server is
another process; the commands run in-process through click.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sxtriage.cli import main
from tests.conftest import MemoryKeyring

TOKEN = "sntrys_FIRSTRUNSECRET_abcd"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _start_sim(*extra: str) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sxtriage.cli", "sim", "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"the simulator did not start: {err[-500:]}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    yield from _start_sim()


@pytest.fixture(scope="module")
def readonly_sim_url() -> Iterator[str]:
    yield from _start_sim("--scopes", "event:read,org:read,project:read")


def _env(url: str, **extra: str) -> dict[str, str]:
    return {"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "scenextras", **extra}


def test_doctor_lists_issues_once_like_the_tui(
    sim_url: str, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path), "doctor", "--timeout", "5"],
        env=_env(sim_url, GITHUB_TOKEN="ghp_x"),
    )
    out = result.output
    assert "✓ server: self-hosted Sentry" in out, out
    assert "✓ org access: scenextras: 4 project(s)" in out, out
    assert "✓ issue list: answered" in out, out
    assert "✓ log file:" in out
    assert "✓ token scopes: all needed" in out
    assert TOKEN not in out


def test_doctor_names_the_scopes_the_token_lacks(
    readonly_sim_url: str, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path), "doctor", "--timeout", "5"],
        env=_env(readonly_sim_url, GITHUB_TOKEN="ghp_x"),
    )
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "token scopes" in x)
    assert line.startswith("✗ token scopes: missing event:write, member:read"), line
    assert "sxtriage login" in line


def test_higher_scopes_cover_lower_ones() -> None:
    from sxtriage.doctor import missing_scopes

    assert missing_scopes(["event:admin", "org:write", "member:read", "project:admin"]) == []
    assert missing_scopes(["org:ci"]) == [
        "event:read", "event:write", "member:read", "project:read", "org:read",
    ]  # fmt: skip


def test_doctor_names_a_project_the_org_lacks(
    sim_url: str, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[services.payments]\nprojects = ["payments"]\n')
    result = CliRunner().invoke(
        main,
        ["--config", str(cfg), "--data-dir", str(tmp_path), "doctor", "--timeout", "5"],
        env=_env(sim_url),
    )
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "issue list" in x)
    assert line.startswith("✗") and "'payments'" in line and "config init" in line


def test_config_init_writes_the_orgs_projects(sim_url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "sub" / "config.toml"
    runner = CliRunner()
    first = runner.invoke(main, ["--config", str(cfg), "config", "init"], env=_env(sim_url))
    assert first.exit_code == 0, first.output
    assert "wrote 4 service(s)" in first.output
    services = tomllib.loads(cfg.read_text())["services"]
    assert set(services) == {"api", "web", "mobile", "search"}
    assert services["api"]["projects"] == ["api"] and services["api"]["platform"] == "python"
    # the relay ids are the projects' own ids: an SDK's DSN keeps its project id
    assert services["web"]["relay_project_ids"] == [2]
    again = runner.invoke(main, ["--config", str(cfg), "config", "init"], env=_env(sim_url))
    assert again.exit_code == 2 and "--force" in again.output
    show = runner.invoke(main, ["--config", str(cfg), "config", "show"], env=_env(sim_url))
    assert show.exit_code == 0 and '"projects": ["search"]' in show.output


def test_config_init_without_an_org_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--config", str(tmp_path / "c.toml"), "config", "init"], env={}
    )
    assert result.exit_code == 2
    assert "sxtriage login" in result.output and "SENTRY_ORG" in result.output


def test_a_failed_request_is_logged_without_the_token(
    sim_url: str, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(tmp_path), "doctor", "--timeout", "5"],
        env={**_env(sim_url, SXTRIAGE_LOG_DIR=str(logs)), "SENTRY_ORG": "nope"},
    )
    assert result.exit_code == 1
    for handler in logging.getLogger("sxtriage").handlers:
        handler.flush()
    written = (logs / "sxtriage.log").read_text()
    assert "GET /api/0/organizations/nope/projects/ -> 404" in written
    assert TOKEN not in written
