"""The session's background tasks: started by name, cancelled together, never silent.

A task that ends with an error is logged with its traceback (the log file, `logs.py`)
and reported in one line through `report` (a toast); the session keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)
Report = Callable[[str], None]


class TaskSet:
    def __init__(self, report: Report) -> None:
        self._report = report
        self._tasks: dict[asyncio.Task[Any], str] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run `coro` in the background; `what` names it in the log and the toast."""
        task = asyncio.create_task(coro, name=f"sxtriage: {what}")
        self._tasks[task] = what
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        what = self._tasks.pop(task, "a background task")
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        log.error("%s failed", what, exc_info=exc)
        self._report(f"{what} stopped: {exc}")

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            # A task that failed was logged and reported by `_done`.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
