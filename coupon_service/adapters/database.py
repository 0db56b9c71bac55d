"""Engines for SQLite (aiosqlite) and PostgreSQL (asyncpg), tuned for short write transactions."""

from __future__ import annotations

import os
import pathlib
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..service.unit_of_work import StoreUnavailable
from .migrate import SchemaState, schema_state
from .store_errors import raise_store_failure

# For callers without settings (tests, scripts); the service passes its setting.
SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_SECONDS = 5.0
PG_POOL_TIMEOUT_SECONDS = 10.0  # Waiting for a free connection of the pool.
# The identity (device, inode) of the file each SQLite engine's connection opened.
_sqlite_files: weakref.WeakKeyDictionary[Engine, tuple[int, int] | None] = (
    weakref.WeakKeyDictionary()
)


def normalise_url(raw: str) -> URL:
    """Accepts plain `sqlite:///` and `postgresql://` URLs and picks the async driver."""
    url = make_url(raw)
    if url.get_backend_name() == "sqlite" and url.drivername != "sqlite+aiosqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    elif url.get_backend_name() in ("postgresql", "postgres") and url.drivername not in (
        "postgresql+asyncpg",
    ):
        url = url.set(drivername="postgresql+asyncpg")
    return url


def create_engine(
    raw_url: str, *, pool_size: int = 10, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> AsyncEngine:
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, sqlite_busy_timeout_ms)
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        hide_parameters=True,
        # A connection the server closed while it sat in the pool (a restart, a failover,
        # pg_terminate_backend) is replaced at checkout instead of failing the call that
        # drew it: one short round trip per checkout, a batch of calls per round trip.
        pool_pre_ping=True,
        # A server that does not answer at all (a dropped route, a frozen host) must fail a
        # call within its caller's deadline, not after asyncpg's default minute.
        connect_args={"timeout": PG_CONNECT_TIMEOUT_SECONDS},
        pool_timeout=PG_POOL_TIMEOUT_SECONDS,
    )


def _sqlite_engine(url: URL, busy_timeout_ms: int) -> AsyncEngine:
    # One connection: SQLite takes one writer at a time anyway, and queueing writers in the
    # pool was measured far faster at the tail than letting them fight for the file lock.
    engine = create_async_engine(
        url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,
        hide_parameters=True,
        pool_reset_on_return=None,  # See _on_reset.
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, instead of the driver's deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
            "PRAGMA foreign_keys=ON",
            # The coupon table's indexes outgrow the default 2 MB page cache at a few hundred
            # thousand codes; 64 MB keeps inserts into millions of rows off the file.
            "PRAGMA cache_size=-65536",
            # While serving, checkpoints run in a thread of their own (sqlite_checkpoints.py).
            # The writer's own only bounds the WAL when that thread is not running, and then
            # every 40 MB instead of every 4 MB: a batch of random codes dirties pages all over
            # the code index, and each checkpoint writes them back and syncs (measured: a third
            # faster into millions of rows). The file is cut back to 64 MB after each.
            "PRAGMA wal_autocheckpoint=10000",
            "PRAGMA journal_size_limit=67108864",
        ):
            cursor.execute(pragma)
        cursor.close()
        if url.database and url.database != ":memory:" and engine.sync_engine not in _sqlite_files:
            _sqlite_files[engine.sync_engine] = _file_identity(url.database)  # The first file.

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred BEGIN that reads and then writes fails at once with "database is locked"
        # when another process writes; taking the write lock up front makes it wait instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        # The pool's own reset is a ROLLBACK on every return: one more trip into aiosqlite's
        # thread per issuing batch, which under load cost a third of the throughput. Every
        # transaction here ends in COMMIT or ROLLBACK already, so only a connection still
        # inside one is rolled back. (`_connection._conn` is the sqlite3 connection, as
        # SQLAlchemy's own aiosqlite adapter reaches it; reading its state is thread-safe.)
        if dbapi_connection._connection._conn.in_transaction:
            dbapi_connection.rollback()

    return engine


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def check_sqlite_file(engine: AsyncEngine) -> None:
    """Raises StoreUnavailable when the SQLite file the connection opened is gone or another
    file has taken its path: SQLite would go on writing into the removed file, and everything
    written there would be lost with the process."""
    opened = _sqlite_files.get(engine.sync_engine)
    if opened is not None and _file_identity(engine.url.database or "") != opened:
        raise StoreUnavailable(
            "the SQLite database file was removed or replaced while the service had it open"
        )


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


async def ping(engine: AsyncEngine) -> None:
    """Asks the database for a trivial answer; raises StoreUnavailable when it gives none."""
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
        if is_sqlite(engine):
            check_sqlite_file(engine)
    except Exception as error:
        raise_store_failure(error, before_commit=True)


class DatabaseUnusable(Exception):
    """The configured database cannot be used, and waiting will not change that: a missing
    file or folder, a file that is not a database, a database that does not exist or is not
    migrated, refused credentials. The message is one line naming it."""


_SQLITE_HEADER = b"SQLite format 3\x00"


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return f"database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"


def _check_sqlite_path(url: URL, *, must_exist: bool) -> None:
    if not url.database or url.database == ":memory:":
        return
    path = pathlib.Path(url.database)
    if not path.parent.is_dir():
        raise DatabaseUnusable(f"COUPON_DB_URL: the folder {path.parent} does not exist")
    if not path.exists():
        if must_exist:
            raise DatabaseUnusable(
                f"no database at {path}: `coupon-service migrate` (or `serve`) creates one"
            )
        return
    try:
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise DatabaseUnusable(f"cannot read {path}: {error.strerror}") from None
    if header and header != _SQLITE_HEADER:
        raise DatabaseUnusable(f"{path} is not a SQLite database")


def _first_line(error: BaseException) -> str:
    """What the deepest cause of `error` says, on one line."""
    deepest = error
    while (wrapped := getattr(deepest, "orig", None) or deepest.__cause__) is not None:
        deepest = wrapped
    return (str(deepest).strip().splitlines() or [type(deepest).__name__])[0]


async def first_contact(engine: AsyncEngine) -> None:
    """Pings a newly created engine. Raises StoreUnavailable for what may pass (a server not
    up yet) and DatabaseUnusable for what will not (no such database, wrong password)."""
    try:
        await ping(engine)
    except StoreUnavailable:
        raise
    except Exception as error:
        raise DatabaseUnusable(f"{_where(engine.url)}: {_first_line(error)}") from error


def prepare(raw_url: str, *, must_exist: bool, **options: Any) -> AsyncEngine:
    """An engine for `raw_url` after the checks that need no connection; with `must_exist`,
    a SQLite file that is not there is refused rather than created."""
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        _check_sqlite_path(url, must_exist=must_exist)
    return create_engine(raw_url, **options)


async def open_or_create(raw_url: str, **options: Any) -> AsyncEngine:
    """An engine on a database that answers; a SQLite file is created if missing."""
    engine = prepare(raw_url, must_exist=False, **options)
    try:
        await first_contact(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def open_existing(raw_url: str, **options: Any) -> AsyncEngine:
    """An engine on a database that exists and is migrated to this version: for the admin
    commands, which must never create an empty database for a mistyped URL."""
    engine = prepare(raw_url, must_exist=True, **options)
    try:
        await first_contact(engine)
        state = await schema_state(engine)
        if state is not SchemaState.CURRENT:
            raise DatabaseUnusable(f"the {_where(engine.url)} {state.value}")
    except BaseException:
        await engine.dispose()
        raise
    return engine
