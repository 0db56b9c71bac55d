"""Applies the Alembic migrations: on start, and by `coupon-service migrate`."""

from __future__ import annotations

import enum
import functools
import pathlib

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = pathlib.Path(__file__).parent / "migrations"
# Any fixed number: replicas starting together take turns to migrate.
_MIGRATION_LOCK_ID = 0x636F75706F6E


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class SchemaState(enum.Enum):
    """Where a database stands against the migrations this version carries."""

    EMPTY = "has no coupon-service tables"
    BEHIND = "is not migrated to this version (run `coupon-service migrate`)"
    AHEAD = "was migrated by a newer coupon-service"
    CURRENT = "is current"


@functools.cache
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The heads and every revision this version carries: read once (the readiness probe asks
    every second, and reading the scripts costs ten times the query)."""
    script = ScriptDirectory.from_config(alembic_config())
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return frozenset(script.get_heads()), known


def _state(connection: Connection) -> SchemaState:
    current = set(MigrationContext.configure(connection).get_current_heads())
    if not current:
        return SchemaState.EMPTY
    heads, known = _revisions()
    if current == heads:
        return SchemaState.CURRENT
    return SchemaState.BEHIND if current <= known else SchemaState.AHEAD


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """Reads the database's migration revision; writes nothing."""
    async with engine.connect() as connection:
        return await connection.run_sync(_state)


async def migrate(engine: AsyncEngine) -> None:
    """Brings the schema to the newest revision, in one transaction."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
