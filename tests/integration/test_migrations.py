"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import pathlib
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import alembic_config, migrate
from coupon_service.adapters.tables import metadata
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.service.series import get_series


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_declared_tables(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine)  # Already at head: applying again must be a no-op.
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_counts_issued_before_the_counter_shards_survive_the_upgrade(
    tmp_path: pathlib.Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0002")
            await connection.execute(
                text("INSERT INTO orgs (id, name, created_at) VALUES (1, 'old', '2026-01-01')")
            )
            await connection.execute(
                text(
                    "INSERT INTO series (org_id, id, discount_type, code_source, coupon_validity,"
                    " num_issued, latest_issued_at, created_at) VALUES (1, 7, 'ABS', 'GENERATED',"
                    " 'SERIES_EXPIRY', 42, '2026-11-30 10:00:00.000000', '2026-01-01')"
                )
            )
        await migrate(engine)
        found = await get_series(SqlUnitOfWork(engine), 1, 7)
    finally:
        await engine.dispose()
    assert found.num_issued == 42
    assert found.latest_issued_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
