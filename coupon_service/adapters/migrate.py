"""Applies the Alembic migrations: on start, and by `coupon-service migrate`."""

from __future__ import annotations

import pathlib

from alembic import command
from alembic.config import Config
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


async def migrate(engine: AsyncEngine) -> None:
    """Brings the schema to the newest revision, in one transaction."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
