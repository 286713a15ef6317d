"""An open-loop HTTP load generator: requests leave at fixed times, whatever the answers take.

That is how a fleet of SDKs sends: each process captures events when they happen, not when
the relay has answered the previous one.  A closed-loop generator (N workers, each waiting
for its answer) slows down with the server and hides overload; this one keeps the schedule
and charges any wait to the request: latency runs from the *scheduled* send time, so a
request that waited for a free connection (as it would in an SDK's transport queue) counts
that wait too (no coordinated omission).

Cheap per request (raw asyncio streams, pre-built bytes, HTTP/1.1 keep-alive) so that, on
a 2-core machine, the generator does not steal the CPU the server is measured with; an
`httpx` client with thousands of requests queued on its pool spends milliseconds of CPU
per request and collapses before the server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Answer:
    """One request's outcome; `status` 0 means no answer (connection error or timeout)."""

    key: str
    scheduled: float
    answered: float
    status: int
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.answered - self.scheduled


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer


class HttpLoad:
    """Keep-alive connections to one host; opens more (up to `max_connections`) on demand."""

    def __init__(self, url: str, *, max_connections: int = 256, timeout: float = 30.0) -> None:
        rest = url.split("://", 1)[-1].rstrip("/")
        host, _, port = rest.partition(":")
        self.host, self.port = host, int(port or 80)
        self.max_connections = max_connections
        self.timeout = timeout
        self._idle: list[_Conn] = []
        self._waiters: deque[asyncio.Future[_Conn]] = deque()
        self._open = 0

    async def _acquire(self) -> _Conn:
        if self._idle:
            return self._idle.pop()
        if self._open < self.max_connections:
            self._open += 1
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except BaseException:
                self._open -= 1
                raise
            return _Conn(reader, writer)
        waiter: asyncio.Future[_Conn] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await waiter

    def _release(self, conn: _Conn | None) -> None:
        if conn is None:  # broken: let a waiter open a fresh one
            self._open -= 1
            if self._waiters and self._open < self.max_connections:
                waiter = self._waiters.popleft()
                task = asyncio.ensure_future(self._acquire())
                task.add_done_callback(lambda t, w=waiter: _hand_over(t, w))
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    async def post(self, path: str, body: bytes, headers: str = "") -> tuple[int, dict[str, str]]:
        """POST `body`; returns (status, lower-cased response headers)."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n"
        ).encode()
        conn = await self._acquire()
        try:
            conn.writer.write(head + body)
            status, resp_headers = await asyncio.wait_for(_read_response(conn), self.timeout)
        except BaseException:
            conn.writer.close()
            self._release(None)
            raise
        if resp_headers.get("connection", "").lower() == "close":
            conn.writer.close()
            self._release(None)
        else:
            self._release(conn)
        return status, resp_headers

    async def close(self) -> None:
        for conn in self._idle:
            conn.writer.close()
        for conn in self._idle:
            with contextlib.suppress(Exception):
                await conn.writer.wait_closed()
        self._idle.clear()


def _hand_over(task: asyncio.Task[_Conn], waiter: asyncio.Future[_Conn]) -> None:
    if waiter.done():
        if not task.cancelled() and task.exception() is None:
            task.result().writer.close()
        return
    if task.cancelled() or task.exception() is not None:
        waiter.set_exception(task.exception() or ConnectionError("connection failed"))
    else:
        waiter.set_result(task.result())


async def _read_response(conn: _Conn) -> tuple[int, dict[str, str]]:
    raw = await conn.reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length:
        await conn.reader.readexactly(length)
    return status, headers


async def open_loop(
    load: HttpLoad,
    rate: float,
    seconds: float,
    make: Callable[[int], tuple[str, str, bytes]],
    *,
    on_answer: Callable[[Answer], None] | None = None,
) -> list[Answer]:
    """Send `rate × seconds` requests at fixed times; `make(n)` gives (key, path, body).

    Returns every answer (in completion order) once the last one is in."""
    answers: list[Answer] = []
    start = time.time()
    tasks: set[asyncio.Task[None]] = set()

    async def one(n: int, scheduled: float) -> None:
        key, path, body = make(n)
        try:
            status, headers = await load.post(path, body)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            status, headers = 0, {}
        answer = Answer(key, scheduled, time.time(), status, headers)
        answers.append(answer)
        if on_answer is not None:
            on_answer(answer)

    for n in range(int(rate * seconds)):
        scheduled = start + n / rate
        delay = scheduled - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(n, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*list(tasks))
    return answers


async def closed_loop(
    load: HttpLoad,
    concurrency: int,
    seconds: float,
    make: Callable[[int], tuple[str, str, bytes]],
) -> list[Answer]:
    """`concurrency` senders, each posting its next request as soon as the last is answered."""
    answers: list[Answer] = []
    end = time.time() + seconds
    counter = iter(range(10**9))

    async def sender() -> None:
        while time.time() < end:
            n = next(counter)
            key, path, body = make(n)
            sent = time.time()
            try:
                status, headers = await load.post(path, body)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                status, headers = 0, {}
            answers.append(Answer(key, sent, time.time(), status, headers))

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return answers
