"""Services whose database a test can take away: a fresh PostgreSQL database with the demo
data per test (reachable directly, or through a proxy the test cuts), and helpers to call them."""

from __future__ import annotations

import pathlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from tests.conftest import PG_ADMIN_URL, _create_database, _drop_database
from tests.e2e.conftest import _load_demo

from .tcp_proxy import TcpProxy

StartService = Callable[..., Awaitable[RunningService]]


@pytest.fixture
async def demo_postgres(postgres_url: str) -> AsyncIterator[str]:
    """A PostgreSQL database of its own with the demo data (postgres_url proves the server is
    there, and fails the test in CI when it is not)."""
    name = f"coupon_faults_{uuid.uuid4().hex[:12]}"
    await _create_database(PG_ADMIN_URL, name)
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        await _load_demo(url)
        yield url
    finally:
        await _drop_database(PG_ADMIN_URL, name)


@pytest.fixture
async def demo_sqlite(tmp_path: pathlib.Path) -> pathlib.Path:
    """A SQLite file of its own with the demo data."""
    path = tmp_path / "faults.db"
    await _load_demo(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    admin = make_url(PG_ADMIN_URL)
    opened = await TcpProxy(admin.host or "127.0.0.1", admin.port or 5432).start()
    try:
        yield opened
    finally:
        await opened.cut()


def through(url: str, proxy: TcpProxy) -> str:
    """The same database, reached through the proxy."""
    proxied = make_url(url).set(host="127.0.0.1", port=proxy.port)
    return proxied.render_as_string(hide_password=False)


@pytest.fixture
async def start_service() -> AsyncIterator[StartService]:
    """Starts services on free ports (with fast health checks) and stops them all at the end."""
    running: list[RunningService] = []

    async def started(db_url: str, **settings: object) -> RunningService:
        options: dict[str, object] = {"health_check_seconds": 0.1, **settings}
        service = await start(
            Settings(db_url=db_url, grpc_port=0, http_port=0, metrics_port=0, **options)
        )  # type: ignore[arg-type]
        running.append(service)
        return service

    yield started
    for service in running:
        await service.stop(0)


async def terminate_backends(database: str) -> int:
    """Ends every session on `database` but this one, as an operator or a failover would."""
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        ended = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await connection.close()
    return sum(1 for row in ended if row[0])
