"""The ingest pipeline: parse → normalize/scrub (worker pool) → group → commit → broadcast.

Requests are batched: what arrives in one event-loop turn is split evenly over the free
scrubbing workers, and while every worker is busy new requests accumulate into the next
batch (`workers.py`).  Batches are committed in the order they finish, each by one store
job (group commit, `persist.py`).  A request's future resolves only after its rows are committed, so
an HTTP 2xx always means "durable".  Batches overlap: while batch N commits, batch N+1 is
being scrubbed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sxtriage.relay.envelope import DROPPED_TYPES, EVENT_TYPES, Envelope
from sxtriage.relay.normalize import Job, Result
from sxtriage.relay.persist import Checkpointer, ItemRow, Prepared, Published, commit_batch
from sxtriage.relay.pii_config import build_pii_config
from sxtriage.relay.workers import Pool, make_pool
from sxtriage.store import Store

_WORKER_TYPES = EVENT_TYPES | {"span"}


class IngestError(Exception):
    """The envelope was refused after parsing; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class _Pending:
    env: Envelope
    service: str
    project_id: int | None
    future: asyncio.Future[str]
    jobs: list[int] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)


class Pipeline:
    def __init__(
        self,
        store: Store,
        publish: Callable[[list[Published]], None],
        *,
        workers: int = 2,
        scrub_user_emails: bool = True,
        max_events_per_s: float | None = None,
    ) -> None:
        self.store = store
        self._publish = publish
        self._workers = workers
        self._pii = json.dumps(build_pii_config(scrub_user_emails=scrub_user_emails))
        self._buffer: list[_Pending] = []
        self._buffer_jobs: list[Job] = []
        self._flush_scheduled = False
        self._scrubbed: asyncio.Queue[tuple[list[_Pending], asyncio.Future[list[Result]]]]
        self._committing: asyncio.Queue[tuple[list[Prepared], asyncio.Task[list[Published]]]]
        self._pool: Pool | None = None
        self._checkpointer: Checkpointer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.events = 0
        self.batches = 0
        self._pace = _Pacer(max_events_per_s) if max_events_per_s else None
        """Throttle (tests, a shared machine): at most this many events committed per second."""

    @staticmethod
    def units(env: Envelope) -> int:
        """How much work an envelope is, for admission: its items for the workers (≥ 1)."""
        return max(1, sum(1 for item in env.items if item.type in _WORKER_TYPES))

    @property
    def pool(self) -> Pool | None:
        return self._pool

    async def start(self) -> None:
        self._scrubbed = asyncio.Queue()
        self._committing = asyncio.Queue()
        pool = make_pool(self._workers, self._pii)
        await pool.start()
        pool.on_idle = self._flush
        self._pool = pool
        self._checkpointer = Checkpointer(self.store)
        await self._checkpointer.start()
        self._tasks = [
            asyncio.create_task(self._commit_loop(), name="relay-commit"),
            asyncio.create_task(self._publish_loop(), name="relay-publish"),
        ]

    async def stop(self) -> None:
        pool, self._pool = self._pool, None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if pool is not None:
            await pool.stop()
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            await checkpointer.stop()
        for p in self._buffer:
            _fail(p, IngestError("the relay is shutting down; retry shortly", 503))
        self._buffer, self._buffer_jobs = [], []

    # --- intake ---------------------------------------------------------------------
    async def submit(self, env: Envelope, service: str, project_id: int | None) -> str:
        """Queue one parsed envelope; returns its event id once committed."""
        if self._pool is None:
            raise IngestError("the relay is shutting down; retry shortly", 503)
        loop = asyncio.get_running_loop()
        pending = _Pending(env, service, project_id, loop.create_future())
        for index, item in enumerate(env.items):
            if item.type in _WORKER_TYPES:
                pending.jobs.append(index)
                self._buffer_jobs.append((item.type, service, project_id, item.payload))
        self._buffer.append(pending)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await pending.future

    def _flush(self) -> None:
        """Hand what is buffered to the free workers, split evenly; with none free, wait:
        the next worker to finish calls this again and takes the whole (larger) batch."""
        self._flush_scheduled = False
        pool = self._pool
        if not self._buffer or pool is None:
            return
        idle = pool.idle() if self._buffer_jobs else 1
        if idle == 0:
            if pool.alive() == 0:
                for p in self._buffer:
                    _fail(p, IngestError("no scrubbing worker is running; retry shortly", 503))
                self._buffer, self._buffer_jobs = [], []
            return
        batch, jobs = self._buffer, self._buffer_jobs
        self._buffer, self._buffer_jobs = [], []
        for chunk, chunk_jobs in _split(batch, jobs, idle):
            if chunk_jobs:
                fut = pool.dispatch(chunk_jobs)
            else:
                fut = asyncio.get_running_loop().create_future()
                fut.set_result([])
            fut.add_done_callback(lambda f, c=chunk: self._scrubbed.put_nowait((c, f)))

    # --- stages ---------------------------------------------------------------------
    async def _commit_loop(self) -> None:
        while True:
            ready = [await self._scrubbed.get()]  # in the order batches finish
            while not self._scrubbed.empty():  # and whatever else finished meanwhile
                ready.append(self._scrubbed.get_nowait())
            prepared: list[Prepared] = []
            for batch, fut in ready:
                prepared.extend(_prepared_of(batch, fut))
            if not prepared:
                continue
            if self._pace is not None:
                await self._pace.wait(sum(max(1, len(p.owner.jobs)) for p in prepared))
            self.batches += 1
            task = asyncio.ensure_future(
                self.store.transact(lambda c, b=prepared: commit_batch(c, b))
            )
            self._committing.put_nowait((prepared, task))

    async def _publish_loop(self) -> None:
        while True:
            prepared, task = await self._committing.get()
            try:
                published = await task
            except Exception as exc:
                for prep in prepared:
                    _fail(prep.owner, IngestError(f"database write failed ({exc}); retry", 503))
                continue
            if self._checkpointer is not None:
                self._checkpointer.written()
            self.events += sum(1 for prep in prepared for it in prep.items if it[2] is not None)
            if published:
                self._publish(published)
            for prep in prepared:
                pending: _Pending = prep.owner
                if not pending.future.done():
                    pending.future.set_result(pending.env.event_id or "")


