"""Shared fixtures: a real SQLite file and a real PostgreSQL database, each migrated once."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import migrate
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.service.orgs import ensure_org

pytest_plugins = ["tests.pii_guard"]  # The run fails if a log record shows test personal data.

PG_ADMIN_URL = os.environ.get("COUPON_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _migrated(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end.

    Without a server the PostgreSQL tests skip locally, but fail in CI (CI=true): there they
    must run.
    """
    name = f"coupon_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_create_database(PG_ADMIN_URL, name))
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL at {PG_ADMIN_URL} is not available: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    rendered = url.render_as_string(hide_password=False)
    asyncio.run(_migrated(rendered))
    yield rendered
    asyncio.run(_drop_database(PG_ADMIN_URL, name))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated SQLite file for the session; tests keep apart by using their own org."""
    path = tmp_path_factory.mktemp("sqlite") / "coupon.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(_migrated(url))
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs twice: on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def uow(db_url: str) -> AsyncIterator[SqlUnitOfWork]:
    engine = create_engine(db_url)
    try:
        yield SqlUnitOfWork(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def org_id(uow: SqlUnitOfWork) -> int:
    """A new organisation per test, so tests sharing a database never see each other's data."""
    return await ensure_org(uow, f"test-{uuid.uuid4().hex[:16]}")
