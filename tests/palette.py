"""Typing into Textual's command palette from a test, without racing its search."""

from __future__ import annotations

import contextlib
from typing import Any

from textual.command import CommandPalette
from textual.pilot import Pilot


async def search_palette(pilot: Pilot[Any], text: str) -> None:
    """Type `text` into the open palette and return once its search has finished.

    The palette gathers its hits in a worker, restarted on every keystroke; Enter pressed
    before the last one has finished picks from a partial (or empty) list, which on a
    busy machine is a different command or none."""
    await pilot.press(*text)
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette), pilot.app.screen
    group = CommandPalette._GATHER_COMMANDS_GROUP
    while running := [w for w in pilot.app.workers if w.group == group and not w.is_finished]:
        for worker in running:
            with contextlib.suppress(Exception):  # cancelled by a newer search
                await worker.wait()
        await pilot.pause()
