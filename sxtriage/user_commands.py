"""Your own commands (`[[commands]]`): fields of the issue under the cursor → a program's argv.

Event data is untrusted: every value is placed into its own argument and the program is
started without a shell (`asyncio.create_subprocess_exec`), so `$(…)`, `;`, backticks or
newlines in a title are just characters.  Control characters are dropped from values.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import string
from collections.abc import Mapping
from dataclasses import dataclass

from sxtriage.config import CommandConfig
from sxtriage.models import Event, Issue

FIELDS = (
    "short_id",
    "issue_id",
    "title",
    "url",
    "service",
    "project",
    "level",
    "status",
    "release",
    "culprit",
    "event_id",
    "trace_id",
    "file",
    "abs_path",
    "line",
    "function",
    "environment",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class CommandError(ValueError):
    """A command that cannot be built; the message is one line."""


def fields_of(issue: Issue, event: Event | None) -> dict[str, str]:
    """Every template field's value for this issue (and its latest event, when known)."""
    frame = None
    if event is not None:
        for exc in reversed(event.exceptions):
            in_app = [f for f in exc.frames if f.in_app] or exc.frames
            if in_app:
                frame = in_app[-1]
                break
    values = {
        "short_id": issue.short_id,
        "issue_id": issue.id,
        "title": issue.title,
        "url": issue.permalink or "",
        "service": issue.service,
        "project": issue.project or "",
        "level": str(issue.level),
        "status": str(issue.status),
        "release": (event.release if event else None) or issue.release or "",
        "culprit": issue.culprit,
        "event_id": event.event_id if event else "",
        "trace_id": (event.trace_id if event else None) or "",
        "file": (frame.filename or frame.abs_path or "") if frame else "",
        "abs_path": (frame.abs_path or frame.filename or "") if frame else "",
        "line": str(frame.lineno) if frame and frame.lineno is not None else "",
        "function": (frame.function or "") if frame else "",
        "environment": (event.environment if event else None) or issue.environment or "",
    }
    return {k: _CONTROL.sub("", v) for k, v in values.items()}


def placeholders(command: CommandConfig) -> set[str]:
    names: set[str] = set()
    for arg in command.run:
        for _, name, _, _ in string.Formatter().parse(arg):
            if name is not None:
                names.add(name)
    return names


def check(command: CommandConfig) -> None:
    """Raise CommandError when the command names an unknown field."""
    try:
        unknown = sorted(placeholders(command) - set(FIELDS))
    except ValueError as exc:
        raise CommandError(f"command {command.title!r}: {exc}") from None
    if unknown:
        raise CommandError(
            f"command {command.title!r}: unknown field {{{unknown[0]}}}; "
            f"known: {', '.join('{' + f + '}' for f in FIELDS)}"
        )


def argv(command: CommandConfig, values: Mapping[str, str]) -> list[str]:
    """The arguments to run, each placeholder replaced by its value (never split)."""
    check(command)
    missing = sorted(n for n in placeholders(command) if not values.get(n))
    if missing:
        raise CommandError(
            f"{command.title}: this issue has no {{{missing[0]}}} (its latest event may not "
            "be loaded yet)"
        )
    out = [arg.format_map(values) for arg in command.run]
    program = os.path.expanduser(out[0])
    if shutil.which(program) is None:
        raise CommandError(f"{command.title}: program {out[0]!r} not found on PATH")
    return [program, *out[1:]]


@dataclass
class Started:
    pid: int
    argv: list[str]


async def run_detached(args: list[str]) -> Started:
    """Start the program in its own session, output discarded; do not wait for it."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    return Started(proc.pid, args)
