"""The scrubbing workers: CPU-bound normalization off the relay's event loop.

`ProcessPool` starts N spawned processes, each on its own socket pair read by the relay's
loop (length-prefixed pickles, the framing of `multiprocessing.Connection`): no manager or
feeder threads in the relay, so a batch costs one write and one read.  Each worker has at
most one batch in flight; the pipeline asks `idle()` and hands work only to free workers,
so while they are busy new events accumulate into the next, larger batch (throughput goes
up with load, latency stays one batch long).  A worker that dies fails its batch with a
retryable error and is replaced; workers exit when the relay is gone (their socket closes).

`ThreadPool` is the in-process variant (`workers=0`, used by tests): sentry_relay releases
the GIL inside Rust, so two threads still overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.spawn as mp_spawn
import os
import pickle
import socket
import struct
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Protocol

from sxtriage.relay.normalize import Job, Result, init_worker, process_batch, scrub_json

_HEADER = struct.Struct("!i")
_READY = b"ready"


class WorkerDied(Exception):
    """A scrubbing worker exited while it held a batch."""


class Pool(Protocol):
    on_idle: Callable[[], None] | None
    restarts: int

    async def start(self) -> None: ...
    def idle(self) -> int: ...
    def alive(self) -> int: ...
    def dispatch(self, jobs: list[Job]) -> asyncio.Future[list[Result]]: ...
    async def stop(self) -> None: ...


def worker_main(conn: Connection, pii_config_json: str) -> None:
    """A worker process: answer each batch in order until the relay closes the socket."""
    init_worker(pii_config_json)
    scrub_json(b'{"message":"warm-up"}', None)  # first real batch pays no set-up
    conn.send_bytes(_READY)
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        jobs: list[Job] = pickle.loads(message)
        try:
            conn.send_bytes(pickle.dumps(process_batch(jobs), pickle.HIGHEST_PROTOCOL))
        except OSError:
            return


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """Spawned workers need only sxtriage, not the embedding program's `__main__`
    (re-running a script without a main guard would recurse)."""
    original = mp_spawn.get_preparation_data

    def prep(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    mp_spawn.get_preparation_data = prep  # type: ignore[assignment]
    try:
        yield
    finally:
        mp_spawn.get_preparation_data = original  # type: ignore[assignment]


class _Worker:
    def __init__(self, process: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.process = process
        self.reader = reader
        self.writer = writer
        self.busy: deque[asyncio.Future[list[Result]]] = deque()
        self.task: asyncio.Task[None] | None = None

    async def read_frame(self) -> bytes:
        (size,) = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
        return await self.reader.readexactly(size)

    def send(self, payload: bytes) -> None:
        self.writer.write(_HEADER.pack(len(payload)) + payload)


class ProcessPool:
    def __init__(self, workers: int, pii_config_json: str, depth: int = 2) -> None:
        self.size = max(1, workers)
        self.depth = max(1, depth)
        """Batches a worker may hold at once: one running, the next already in its socket."""
        self._pii = pii_config_json
        self._workers: list[_Worker] = []
        self._stopping = False
        self.on_idle: Callable[[], None] | None = None
        self.restarts = 0
        self._replacing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._workers = list(await asyncio.gather(*(self._spawn() for _ in range(self.size))))
        for worker in self._workers:
            worker.task = asyncio.create_task(self._read_loop(worker), name="relay-scrub-reader")

    async def _spawn(self) -> _Worker:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=worker_main, args=(child, self._pii), name="sxtriage-scrub", daemon=True
        )
        with _without_main():
            process.start()
        child.close()
        sock = socket.socket(fileno=os.dup(parent.fileno()))
        parent.close()
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=2**26)
        worker = _Worker(process, reader, writer)
        try:
            ready: bytes | Exception = await asyncio.wait_for(worker.read_frame(), 60)
        except (asyncio.IncompleteReadError, TimeoutError, OSError) as exc:
            ready = exc
        if ready != _READY:
            process.kill()
            writer.close()
            raise RuntimeError(f"a scrubbing worker did not start ({ready!r:.80})")
        return worker

    def idle(self) -> int:
        return sum(self.depth - len(w.busy) for w in self._workers if w.task is not None)

    def dispatch(self, jobs: list[Job]) -> asyncio.Future[list[Result]]:
        live = [w for w in self._workers if w.task is not None and len(w.busy) < self.depth]
        worker = min(live, key=lambda w: len(w.busy))
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        worker.busy.append(future)
        worker.send(pickle.dumps(jobs, pickle.HIGHEST_PROTOCOL))
        return future

    async def _read_loop(self, worker: _Worker) -> None:
        try:
            while True:
                frame = await worker.read_frame()
                future = worker.busy.popleft()
                if not future.done():
                    future.set_result(pickle.loads(frame))
                if self.on_idle is not None:
                    self.on_idle()
        except (asyncio.IncompleteReadError, OSError, pickle.UnpicklingError, IndexError) as exc:
            reason = f"scrubbing worker exited ({type(exc).__name__})"
        worker.task = None  # from now on dispatch skips it
        _fail_all(worker.busy, WorkerDied(reason))
        worker.writer.close()
        if worker.process.is_alive():
            worker.process.kill()
        if self._stopping:
            return
        if self.on_idle is not None:
            self.on_idle()  # with no worker left, what is buffered is answered 503 now
        task = asyncio.get_running_loop().create_task(self._replace(worker))
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _replace(self, dead: _Worker) -> None:
        delay = 0.5
        while not self._stopping:
            try:
                fresh = await self._spawn()
            except (RuntimeError, OSError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            if self._stopping:
                fresh.writer.close()
                return
            self.restarts += 1
            self._workers[self._workers.index(dead)] = fresh
            fresh.task = asyncio.create_task(self._read_loop(fresh), name="relay-scrub-reader")
            if self.on_idle is not None:
                self.on_idle()
            return

    def alive(self) -> int:
        return sum(1 for w in self._workers if w.task is not None)

    def pids(self) -> list[int]:
        return [int(w.process.pid) for w in self._workers if w.task is not None]

    async def stop(self) -> None:
        self._stopping = True
        for worker in self._workers:
            if worker.task is not None:
                worker.task.cancel()
            _fail_all(worker.busy, WorkerDied("the relay is shutting down"))
            worker.writer.close()  # the worker sees EOF and exits
        loop = asyncio.get_running_loop()
        for worker in self._workers:
            await loop.run_in_executor(None, _reap, worker.process)
        self._workers = []


def _fail_all(futures: deque[asyncio.Future[list[Result]]], exc: Exception) -> None:
    while futures:
        future = futures.popleft()
        if not future.done():
            future.set_exception(exc)


def _reap(process: Any) -> None:
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join(1)


class ThreadPool:
    """In-process scrubbing on two threads (the GIL is released inside sentry_relay)."""

    def __init__(self, pii_config_json: str, threads: int = 2) -> None:
        self._pii = pii_config_json
        self._threads = threads
        self._busy = 0
        self.restarts = 0
        self._executor: ThreadPoolExecutor | None = None
        self.on_idle: Callable[[], None] | None = None

    async def start(self) -> None:
        init_worker(self._pii)
        self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="sxtriage-scrub")

    def idle(self) -> int:
        return self._threads - self._busy if self._executor is not None else 0

    def alive(self) -> int:
        return self._threads if self._executor is not None else 0

    def dispatch(self, jobs: list[Job]) -> asyncio.Future[list[Result]]:
        assert self._executor is not None
        self._busy += 1
        future = asyncio.get_running_loop().run_in_executor(self._executor, process_batch, jobs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: asyncio.Future[list[Result]]) -> None:
        self._busy -= 1
        if self.on_idle is not None:
            self.on_idle()

    async def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def make_pool(workers: int, pii_config_json: str) -> Pool:
    """`workers` > 0: that many processes (the default); 0: two threads in-process."""
    if workers <= 0:
        return ThreadPool(pii_config_json)
    return ProcessPool(workers, pii_config_json)
