"""Tokens never appear in logs (DEBUG, every logger), on screen, in CLI or crash output,
or in the handoff report."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from sxtriage.config import Settings
from sxtriage.models import SourceHealth
from sxtriage.sentry.errors import SentryError
from sxtriage.sentry.poller import SentryPoller
from sxtriage.sim.server import SimServer
from sxtriage.store import Store
from tests.fixtures_sim import make_client
from tests.fixtures_ui import make_issues
from tests.security.test_hostile_event_text import check_strips

ROOT = Path(__file__).resolve().parents[2]
SENTRY_TOKEN = "sntrys_SECRET_4f1c9e2b7a6d58e3b0c1"
GITHUB_TOKEN = "ghp_SECRET_k2m4n6p8q1r3s5t7"
TOKENS = (SENTRY_TOKEN, GITHUB_TOKEN, SENTRY_TOKEN[-12:], GITHUB_TOKEN[-12:])
TOKENS += (SENTRY_TOKEN[:24], GITHUB_TOKEN[:20])  # a truncated token is still a leak


def assert_no_token(text: str, where: str) -> None:
    plain = text.replace("\\", "")  # Markdown escapes ("sntrys\\_…") still leak a token
    for token in TOKENS:
        assert token not in text and token not in plain, f"a token leaked into {where}"


async def test_no_token_in_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Client and poller through success, 401, 5xx and timeouts, every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    async with SimServer(n_issues=50, token=SENTRY_TOKEN) as sim:
        # 1 s: the first list must answer on a busy machine too; "timeout=2" still times out
        async with make_client(sim, token=SENTRY_TOKEN, timeout=1.0, max_retries=1) as client:
            await client.list_issues()
            for spec in ("500*2", "timeout=2*2", "401*1", "badjson*1"):
                sim.faults.add(spec)
                with pytest.raises(SentryError) as info:
                    await client.list_issues()
                assert_no_token(str(info.value), f"the {spec} error message")
            health: list[SourceHealth] = []
            poller = SentryPoller(
                client, Settings(), lambda d: None, health.append, min_interval=0.01,
                max_interval=0.02, error_floor=0.01,
            )  # fmt: skip
            sim.faults.add("401*3")
            task = asyncio.create_task(poller.run())
            deadline = asyncio.get_running_loop().time() + 30
            while all(h.ok for h in health):  # the 401s reach the source's health
                assert asyncio.get_running_loop().time() < deadline, "no 401 in health"
                await asyncio.sleep(0.02)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        async with make_client(sim, token="sntrys_wrong_one") as wrong:
            with pytest.raises(SentryError):
                await wrong.list_issues()
    assert any(not h.ok for h in health)
    for h in health:
        assert_no_token(h.model_dump_json(), "source health")
    assert len(caplog.records) > 5  # the DEBUG logs really were captured
    assert_no_token(caplog.text, "the logs")
    for record in caplog.records:
        assert_no_token(repr(record.args), "log record arguments")


async def test_no_token_on_screen(ui_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=tmp_path / "screen",
        sentry_token=SecretStr(SENTRY_TOKEN),
        github_token=SecretStr(GITHUB_TOKEN),
        sentry_org="scenextras",
    )
    app = ui_app(make_issues(10), settings=settings)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        app.session.on_health(
            SourceHealth(name="sentry", ok=False, error="Sentry rejected the auth token")
        )
        await pilot.pause()
        text = check_strips(app.screen._compositor.render_strips(), "feed")
        for key in ("question_mark", "escape", "colon"):
            await pilot.press(key)
            await pilot.pause()
            text += check_strips(app.screen._compositor.render_strips(), key)
    assert_no_token(text, "the screen")


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sxtriage.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(errors="replace")


async def test_no_token_in_cli_or_crash_output(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with SimServer(token=SENTRY_TOKEN) as sim:
        env = {
            **os.environ,
            "SENTRY_AUTH_TOKEN": SENTRY_TOKEN,
            "GITHUB_TOKEN": GITHUB_TOKEN,
            "SENTRY_ORG": "scenextras",
            "SENTRY_URL": sim.url,
            "SXTRIAGE_DATA_DIR": str(data),
        }
        outputs = {
            "config show": await _cli("config", "show", env=env),
            "doctor": await _cli("doctor", "--timeout", "2", env=env),
            "doctor, wrong org": await _cli("doctor", env={**env, "SENTRY_ORG": "nope"}),
            "doctor, malformed url (crashes)": await _cli(
                "doctor", env={**env, "SENTRY_URL": "http://[::1"}
            ),
            "handoff, bad data dir": await _cli("--data-dir", "/dev/null/x", "handoff", env=env),
        }
    for name, (code, out) in outputs.items():
        assert_no_token(out, f"`sxtriage {name}` (exit {code})")
    assert outputs["config show"][0] == 0 and "sntrys_" not in outputs["config show"][1]
    assert "sentry token: present" in outputs["doctor"][1]  # doctor ran (its exit code
    # depends on this machine, e.g. whether port 8969 is free)


async def _handoff_with_token_in_audit(tmp_path: Path, actor: str) -> str:
    from sxtriage.triage.handoff import render

    store = Store(tmp_path / "h.db")
    try:
        await store.write(
            "INSERT INTO audit(ts, actor, kind, action_id, target, detail) VALUES(?,?,?,?,?,?)",
            (time.time() - 60, actor, "note", "a1", "sentry:1000", f"rotated {SENTRY_TOKEN}"),
        )
        settings = Settings(
            sentry_token=SecretStr(SENTRY_TOKEN), github_token=SecretStr(GITHUB_TOKEN)
        )
        return render(settings, store, "1h")
    finally:
        store.close()


async def test_handoff_report_without_tokens_in_data(tmp_path: Path) -> None:
    report = await _handoff_with_token_in_audit(tmp_path, "oncall@scenextras.dev")
    assert "added a note" in report
    assert_no_token(report, "the handoff report")


async def test_handoff_report_redacts_tokens_found_in_data(tmp_path: Path) -> None:
    report = await _handoff_with_token_in_audit(tmp_path, f"{SENTRY_TOKEN} {GITHUB_TOKEN}")
    assert_no_token(report, "the handoff report")
