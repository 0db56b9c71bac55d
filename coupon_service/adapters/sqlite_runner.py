"""Running a batch on SQLite: the whole transaction in one call into the driver's own thread.

SQLite itself needs microseconds per statement. Through SQLAlchemy's async layer each statement
was a round trip from the event loop into aiosqlite's thread and back, and between two of them
the loop served other calls while the connection, SQLite's only writer, waited: the profile
showed the write lock held 93 % of the time for 2 % of work. So a batch (issuing, sqlite_batch.py;
redeeming, sqlite_redemptions.py) runs as plain synchronous code on the sqlite3 connection
inside aiosqlite's worker thread, from BEGIN IMMEDIATE to COMMIT. The connection is still the
single one of SQLAlchemy's pool, so batches, management calls and migrations keep taking turns
on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from .store_errors import raise_store_failure

_Result = TypeVar("_Result")
_Store = TypeVar("_Store")


def to_text(moment: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DateTime stores: naive UTC with microseconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


class _CommitFailed(Exception):
    """COMMIT itself failed: unlike a failure before it, the work must not simply be rerun."""


def _in_transaction(
    db: sqlite3.Connection,
    work: Callable[[_Store], _Result],
    store: Callable[[sqlite3.Connection], _Store],
) -> _Result:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(store(db))
        try:
            db.execute("COMMIT")
        except sqlite3.Error as error:
            raise _CommitFailed() from error
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return result


async def run_sqlite_batch(
    engine: AsyncEngine,
    work: Callable[[_Store], _Result],
    store: Callable[[sqlite3.Connection], _Store],
) -> _Result:
    """Runs `work` on `store` in one transaction, in the worker thread of the pool's aiosqlite
    connection."""
    try:
        async with engine.connect() as connection:
            pooled = await connection.get_raw_connection()
            driver = pooled.driver_connection  # The aiosqlite.Connection.
            # aiosqlite runs every call of a connection as a function queued to its thread;
            # `_execute` queues ours, and `_conn` is the sqlite3 connection that thread owns.
            db = driver._conn  # type: ignore[union-attr]
            result: _Result = await driver._execute(lambda: _in_transaction(db, work, store))  # type: ignore[union-attr]
            return result
    except _CommitFailed as failed:
        raise_store_failure(failed.__cause__ or failed, before_commit=False)
    except Exception as error:
        raise_store_failure(error, before_commit=True)
