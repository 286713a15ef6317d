"""A loopback TCP proxy that can hold back requests or answers, for crash and timeout
tests of actions that are not idempotent by nature (creating a GitHub issue).

- `PASS`: bytes flow both ways, as without the proxy.
- `HOLD_REQUESTS`: what the client sends is kept here: the server never hears of it.
- `HOLD_ANSWERS`: the request reaches the server (it acts on it), its answer is kept
  here: the client never learns that it succeeded.
"""

from __future__ import annotations

import asyncio
import contextlib

PASS = "pass"
HOLD_REQUESTS = "hold-requests"
HOLD_ANSWERS = "hold-answers"


class HoldingProxy:
    def __init__(self, upstream_port: int, mode: str = PASS) -> None:
        self.upstream_port = upstream_port
        self.mode = mode
        """Read when a connection opens: a change applies to the next connection."""
        self.held_bytes = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        mode = self.mode
        up_writer: asyncio.StreamWriter | None = None
        try:
            if mode == HOLD_REQUESTS:
                while data := await reader.read(65536):
                    self.held_bytes += len(data)
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

            async def down() -> None:
                while data := await up_reader.read(65536):
                    if mode == HOLD_ANSWERS:
                        self.held_bytes += len(data)
                    else:
                        writer.write(data)
                        await writer.drain()

            answers = asyncio.create_task(down())
            try:
                while data := await reader.read(65536):
                    up_writer.write(data)
                    await up_writer.drain()
            finally:  # the client hung up: nobody is left to answer
                answers.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await answers
        except (ConnectionError, OSError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
            self._tasks.discard(task)
