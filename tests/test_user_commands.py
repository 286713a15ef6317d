"""[[commands]]: untrusted event text reaches the program as plain arguments, never a shell."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from sxtriage.config import CommandConfig
from sxtriage.models import Event, ExceptionValue, Frame, Issue, Source
from sxtriage.user_commands import CommandError, argv, fields_of, run_detached

HOSTILE = "boom $(touch /tmp/pwned) ; rm -rf / `id` \n next line \x1b[31m"


def _issue() -> Issue:
    return Issue(
        source=Source.SENTRY, id="7", service="api", short_id="API-7", title=HOSTILE,
        permalink="https://sentry.example/issues/7/",
    )  # fmt: skip


def _event() -> Event:
    frames = [
        Frame(filename="lib/x.py", lineno=3, in_app=False),
        Frame(filename="app/checkout.py", lineno=42, function="pay", in_app=True),
    ]
    return Event(
        event_id="e" * 32, exceptions=[ExceptionValue(type="E", frames=frames)],
        trace_id="t" * 32, release="api@2.0",
    )  # fmt: skip


def test_fields_pick_the_top_in_app_frame_and_drop_control_characters() -> None:
    values = fields_of(_issue(), _event())
    assert values["file"] == "app/checkout.py" and values["line"] == "42"
    assert values["trace_id"] == "t" * 32 and values["release"] == "api@2.0"
    assert "\x1b" not in values["title"] and "$(touch /tmp/pwned)" in values["title"]


async def test_hostile_text_arrives_as_one_argument(tmp_path: Path) -> None:
    out = tmp_path / "argv.json"
    script = tmp_path / "dump.py"
    # written whole, then renamed: the file appears only once it is complete
    script.write_text(
        f"import json, os, sys\ntmp = {str(out)!r} + '.tmp'\n"
        f"json.dump(sys.argv[1:], open(tmp, 'w'))\nos.replace(tmp, {str(out)!r})\n"
    )
    cmd = CommandConfig(key="x", title="dump", run=[sys.executable, str(script), "{title}",
                                                    "{file}:{line}", "{url}"])  # fmt: skip
    args = argv(cmd, fields_of(_issue(), _event()))
    started = await run_detached(args)
    deadline = time.monotonic() + 20
    while not out.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    got = json.loads(out.read_text())
    assert started.pid > 0
    assert got[0] == fields_of(_issue(), None)["title"]  # one argument, unchanged
    assert got[1:] == ["app/checkout.py:42", "https://sentry.example/issues/7/"]
    assert not await asyncio.to_thread(os.path.exists, "/tmp/pwned")


def test_string_run_is_split_like_a_shell_but_not_run_by_one() -> None:
    cmd = CommandConfig(key="e", title="edit", run='code -g "{file}:{line}"')
    assert cmd.run == ["code", "-g", "{file}:{line}"]


def test_bad_commands_say_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match="needs a program"):
        CommandConfig(key="e", title="empty", run=[])
    bad = CommandConfig(key="e", title="typo", run=["echo", "{shortid}"])
    with pytest.raises(CommandError, match=r"unknown field \{shortid\}"):
        argv(bad, fields_of(_issue(), _event()))
    needs_frame = CommandConfig(key="e", title="edit", run=["echo", "{file}"])
    with pytest.raises(CommandError, match=r"no \{file\}"):
        argv(needs_frame, fields_of(_issue(), None))
    missing = CommandConfig(key="e", title="nope", run=["no-such-program-xyz", "{short_id}"])
    with pytest.raises(CommandError, match="not found on PATH"):
        argv(missing, fields_of(_issue(), None))
