"""SQLite store (WAL): events, issues, outbox, audit — writes batched on one thread.

All writes go through one writer thread that drains its queue and commits whole
batches (group commit): an `await store.write(...)` returns only once its statements
are durable.  Each caller's statements run inside their own SAVEPOINT, so one bad
write fails alone and never half-applies.  Reads run in worker threads with their own
connections, so the event loop never touches SQLite.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Op = tuple[str, Sequence[Any] | dict[str, Any]]

MIGRATIONS: list[str] = [
    # 1: the base schema
    """
    CREATE TABLE envelopes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        received REAL NOT NULL,
        service TEXT,
        project_id INTEGER,
        data TEXT NOT NULL
    );
    CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        seq INTEGER,
        service TEXT NOT NULL,
        issue_id TEXT,
        type TEXT NOT NULL,
        level TEXT,
        received REAL NOT NULL,
        timestamp REAL,
        trace_id TEXT,
        release TEXT,
        environment TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX events_issue ON events(issue_id, received);
    CREATE INDEX events_trace ON events(trace_id);
    CREATE INDEX events_received ON events(received);
    CREATE TABLE issues (
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        service TEXT NOT NULL,
        status TEXT NOT NULL,
        last_seen REAL NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (source, id)
    );
    CREATE INDEX issues_last_seen ON issues(last_seen);
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        action TEXT NOT NULL,
        undo TEXT
    );
    CREATE INDEX outbox_state ON outbox(state, created);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        action_id TEXT,
        target TEXT,
        detail TEXT
    );
    CREATE INDEX audit_ts ON audit(ts);
    CREATE TABLE tickets (
        source TEXT NOT NULL,
        issue_id TEXT NOT NULL,
        url TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (source, issue_id)
    );
    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: relay — issue change order for stream replay, distinct users per relay issue
    """
    ALTER TABLE issues ADD COLUMN seq INTEGER;
    CREATE INDEX issues_seq ON issues(seq);
    CREATE TABLE relay_issue_users (
        issue_id TEXT NOT NULL,
        user TEXT NOT NULL,
        PRIMARY KEY (issue_id, user)
    ) WITHOUT ROWID;
    """,
]


class StoreError(Exception):
    """The data directory or database cannot be used; the message says why and the fix."""


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the version reached."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(
            f"database schema v{version} is newer than this sxtriage (v{len(MIGRATIONS)}); "
            "upgrade sxtriage or use another --data-dir"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in script.split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


@dataclass
class _Job:
    ops: list[Op]
    fn: Callable[[sqlite3.Connection], Any] | None
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | None
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


_STOP = object()


class Store:
    """One SQLite database; safe to share between the event loop and threads."""

    def __init__(self, path: Path, *, max_batch: int = 512) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = _connect(self.path)
            migrate(self._conn)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the database {self.path} ({exc}); "
                "check the data dir is writable or pass --data-dir DIR"
            ) from None
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._local = threading.local()
        self._closed = False
        self.batches = 0
        self.writes = 0
        self._thread = threading.Thread(target=self._writer, name="sxtriage-store", daemon=True)
        self._thread.start()

    # --- writing ----------------------------------------------------------------------
    async def write(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
        await self.write_many([(sql, params)])

    async def write_many(self, ops: Iterable[Op]) -> None:
        """Run the statements atomically; returns once they are committed."""
        await self._submit(list(ops), None)

    async def transact(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on the writer thread inside the batch; its return value comes back."""
        return await self._submit([], fn)

    async def _submit(self, ops: list[Op], fn: Callable[[sqlite3.Connection], Any] | None) -> Any:
        if self._closed:
            raise StoreError("the store is closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Job(ops, fn, loop, fut))
        return await fut

    def write_sync(self, ops: Iterable[Op]) -> None:
        """Blocking variant for command-line code that has no event loop."""
        self.transact_sync(lambda c: [c.execute(s, p) for s, p in ops])

    def transact_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        job = _Job([], fn, None, None)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _writer(self) -> None:
        conn = self._conn
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Job] = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._run_batch(conn, batch)
            if stop:
                return

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for job in batch:
                job.error = StoreError(f"database busy or unwritable: {exc}")
            self._finish(batch)
            return
        for job in batch:
            try:
                conn.execute("SAVEPOINT job")
                for sql, params in job.ops:
                    conn.execute(sql, params)
                if job.fn is not None:
                    job.result = job.fn(conn)
                conn.execute("RELEASE job")
                self.writes += 1
            except BaseException as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                job.error = exc
        try:
            conn.execute("COMMIT")
            self.batches += 1
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            for job in batch:
                if job.error is None:
                    job.error = StoreError(f"commit failed: {exc}")
        self._finish(batch)

    @staticmethod
    def _finish(batch: list[_Job]) -> None:
        for job in batch:
            if job.loop is not None and job.future is not None:
                job.loop.call_soon_threadsafe(_resolve, job.future, job.result, job.error)
            job.done.set()

    # --- reading ----------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return fn(self._reader())

    def query_sync(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        return self._reader().execute(sql, params).fetchall()

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self.read_sync, fn)

    async def query(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        return await asyncio.to_thread(self.query_sync, sql, params)

    # --- small helpers ----------------------------------------------------------------
    def get_kv(self, key: str, default: str | None = None) -> str | None:
        row = self._reader().execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    async def set_kv(self, key: str, value: str) -> None:
        await self.write(
            "INSERT INTO kv(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def set_kv_sync(self, key: str, value: str) -> None:
        self.write_sync(
            [
                (
                    "INSERT INTO kv(key, value) VALUES(?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                    (key, value),
                )
            ]
        )

    @property
    def schema_version(self) -> int:
        return self._reader().execute("PRAGMA user_version").fetchone()[0]

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout=10)
        self._conn.close()


def _resolve(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if fut.done():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)


def now() -> float:
    return time.time()
