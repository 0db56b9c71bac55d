"""A key revoked while two replicas serve it: refused on both, on both doors, within a second.

Each replica keeps what it read of a key for up to a second (so a call needs no second
transaction); this is the promise that buys, across replicas on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import pathlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import httpx
import pytest

from coupon.v1 import series_service_pb2, series_service_pb2_grpc
from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import migrate
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.domain.credentials import BAD_KEY, Scope
from coupon_service.service.auth import NewKey, create_key, create_org, revoke_key
from tests.revocation import REVOKED_WITHIN_SECONDS, seconds_until_refused

# Authenticated, then turned away for an unknown customer (701): nothing is issued.
NOBODY = {"seriesId": 2**40, "count": 1, "customer": {"mobile": "919900000001"}}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def replicas_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path}/revocation.db"


@pytest.fixture
async def store(replicas_url: str) -> AsyncIterator[SqlUnitOfWork]:
    """The database itself, as `coupon-service key revoke` reaches it: no server in between."""
    engine = create_engine(replicas_url)
    try:
        await migrate(engine)
        yield SqlUnitOfWork(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def replicas(replicas_url: str, store: SqlUnitOfWork) -> AsyncIterator[list[RunningService]]:
    """Two servers, each with its own engine, pool and credential cache, on one database."""
    started = [await start(Settings(db_url=replicas_url, grpc_port=0, http_port=0, metrics_port=0))]
    try:
        started.append(
            await start(Settings(db_url=replicas_url, grpc_port=0, http_port=0, metrics_port=0))
        )
        yield started
    finally:
        for replica in started:
            await replica.stop(0)


async def grpc_answer(replica: RunningService, key: NewKey) -> str:
    """ListSeries with `key`: OK, or the status and message it was refused with."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.grpc_port}") as channel:
        stub = series_service_pb2_grpc.SeriesServiceStub(channel)
        try:
            await stub.ListSeries(
                series_service_pb2.ListSeriesRequest(),
                metadata=(("authorization", key.authorization),),
                timeout=10,
            )
        except grpc.aio.AioRpcError as error:
            return f"{error.code().name}: {error.details()}"
    return "OK"


async def rest_answer(replica: RunningService, key: NewKey) -> str:
    """Issuing with `key`: OK once authenticated (701 for the customer), else status: message."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{replica.http_port}") as client:
        response = await client.post(
            "/v2/coupon/issue/multiple",
            json=NOBODY,
            headers={"Authorization": key.authorization},
            timeout=10,
        )
    error = response.json()["errors"][0]
    if (response.status_code, error["code"]) == (404, 701):
        return "OK"
    return f"{response.status_code}: {error['message']}"


REFUSED = {grpc_answer: f"UNAUTHENTICATED: {BAD_KEY}", rest_answer: f"401: {BAD_KEY}"}
Door = Callable[[RunningService, NewKey], Awaitable[str]]


async def refused_within(door: Door, replica: RunningService, key: NewKey) -> float:
    async def is_refused() -> bool:
        answer = await door(replica, key)
        assert answer in ("OK", REFUSED[door]), answer
        return answer != "OK"

    return await seconds_until_refused(is_refused)


async def test_a_revoked_key_is_refused_by_every_replica_within_a_second(
    store: SqlUnitOfWork, replicas: list[RunningService]
) -> None:
    org = f"revocation-{uuid.uuid4().hex[:12]}"
    await create_org(store, org)
    key, other = [await create_key(store, org, [Scope.ISSUE]) for _ in range(2)]
    doors: list[Door] = [grpc_answer, rest_answer]
    # Both replicas, both doors, have read the key and act on it.
    for replica in replicas:
        for door in doors:
            assert await door(replica, key) == "OK"

    await revoke_key(store, key.key.key_id)
    waited = await asyncio.gather(
        *(refused_within(door, replica, key) for replica in replicas for door in doors)
    )

    assert max(waited) < REVOKED_WITHIN_SECONDS
    for replica in replicas:
        for door in doors:
            assert await door(replica, key) == REFUSED[door]  # And it stays refused.
            assert await door(replica, other) == "OK"  # The org's other key is untouched.