class _Pacer:
    """Spaces commits so that at most `rate` events per second go through."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._free_at = 0.0

    async def wait(self, events: int) -> None:
        loop = asyncio.get_running_loop()
        start = max(loop.time(), self._free_at)
        self._free_at = start + events / self.rate
        delay = self._free_at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


def _prepared_of(batch: list[_Pending], fut: asyncio.Future[list[Result]]) -> list[Prepared]:
    """The envelopes of a scrubbed batch ready to commit; the others are answered now."""
    try:
        results = fut.result()
    except Exception as exc:
        for p in batch:
            _fail(p, IngestError(f"normalization worker failed ({exc}); retry", 503))
        return []
    prepared: list[Prepared] = []
    offset = 0
    for p in batch:
        p.results = results[offset : offset + len(p.jobs)]
        offset += len(p.jobs)
        bad = next((r for r in p.results if not r[0]), None)
        if bad is not None:
            _fail(p, IngestError(bad[1], 400))
            continue
        prepared.append(_prepare(p))
    return prepared


def _split(
    batch: list[_Pending], jobs: list[Job], parts: int
) -> Iterator[tuple[list[_Pending], list[Job]]]:
    """Up to `parts` runs of whole envelopes with about the same number of jobs each."""
    target = max(1, -(-len(jobs) // max(1, parts)))
    start = end = 0
    chunk: list[_Pending] = []
    for p in batch:
        chunk.append(p)
        end += len(p.jobs)
        if end - start >= target:
            yield chunk, jobs[start:end]
            chunk, start = [], end
    if chunk:
        yield chunk, jobs[start:end]


def _fail(p: _Pending, exc: Exception) -> None:
    if not p.future.done():
        p.future.set_exception(exc)


def _json_text(payload: bytes) -> str:
    """A pass-through item as one line of JSON (or a placeholder when it is not JSON)."""
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return json.dumps({"__sxtriage_dropped": f"{len(payload)} bytes of non-JSON payload"})
    return json.dumps(value, separators=(",", ":"))


def _prepare(p: _Pending) -> Prepared:
    """Build the stream items in the loop thread (cheap), ready for the commit job."""
    headers = dict(p.env.headers)
    headers["__sxtriage_service"] = p.service
    received = time.time()
    results = iter(p.results)
    items: list[ItemRow] = []
    for item in p.env.items:
        ih = {k: v for k, v in item.headers.items() if k != "length"}
        if item.type in _WORKER_TYPES:
            _ok, text, summary = next(results)
            if summary is not None and not summary.get("event_id"):
                summary["event_id"] = uuid.uuid4().hex
            items.append((ih, text, summary))
        elif item.type in DROPPED_TYPES:
            note = {"__sxtriage_dropped": f"{item.type} of {len(item.payload)} bytes not kept"}
            items.append((ih, json.dumps(note), None))
        else:
            items.append((ih, _json_text(item.payload), None))
    if p.env.event_id is None:
        first = next((s for _, _, s in items if s), None)
        if first is not None:
            p.env.headers["event_id"] = first["event_id"]
    header = json.dumps(headers, separators=(",", ":"))
    return Prepared(p.service, p.project_id, p.env.headers, header, items, received, p)
