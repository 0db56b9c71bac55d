"""Running a batch on PostgreSQL: the batch's steps are plain synchronous code (the same code
SQLite runs in its driver thread); here they run in a greenlet, the bridge SQLAlchemy's own
`AsyncConnection.run_sync` uses, each statement awaited on the event loop, all in one
transaction on the asyncpg connection of a pooled connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from .store_errors import raise_store_failure

_Result = TypeVar("_Result")
_Store = TypeVar("_Store")
_CONNECTION_LOST = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


async def run_postgres_batch(
    engine: AsyncEngine,
    work: Callable[[_Store], _Result],
    store: Callable[[asyncpg.Connection], _Store],
) -> _Result:
    """Runs `work` on `store` in one transaction on a connection of the engine's pool."""
    committing = False
    try:
        async with engine.connect() as connection:
            pooled = await connection.get_raw_connection()
            driver: asyncpg.Connection = pooled.driver_connection
            try:
                async with driver.transaction():
                    result = await greenlet_spawn(work, store(driver))
                    committing = True  # Leaving the block sends COMMIT.
            except _CONNECTION_LOST as error:
                pooled.invalidate(error)  # A broken connection must not go back into the pool.
                raise
            return result
    except Exception as error:
        raise_store_failure(error, before_commit=not committing)
