"""The readiness probe: the database answers, and its schema is the one this version migrates to."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from ..service.unit_of_work import StoreUnavailable
from .database import ping
from .migrate import SchemaState, schema_state
from .store_errors import raise_store_failure


async def database_ready(engine: AsyncEngine) -> None:
    """Raises StoreUnavailable when the database does not answer, or answers with a schema this
    version cannot serve (not migrated, or migrated by a newer version)."""
    await ping(engine)
    try:
        state = await schema_state(engine)
    except Exception as error:  # The database went away between the two questions.
        raise_store_failure(error, before_commit=True)
    if state is not SchemaState.CURRENT:
        raise StoreUnavailable(f"the database {state.value}")
