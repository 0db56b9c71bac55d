"""GET /healthz and GET /readyz: no credentials, /healthz never asks the database, and /readyz
says what grpc.health.v1 Check says at the same moments: SERVING, NOT_SERVING while the
database does not answer or its schema is not this version's, and NOT_SERVING on shutdown."""

from __future__ import annotations

import asyncio
import pathlib
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from alembic.script import ScriptDirectory

from coupon_service.adapters.migrate import alembic_config
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from tests.e2e.helpers.openapi import assert_valid, response_schema
from tests.faults.conftest import (  # noqa: F401  (fixtures)
    StartService,
    demo_postgres,
    proxy,
    start_service,
    through,
)
from tests.faults.health import NOT_SERVING, SERVING, health
from tests.faults.tcp_proxy import TcpProxy

SERVING_JSON = {"status": "SERVING"}


@pytest.fixture
async def sqlite_service(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> AsyncIterator[tuple[RunningService, pathlib.Path]]:
    """The service on its own copy of the demo database, probing it every 0.1 s."""
    database = tmp_path / "health.db"
    shutil.copyfile(demo_database, database)
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}",
        grpc_port=0,
        http_port=0,
        metrics_port=0,
        health_check_seconds=0.1,
    )
    service = await start(settings)
    try:
        yield service, database
    finally:
        await service.stop(0)


async def _get(service: RunningService, path: str) -> httpx.Response:
    """A request with no credentials at all."""
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(f"http://127.0.0.1:{service.http_port}{path}")


async def _ready_becomes(service: RunningService, status: int, within_seconds: float = 10) -> dict:
    deadline = time.monotonic() + within_seconds
    while (response := await _get(service, "/readyz")).status_code != status:
        assert time.monotonic() < deadline, f"/readyz stayed {response.status_code}: {response}"
        await asyncio.sleep(0.05)
    assert_valid(response_schema("/readyz", status, "get"), response.json())  # As documented.
    return dict(response.json())


async def _grpc_health(service: RunningService) -> int:
    return await health(f"127.0.0.1:{service.grpc_port}")


async def _set_schema_revision(database: pathlib.Path, revision: str) -> None:
    """Another process's write: in a thread, as the probe's transaction needs the event loop
    to finish while this waits for its lock."""

    def write() -> None:
        db = sqlite3.connect(database, timeout=10)
        try:
            with db:
                db.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        finally:
            db.close()

    await asyncio.to_thread(write)


async def test_both_answer_serving_without_credentials(
    sqlite_service: tuple[RunningService, pathlib.Path],
) -> None:
    service, _ = sqlite_service

    for path in ("/healthz", "/readyz"):
        response = await _get(service, path)
        assert (response.status_code, response.json()) == (200, SERVING_JSON), path
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "no-store"
    assert await _grpc_health(service) == SERVING


async def test_a_schema_behind_this_version_is_not_ready_and_healthz_stays_up(
    sqlite_service: tuple[RunningService, pathlib.Path],
) -> None:
    service, database = sqlite_service
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_revision(script.get_current_head())
    assert isinstance(head.down_revision, str)

    await _set_schema_revision(database, head.down_revision)
    answer = await _ready_becomes(service, 503)
    assert answer == {
        "status": "NOT_SERVING",
        "reason": "the database is not migrated to this version (run `coupon-service migrate`)",
    }
    assert await _grpc_health(service) == NOT_SERVING
    healthz = await _get(service, "/healthz")
    assert (healthz.status_code, healthz.json()) == (200, SERVING_JSON)

    await _set_schema_revision(database, head.revision)
    assert await _ready_becomes(service, 200) == SERVING_JSON
    assert await _grpc_health(service) == SERVING


async def test_a_schema_from_a_newer_version_is_not_ready(
    sqlite_service: tuple[RunningService, pathlib.Path],
) -> None:
    service, database = sqlite_service

    await _set_schema_revision(database, "ffffffffffff")
    answer = await _ready_becomes(service, 503)
    assert answer["reason"] == "the database was migrated by a newer coupon-service"
    assert await _grpc_health(service) == NOT_SERVING


async def test_a_removed_database_file_is_not_ready(
    sqlite_service: tuple[RunningService, pathlib.Path], tmp_path: pathlib.Path
) -> None:
    service, database = sqlite_service

    database.rename(tmp_path / "moved-away.db")
    answer = await _ready_becomes(service, 503)
    assert answer["status"] == "NOT_SERVING" and answer["reason"]
    assert await _grpc_health(service) == NOT_SERVING
    assert (await _get(service, "/healthz")).status_code == 200


async def test_shutting_down_is_not_ready_on_both_doors(
    sqlite_service: tuple[RunningService, pathlib.Path],
) -> None:
    service, _ = sqlite_service
    assert service.readiness is not None

    # The first step of RunningService.stop, taken alone so both doors are still open.
    await service.readiness.stop()
    response = await _get(service, "/readyz")
    assert (response.status_code, response.json()) == (
        503,
        {"status": "NOT_SERVING", "reason": "shutting down"},
    )
    assert await _grpc_health(service) == NOT_SERVING
    assert (await _get(service, "/healthz")).status_code == 200


@pytest.mark.postgres
async def test_postgresql_going_away_is_not_ready_then_ready_again(
    demo_postgres: str,  # noqa: F811
    proxy: TcpProxy,  # noqa: F811
    start_service: StartService,  # noqa: F811
) -> None:
    service = await start_service(through(demo_postgres, proxy))
    assert (await _get(service, "/readyz")).status_code == 200
    assert await _grpc_health(service) == SERVING

    await proxy.cut()
    answer = await _ready_becomes(service, 503)
    assert answer["status"] == "NOT_SERVING" and answer["reason"]
    assert await _grpc_health(service) == NOT_SERVING
    assert (await _get(service, "/healthz")).status_code == 200

    await proxy.restore()
    assert await _ready_becomes(service, 200) == SERVING_JSON
    assert await _grpc_health(service) == SERVING
