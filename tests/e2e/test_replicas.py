"""Two server replicas on one database, 64 callers at once over real channels: no limit is
exceeded, no code is issued twice, and every caller left out is told why."""

from __future__ import annotations

import asyncio
import pathlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import migrate
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.app import start
from coupon_service.config import Settings
from coupon_service.domain.credentials import Scope
from coupon_service.service.auth import create_key
from coupon_service.service.orgs import create_org
from tests.e2e.conftest import WithAuthorization

CALLERS = 64
LIMIT = 10


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def replicas_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path}/replicas.db"


@pytest.fixture
async def replica_channels(replicas_url: str) -> AsyncIterator[list[grpc.aio.Channel]]:
    """Two servers, each with its own engine and pool, on one database and one new org."""
    url = replicas_url
    engine = create_engine(url)
    try:
        await migrate(engine)
        uow = SqlUnitOfWork(engine)
        org = f"replicas-{uuid.uuid4().hex[:12]}"
        await create_org(uow, org)
        authorization = (await create_key(uow, org, [Scope.MANAGE])).authorization
    finally:
        await engine.dispose()
    replicas = [
        await start(Settings(db_url=url, grpc_port=0, http_port=0, metrics_port=0))
        for _ in range(2)
    ]
    interceptors = [WithAuthorization(authorization)]
    channels = [
        grpc.aio.insecure_channel(f"127.0.0.1:{r.grpc_port}", interceptors=interceptors)
        for r in replicas
    ]
    try:
        yield channels
    finally:
        for channel in channels:
            await channel.close()
        for replica in replicas:
            await replica.stop(0)


async def _customers(channel: grpc.aio.Channel) -> list[int]:
    stub = customer_service_pb2_grpc.CustomerServiceStub(channel)
    created = []
    for number in range(CALLERS):
        customer = customer_service_pb2.Customer(mobile=f"4477009{number:05d}")
        reply = await stub.CreateCustomer(
            customer_service_pb2.CreateCustomerRequest(customer=customer)
        )
        created.append(reply.id)
    return created


async def _race(
    channels: list[grpc.aio.Channel], series_id: int, customer_ids: list[int]
) -> tuple[list[str], Counter[tuple[grpc.StatusCode, str]]]:
    """One call per customer, all at once, alternating between the two replicas."""

    async def call(index: int, customer_id: int) -> str | tuple[grpc.StatusCode, str]:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channels[index % 2])
        request = coupon_service_pb2.IssueMultipleRequest(
            seriesId=series_id, count=1, customer={"id": customer_id}
        )
        try:
            reply = await stub.IssueMultiple(request, timeout=60)
        except grpc.aio.AioRpcError as error:
            status = rpc_status.from_call(error)
            assert status is not None
            info = error_details_pb2.ErrorInfo()
            assert status.details[0].Unpack(info)
            return error.code(), info.metadata["code"]
        assert reply.successCount == 1
        return reply.coupons[0].code

    outcomes = await asyncio.gather(*(call(i, c) for i, c in enumerate(customer_ids)))
    codes = [outcome for outcome in outcomes if isinstance(outcome, str)]
    refusals = Counter(outcome for outcome in outcomes if not isinstance(outcome, str))
    return codes, refusals


async def test_a_small_pool_across_two_replicas(replica_channels: list[grpc.aio.Channel]) -> None:
    series_stub = series_service_pb2_grpc.SeriesServiceStub(replica_channels[0])
    series = await series_stub.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(
                code_source=series_service_pb2.CODE_SOURCE_UPLOADED,
                is_multiple_vouchers_per_user_allowed=True,
            )
        )
    )
    pool = [f"POOL{uuid.uuid4().hex[:8].upper()}{n}" for n in range(LIMIT)]
    await series_stub.UploadCodes(
        series_service_pb2.UploadCodesRequest(series_id=series.id, codes=pool)
    )
    customers = await _customers(replica_channels[1])

    codes, refusals = await _race(replica_channels, series.id, customers)

    assert sorted(codes) == sorted(pool)
    assert refusals == Counter({(grpc.StatusCode.RESOURCE_EXHAUSTED, "702"): CALLERS - LIMIT})


async def test_max_create_across_two_replicas(replica_channels: list[grpc.aio.Channel]) -> None:
    series_stub = series_service_pb2_grpc.SeriesServiceStub(replica_channels[0])
    series = await series_stub.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(
                max_create=LIMIT, is_multiple_vouchers_per_user_allowed=True
            )
        )
    )
    customers = await _customers(replica_channels[1])

    codes, refusals = await _race(replica_channels, series.id, customers)

    assert len(codes) == len(set(codes)) == LIMIT
    assert refusals == Counter({(grpc.StatusCode.RESOURCE_EXHAUSTED, "626"): CALLERS - LIMIT})
    stored = await series_stub.GetSeries(series_service_pb2.GetSeriesRequest(series_id=series.id))
    assert stored.num_issued == LIMIT
