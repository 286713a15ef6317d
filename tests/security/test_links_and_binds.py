"""`javascript:` / `file:` links are refused from the TUI keys; the relay command refuses a
non-loopback bind without DSN keys."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import webbrowser
from pathlib import Path

import pytest

from tests.fixtures_ui import make_issue

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_URLS = [
    "javascript:alert(document.cookie)",
    "file:///etc/passwd",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://sentry.io/\x1b]52;c;cm0gLXJm\x07",
]


@pytest.fixture
def fake_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real "browser" program (via $BROWSER) that records every URL it is asked to open."""
    opened = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {opened}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("BROWSER", f"{script} %s")
    monkeypatch.setenv("DISPLAY", ":0")
    for var in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    return opened


def opened(record: Path) -> list[str]:
    return record.read_text().split() if record.exists() else []


async def _press_open(ui_app, url: str, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    issue = make_issue(0, permalink=url, linked_ticket=url)
    app = ui_app([issue])
    notes: list[str] = []
    async with app.run_test(size=(140, 40)) as pilot:
        original = app.notify

        def notify(message: str, **kw: object) -> None:
            notes.append(message)
            original(message, **kw)  # type: ignore[arg-type]

        app.notify = notify  # type: ignore[method-assign]
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
    return notes


@pytest.mark.parametrize("url", HOSTILE_URLS)
@pytest.mark.parametrize("key", ["o", "O"])
async def test_hostile_links_are_not_opened(ui_app, fake_browser: Path, url: str, key: str) -> None:  # type: ignore[no-untyped-def]
    notes = await _press_open(ui_app, url, key)
    assert not opened(fake_browser), f"{url!r} was handed to the browser"
    assert any("only http(s) links are opened" in n for n in notes), notes
    for note in notes:
        assert "\x1b" not in note and "\x07" not in note


async def test_https_link_does_reach_the_browser(ui_app, fake_browser: Path) -> None:  # type: ignore[no-untyped-def]
    """The control: the same path does open an ordinary Sentry link."""
    url = "https://scenextras.sentry.io/issues/1000/"
    await _press_open(ui_app, url, "o")
    for _ in range(50):
        if opened(fake_browser):
            break
        await asyncio.sleep(0.05)
    assert opened(fake_browser) == [url]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
async def test_relay_command_refuses_public_bind_without_keys(tmp_path: Path, host: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "sxtriage.cli", "--data-dir", str(tmp_path), "relay", "--host", host),
        *("--port", "0"),
        cwd=ROOT,
        env={**os.environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    message = err.decode().strip()
    assert len(message.splitlines()) == 1 and host in message and "keys" in message
    assert b"listening" not in out
