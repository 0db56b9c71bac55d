"""Which database failures mean "the store is unavailable, retry": one table for both drivers.

Everything the service does with the database, through SQLAlchemy or on the raw driver
connection, turns a failure into StoreUnavailable (or StoreConflict) here, so the doors have
one thing to answer UNAVAILABLE / 503 for. What is not listed (a constraint the repositories
did not expect, an SQL error) is a bug and stays what it is.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from typing import NoReturn

import asyncpg
from sqlalchemy import exc as sa_exc

from ..service.unit_of_work import StoreConflict, StoreUnavailable

# SQLSTATEs that say "this transaction was given up; the same transaction may well succeed".
_CONFLICT_STATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
}
# SQLSTATE classes and codes that say the server could not do the work just now.
_UNAVAILABLE_CLASSES = (
    "08",  # connection_exception
    "53",  # insufficient_resources: too many connections, disk full, out of memory
    "58",  # system_error: I/O
)
_UNAVAILABLE_STATES = {
    "57P01",  # admin_shutdown: pg_terminate_backend, or the server stopping
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now: the server is starting up or shutting down
    "57014",  # query_canceled: a statement timeout
    "55P03",  # lock_not_available: a lock timeout
    "25P03",  # idle_in_transaction_session_timeout
}
# What SQLite says when the file cannot be used just now: locked past busy_timeout, a disk
# that fails or is full, a file that vanished, was made read-only or replaced by another.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "unable to open database file",
    "readonly database",
    "database or disk is full",
    "database disk image is malformed",
    "file is not a database",
    "no such table",
)
_DRIVER_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable host, DNS
    TimeoutError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # "connection is closed", "another operation is in progress"
    # A protocol left in a state it cannot leave: seen on connections the server terminated
    # in the middle of a statement.
    asyncpg.InternalClientError,
    sa_exc.TimeoutError,  # no connection came free in the pool in time
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, and what it wraps: SQLAlchemy's `orig` and every explicit `__cause__`."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__


def _sqlstate(error: BaseException) -> str:
    state = getattr(error, "sqlstate", None)
    return state if isinstance(state, str) else ""


def store_failure(error: BaseException) -> StoreUnavailable | None:
    """The StoreUnavailable (or StoreConflict) `error` means, or None when it is not one."""
    if isinstance(error, StoreUnavailable):
        return error
    for cause in _chain(error):
        state = _sqlstate(cause)
        if state in _CONFLICT_STATES:
            return StoreConflict(f"the database gave up on the transaction ({state})")
        if state in _UNAVAILABLE_STATES or state.startswith(_UNAVAILABLE_CLASSES):
            return StoreUnavailable(f"the database could not do the work ({state})")
        if isinstance(cause, sqlite3.DatabaseError) and any(
            phrase in str(cause).lower() for phrase in _SQLITE_UNAVAILABLE
        ):
            return StoreUnavailable(f"SQLite could not do the work: {cause}")
        if isinstance(cause, _DRIVER_UNAVAILABLE):
            return StoreUnavailable(f"the database could not be reached: {type(cause).__name__}")
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return StoreUnavailable("the database connection was lost")
    return None


def raise_store_failure(error: BaseException, *, before_commit: bool) -> NoReturn:
    """Raises the StoreUnavailable `error` means, or `error` itself when it is not one."""
    failure = store_failure(error)
    if failure is None:
        raise error
    failure.before_commit = before_commit
    raise failure from error
