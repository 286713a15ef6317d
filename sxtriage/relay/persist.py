"""What the relay writes, inside one store transaction per batch (the writer thread).

For each envelope: the envelope row (its seq is the stream's event id), one row per
event (a retried event id is stored and counted once), the issue it groups into (short
id counter, counts, users affected) and streamed spans for the trace view.

`Checkpointer` keeps SQLite's WAL checkpoints off that path: an automatic checkpoint runs
inside the COMMIT that crosses its threshold (copying the WAL back into the database and
syncing both), so one batch in a few hundred waited for it, up to a second on a busy
disk, while every request behind it held its ticket.  The relay turns the automatic one
off on the writer's connection and checkpoints from a connection of its own, off the
writer thread, PASSIVE (never waiting for the writer or a reader).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sxtriage.relay import grouping
from sxtriage.store import Store, StoreError

ItemRow = tuple[dict[str, Any], str, dict[str, Any] | None]
"""(item header, item JSON text, summary for events)."""


class Checkpointer:
    """WAL checkpoints for the relay's store, at most every `interval` seconds of writes,
    on a thread of their own (SQLite releases the GIL meanwhile); the connection is
    opened, used and closed on that thread only, one call at a time."""

    AUTO_PAGES = 1000
    """SQLite's default automatic checkpoint threshold, restored on `stop`."""

    def __init__(self, store: Store, interval: float = 0.5) -> None:
        self.store = store
        self.interval = interval
        self.checkpoints = 0
        self._path: Path = store.path
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sxtriage-checkpoint")
        await self.store.transact(_set_autocheckpoint(0))
        self._task = asyncio.create_task(self._run(), name="relay-checkpoint")

    def written(self) -> None:
        """A batch was committed: the WAL has grown."""
        self._dirty.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(StoreError):
            await self.store.transact(_set_autocheckpoint(self.AUTO_PAGES))
        thread, self._thread = self._thread, None
        if thread is not None:
            # queued behind a checkpoint still running (cancelling its await did not stop it)
            await asyncio.get_running_loop().run_in_executor(thread, self._close)
            thread.shutdown(wait=False)

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            assert self._thread is not None
            with contextlib.suppress(sqlite3.Error):
                await asyncio.get_running_loop().run_in_executor(self._thread, self._checkpoint)
                self.checkpoints += 1
            await asyncio.sleep(self.interval)

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(
                self._path, timeout=0, check_same_thread=False, isolation_level=None
            )
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _set_autocheckpoint(pages: int) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA wal_autocheckpoint={int(pages)}").fetchall()

    return run


@dataclass(slots=True)
class Published:
    """One committed envelope, ready for the stream."""

    seq: int
    data: str
    issues: list[str]


@dataclass(slots=True)
class Prepared:
    """One envelope ready to commit: processed items and its stream header."""

    service: str
    project_id: int | None
    env_headers: dict[str, Any]
    header: str
    items: list[ItemRow]
    received: float
    owner: Any = None
    """The request waiting for this envelope's commit (the pipeline's, opaque here)."""


