"""A private event loop on its own thread, for a relay embedded in a busy program.

Embedded in the TUI, the relay would otherwise share the UI's event loop: every hop of
an event (reading the POST, handing the batch to the scrub pool, the commit callback,
the SSE write) would wait behind whatever the UI is doing — a repaint of the feed takes
tens of milliseconds — and those waits add up in the latency tail.  On its own loop the
relay answers SDKs and streams to subscribers while the UI paints; the two threads only
meet on the GIL, which Python hands over every few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_JOIN_SECONDS = 10.0


class LoopThread:
    """Runs coroutines on a dedicated event loop; awaitable from any other loop."""

    def __init__(self, name: str = "sxtriage-relay") -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(started.set)
            try:
                loop.run_forever()
            finally:
                _cancel_all(loop)
                loop.close()

        self.loop = loop
        self._thread = threading.Thread(target=main, name=self.name, daemon=True)
        self._thread.start()
        started.wait()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` running on the private loop (from the caller's loop)."""
        if self.loop is None or not self.running:
            coro.close()
            raise RuntimeError(f"the {self.name} loop is not running")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return await asyncio.wrap_future(future)

    async def close(self) -> None:
        """Stop the loop (after its pending callbacks) and wait for the thread to end."""
        loop, thread = self.loop, self._thread
        self.loop, self._thread = None, None
        if loop is None or thread is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError):  # closed already
                loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join, _JOIN_SECONDS)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """What the loop still runs when it stops (stream handlers, timers) ends cleanly."""
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    with contextlib.suppress(Exception):
        loop.run_until_complete(loop.shutdown_asyncgens())
