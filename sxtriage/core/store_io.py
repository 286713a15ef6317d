"""What the session keeps in the store besides the outbox: the Sentry issue cache (a cold
start shows the newest known issues at once, the rest right after), the UI's preferences
and the audit log of alerts (the handoff report reads it)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Container, Iterable, Sequence
from typing import Any

from sxtriage.models import Issue, Source
from sxtriage.store import Op, Store, StoreError

log = logging.getLogger(__name__)
Cached = dict[Source, list[Issue]]
"""Cached issues per source, newest first."""
PREF_PREFIX = "ui."
FLUSH_SECONDS = 2.0
_UPSERT = (
    "INSERT INTO issues(source, id, service, status, last_seen, data) "
    "VALUES(?,?,?,?,?,?) ON CONFLICT(source, id) DO UPDATE SET "
    "service=excluded.service, status=excluded.status, "
    "last_seen=excluded.last_seen, data=excluded.data"
)


CACHE_FIRST = 500
"""Cached issues read before the first frame: a screen of rows and a wide margin."""
CACHE_SMALL_REST = 200
"""A rest this small is read with the first part (a few milliseconds; the issue list would
show that many late arrivals as new)."""
_CACHE_ROWS = "SELECT source, id, data FROM issues ORDER BY last_seen DESC, rowid DESC LIMIT ?"
"""Newest first; rowid breaks ties the way the index scan does, so both parts of a
`CacheLoad` read the same order."""


def _parse(rows: Iterable[Sequence[str]], skip: Container[tuple[str, str]] = ()) -> Cached:
    """Rows (source, id, data) → issues per source, in row order; a row whose key is in
    `skip` is not parsed, a row that no longer parses is left out (an older version's)."""
    by_source: Cached = {}
    for source, issue_id, data in rows:
        if (source, issue_id) in skip:
            continue
        try:
            issue = Issue.model_validate_json(data)
        except ValueError:
            continue
        by_source.setdefault(issue.source, []).append(issue)
    return by_source


def load_issues(store: Store, limit: int = 20_000) -> Cached:
    """The cached issues, newest first, per source, read at once; a row that no longer
    parses is skipped (written by an older version)."""
    return _parse(store.query_sync(_CACHE_ROWS, (limit,)))


class CacheLoad:
    """The issue cache of a cold start, read in two parts.

    `first()` reads the newest `first` issues at once, for the first frame; when more are
    cached, `rest()` reads and validates the others on a worker thread (neither SQLite nor
    pydantic runs on the event loop) — the same query, leaving out the issues already
    read, so both parts together are exactly what `load_issues` returns."""

    def __init__(self, store: Store, limit: int = 20_000, first: int = CACHE_FIRST) -> None:
        self.store = store
        self.limit = limit
        self.first_count = max(first, 0)
        self.pending = False
        """`first()` left issues for `rest()`."""
        self._read: frozenset[tuple[str, str]] = frozenset()
        self._rest: asyncio.Future[Cached] | None = None

    def first(self) -> Cached:
        """The newest issues (all of them when only a few more are cached)."""
        want = min(self.limit, self.first_count + CACHE_SMALL_REST + 1)
        rows = self.store.query_sync(_CACHE_ROWS, (want,))
        if len(rows) < want or want >= self.limit:
            return _parse(rows)
        head = rows[: self.first_count]
        self._read = frozenset((row[0], row[1]) for row in head)
        self.pending = True
        return _parse(head)

    async def rest(self) -> Cached:
        """The issues `first()` left, read once (every caller gets the same answer)."""
        if not self.pending:
            return {}
        if self._rest is None:
            self._rest = asyncio.ensure_future(self.store.read(self._read_rest))
        return await asyncio.shield(self._rest)

    def _read_rest(self, conn: sqlite3.Connection) -> Cached:
        return _parse(conn.execute(_CACHE_ROWS, (self.limit,)), self._read)


def cache_ops(issues: list[Issue]) -> list[Op]:
    return [
        (
            _UPSERT,
            (
                i.source.value,
                i.id,
                i.service,
                i.status.value,
                i.last_seen.timestamp(),
                i.model_dump_json(),
            ),
        )
        for i in issues
    ]


class Prefs:
    """Small JSON values under `ui.<key>` in the store's kv table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str, default: Any = None) -> Any:
        try:
            raw = self.store.get_kv(PREF_PREFIX + key)
        except sqlite3.Error as exc:  # a locked or damaged file: the default stands
            log.warning("preference %s not read: %s", key, exc)
            return default
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:  # the file was edited by hand: the default stands
            log.warning("preference %s is not JSON; using the default", key)
            return default

    async def set(self, key: str, value: Any) -> None:
        await self.store.set_kv(PREF_PREFIX + key, json.dumps(value))


class Writes:
    """Fire-and-forget store writes (cache, audit) that `flush` can still wait for.

    Called outside the event loop (a test building the session), writes wait in a
    backlog and go with the next one.  A failed write is logged, never raised: the
    screen must not stop for a cache row."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._backlog: list[Op] = []
        self._running: set[asyncio.Task[None]] = set()

    def add(self, ops: list[Op]) -> None:
        self._backlog.extend(ops)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        ops, self._backlog = self._backlog, []
        task = asyncio.create_task(self._write(ops))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _write(self, ops: list[Op]) -> None:
        try:
            await self.store.write_many(ops)
        except (StoreError, sqlite3.Error) as exc:
            log.warning("store write failed: %s", exc)

    async def flush(self) -> None:
        """Wait (2 s at most) for the writes under way."""
        if self._running:
            await asyncio.wait(list(self._running), timeout=FLUSH_SECONDS)