def commit_batch(conn: sqlite3.Connection, batch: list[Prepared]) -> list[Published]:
    """Runs on the store's writer thread inside one transaction."""
    out: list[Published] = []
    for prep in batch:
        service = prep.service
        kept: list[ItemRow] = []
        issues: dict[str, dict[str, Any]] = {}
        for ih, text, summary in prep.items:
            if summary is not None:
                exists = conn.execute(
                    "SELECT 1 FROM events WHERE event_id=?", (summary["event_id"],)
                ).fetchone()
                if exists:
                    continue  # a retried event: stored once, counted once
                if summary.get("issue_id"):
                    ih = dict(ih, __sxtriage_issue_id=summary["issue_id"])
                    issues[summary["issue_id"]] = _group(conn, service, summary, issues)
            kept.append((ih, text, summary))
        if not kept:
            continue
        body = ",".join(f"[{json.dumps(ih, separators=(',', ':'))},{text}]" for ih, text, _ in kept)
        data = f"[{prep.header},[{body}]]"
        cur = conn.execute(
            "INSERT INTO envelopes(received, service, project_id, data) VALUES (?,?,?,?)",
            (prep.received, service, prep.project_id, data),
        )
        seq = int(cur.lastrowid or 0)
        for ih, text, summary in kept:
            if summary is not None:
                _insert_event(conn, seq, service, summary, text, prep.received)
            elif ih.get("type") == "span":
                _insert_spans(conn, seq, service, prep.env_headers, text, prep.received)
        issue_texts = []
        for issue in issues.values():
            itext = json.dumps(issue, separators=(",", ":"))
            conn.execute(
                "INSERT INTO issues(source, id, service, status, last_seen, data, seq) "
                "VALUES ('relay',?,?,?,?,?,?) ON CONFLICT(source, id) DO UPDATE SET "
                "status=excluded.status, last_seen=excluded.last_seen, data=excluded.data, "
                "seq=excluded.seq",
                (issue["id"], service, issue["status"], prep.received, itext, seq),
            )
            issue_texts.append(itext)
        out.append(Published(seq, data, issue_texts))
    return out


def _group(
    conn: sqlite3.Connection,
    service: str,
    summary: dict[str, Any],
    batch_issues: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    issue_id = summary["issue_id"]
    issue = batch_issues.get(issue_id)
    if issue is None:
        row = conn.execute(
            "SELECT data FROM issues WHERE source='relay' AND id=?", (issue_id,)
        ).fetchone()
        issue = json.loads(row[0]) if row else None
    short = ""
    if issue is None:
        key = f"relay.shortid.{service}"
        row = conn.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        counter = int(row[0]) + 1 if row else 1
        conn.execute(
            "INSERT INTO kv(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, str(counter)),
        )
        short = grouping.short_id(service, counter)
    new_user = False
    if summary.get("user"):
        cur = conn.execute(
            "INSERT OR IGNORE INTO relay_issue_users(issue_id, user) VALUES (?, ?)",
            (issue_id, summary["user"]),
        )
        new_user = cur.rowcount == 1
    return grouping.apply_event(issue, summary, service=service, short=short, new_user=new_user)


def _insert_event(
    conn: sqlite3.Connection,
    seq: int,
    service: str,
    summary: dict[str, Any],
    text: str,
    received: float,
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO events(event_id, seq, service, issue_id, type, level, received, "
        "timestamp, trace_id, release, environment, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            summary["event_id"],
            seq,
            service,
            summary.get("issue_id"),
            summary["type"],
            summary["level"],
            summary.get("received") or received,
            summary.get("timestamp"),
            summary.get("trace_id"),
            summary.get("release"),
            summary.get("environment"),
            text,
        ),
    )


def _insert_spans(
    conn: sqlite3.Connection,
    seq: int,
    service: str,
    env_headers: dict[str, Any],
    text: str,
    received: float,
) -> None:
    """Streamed spans (v2 container) are kept for the trace view."""
    try:
        value = json.loads(text)
        spans = value.get("items") if isinstance(value, dict) else None
    except ValueError:
        return
    if not isinstance(spans, list) or not spans:
        return
    first = spans[0] if isinstance(spans[0], dict) else {}
    trace = env_headers.get("trace") if isinstance(env_headers.get("trace"), dict) else {}
    trace_id = first.get("trace_id") or trace.get("trace_id")
    conn.execute(
        "INSERT INTO events(event_id, seq, service, issue_id, type, level, received, "
        "timestamp, trace_id, release, environment, data) VALUES (?,?,?,NULL,'span',NULL,?,"
        "?,?,?,?,?)",
        (
            f"spans-{uuid.uuid4().hex}",
            seq,
            service,
            received,
            first.get("start_timestamp")
            if isinstance(first.get("start_timestamp"), float)
            else None,
            trace_id,
            trace.get("release"),
            trace.get("environment"),
            text,
        ),
    )
