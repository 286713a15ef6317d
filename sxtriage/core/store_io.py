"""What the session keeps in the store besides the outbox: the Sentry issue cache (a cold
start shows the last known issues at once), the UI's preferences and the audit log of
alerts (the handoff report reads it)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from typing import Any

from sxtriage.models import Issue, Source
from sxtriage.store import Op, Store, StoreError

log = logging.getLogger(__name__)
PREF_PREFIX = "ui."
FLUSH_SECONDS = 2.0
_UPSERT = (
    "INSERT INTO issues(source, id, service, status, last_seen, data) "
    "VALUES(?,?,?,?,?,?) ON CONFLICT(source, id) DO UPDATE SET "
    "service=excluded.service, status=excluded.status, "
    "last_seen=excluded.last_seen, data=excluded.data"
)


def load_issues(store: Store, limit: int = 20_000) -> dict[Source, list[Issue]]:
    """The cached issues, newest first, per source; a row that no longer parses is skipped
    (written by an older version)."""
    rows = store.query_sync("SELECT data FROM issues ORDER BY last_seen DESC LIMIT ?", (limit,))
    by_source: dict[Source, list[Issue]] = {}
    for row in rows:
        try:
            issue = Issue.model_validate_json(row[0])
        except ValueError:
            continue
        by_source.setdefault(issue.source, []).append(issue)
    return by_source


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
