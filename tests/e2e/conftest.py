"""A real service on free ports, with the demo data, and real clients that carry the demo key."""

from __future__ import annotations

import asyncio
import pathlib
import shutil
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from coupon.v1 import (
    coupon_service_pb2_grpc,
    customer_service_pb2_grpc,
    series_service_pb2_grpc,
)
from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import migrate
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.demo import load_demo_data
from tests.e2e.helpers.auth import Stubs, bare_stubs
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION
from tests.e2e.helpers.operator_cli import Where, database_flags, grpc_flags, service_database


class WithAuthorization(grpc.aio.UnaryUnaryClientInterceptor):
    """Sends `authorization` metadata on every call that does not carry its own."""

    def __init__(self, authorization: str) -> None:
        self._authorization = authorization

    async def intercept_unary_unary(
        self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        metadata = grpc.aio.Metadata(*tuple(client_call_details.metadata or ()))
        if "authorization" not in metadata:
            metadata.add("authorization", self._authorization)
        return await continuation(client_call_details._replace(metadata=metadata), request)


async def _load_demo(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
        await load_demo_data(SqlUnitOfWork(engine))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A migrated SQLite file with the demo data, made once; each test serves a copy of it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    asyncio.run(_load_demo(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
async def service(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> AsyncIterator[RunningService]:
    """The service on free ports over its own copy of the demo database."""
    database = tmp_path / "e2e.db"
    shutil.copyfile(demo_database, database)
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}", grpc_port=0, http_port=0, metrics_port=0
    )
    running = await start(settings)
    try:
        yield running
    finally:
        await running.stop(0)


@pytest.fixture
async def channel(service: RunningService) -> AsyncIterator[grpc.aio.Channel]:
    """A channel whose calls authenticate as the demo key, unless they carry their own."""
    target = f"127.0.0.1:{service.grpc_port}"
    interceptors = [WithAuthorization(DEMO_AUTHORIZATION)]
    async with grpc.aio.insecure_channel(target, interceptors=interceptors) as opened:
        yield opened


@pytest.fixture
def coupons(channel: grpc.aio.Channel) -> coupon_service_pb2_grpc.CouponServiceStub:
    return coupon_service_pb2_grpc.CouponServiceStub(channel)


@pytest.fixture
def series(channel: grpc.aio.Channel) -> series_service_pb2_grpc.SeriesServiceStub:
    return series_service_pb2_grpc.SeriesServiceStub(channel)


@pytest.fixture
def customers(channel: grpc.aio.Channel) -> customer_service_pb2_grpc.CustomerServiceStub:
    return customer_service_pb2_grpc.CustomerServiceStub(channel)


@pytest.fixture
async def http(service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the service's REST shim, sending the demo key."""
    base_url = f"http://127.0.0.1:{service.http_port}"
    headers = {"Authorization": DEMO_AUTHORIZATION}
    async with httpx.AsyncClient(base_url=base_url, timeout=10, headers=headers) as client:
        yield client


@pytest.fixture
async def plain_channel(service: RunningService) -> AsyncIterator[grpc.aio.Channel]:
    """A channel that sends no credentials of its own."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as opened:
        yield opened


@pytest.fixture
async def stubs(service: RunningService) -> AsyncIterator[Stubs]:
    """Stubs of the three services on a channel that sends no credentials of its own."""
    async with bare_stubs(service) as opened:
        yield opened


@pytest.fixture(params=["grpc", "database"])
def where(request: pytest.FixtureRequest, service: RunningService) -> Where:
    """Each test using it runs twice: over gRPC to the service, and directly on the SQLite
    file it serves (a copy of the demo database), as an operator on its host would."""
    flags = grpc_flags(service) if request.param == "grpc" else database_flags(service)
    return Where(request.param, flags, service_database(service))
