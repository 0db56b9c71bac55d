"""Background checkpoints: the WAL is copied back while the writer keeps writing, so it starts
over instead of growing, and no transaction pays for the copy."""

from __future__ import annotations

import os
import pathlib
import sqlite3
import time

from coupon_service.adapters.sqlite_checkpoints import WalCheckpointer


def _write(db: sqlite3.Connection, start: int) -> None:
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO t VALUES (?, ?)", [(i, "x" * 200) for i in range(start, start + 2000)]
    )
    db.execute("COMMIT")


def _wal_bytes(path: pathlib.Path) -> int:
    return os.path.getsize(f"{path}-wal")


def _writer(path: pathlib.Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")  # Only the background thread checkpoints.
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT)")
    return db


def test_the_wal_starts_over_once_the_thread_has_copied_it_back(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "checkpointed.db"
    db = _writer(path)
    _write(db, 0)
    first = _wal_bytes(path)
    checkpoints = WalCheckpointer(str(path), interval_seconds=0.02).start()
    try:
        time.sleep(0.3)
        _write(db, 2000)
        after = _wal_bytes(path)
    finally:
        checkpoints.stop()
        db.close()  # The last connection to close removes the WAL.
    assert after <= first * 1.1  # Written from the start again, not appended.


def test_without_the_thread_the_same_writes_grow_the_wal(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "unchecked.db"
    db = _writer(path)
    _write(db, 0)
    first = _wal_bytes(path)
    time.sleep(0.05)
    _write(db, 2000)
    after = _wal_bytes(path)
    db.close()
    assert after > first * 1.5
