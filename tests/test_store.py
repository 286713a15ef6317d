"""Migrations up from empty, batched writes, atomicity per writer, unusable data dir."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from sxtriage.store import MIGRATIONS, Store, StoreError


def test_migrates_up_from_empty(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    try:
        assert store.schema_version == len(MIGRATIONS)
        tables = {
            r[0] for r in store.query_sync("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert {"events", "issues", "outbox", "audit", "envelopes", "tickets", "kv"} <= tables
        mode = store.query_sync("PRAGMA journal_mode")[0][0]
        assert mode == "wal"
    finally:
        store.close()
    # reopening is a no-op migration
    again = Store(tmp_path / "a.db")
    assert again.schema_version == len(MIGRATIONS)
    again.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this sxtriage"):
        Store(path)


async def test_concurrent_writes_are_group_committed(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    try:
        await asyncio.gather(
            *(
                store.write("INSERT INTO kv(key, value) VALUES(?, ?)", (f"k{i}", "v"))
                for i in range(500)
            )
        )
        rows = await store.query("SELECT count(*) FROM kv")
        assert rows[0][0] == 500
        assert store.batches < 500  # several writers shared a commit
    finally:
        store.close()


async def test_a_failing_writer_fails_alone_and_half_writes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db")
    try:
        await store.set_kv("x", "1")
        good = store.write("INSERT INTO kv(key, value) VALUES('y', '2')")
        bad = store.write_many(
            [
                ("INSERT INTO kv(key, value) VALUES('z', '3')", ()),
                ("INSERT INTO kv(key, value) VALUES('x', 'dup')", ()),
            ]
        )
        results = await asyncio.gather(good, bad, return_exceptions=True)
        assert results[0] is None
        assert isinstance(results[1], sqlite3.IntegrityError)
        keys = {r[0] for r in await store.query("SELECT key FROM kv")}
        assert keys == {"x", "y"}  # 'z' rolled back with its failing sibling
    finally:
        store.close()


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    with pytest.raises(StoreError) as info:
        Store(blocker / "sub" / "x.db")
    assert "--data-dir" in str(info.value)
    assert "\n" not in str(info.value)


def test_kv_roundtrip_sync(tmp_path: Path) -> None:
    store = Store(tmp_path / "e.db")
    try:
        store.set_kv_sync("theme", "sxtriage-light")
        assert store.get_kv("theme") == "sxtriage-light"
        assert store.get_kv("missing", "d") == "d"
    finally:
        store.close()
