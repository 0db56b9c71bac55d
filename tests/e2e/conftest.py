"""A real service on free ports, with the demo data, and a real gRPC channel to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from coupon_service.app import RunningService, start
from coupon_service.config import Settings


@pytest.fixture
async def service(tmp_path: pytest.TempPathFactory) -> AsyncIterator[RunningService]:
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{tmp_path}/e2e.db",
        grpc_port=0,
        http_port=0,
        demo=True,
    )
    running = await start(settings)
    try:
        yield running
    finally:
        await running.stop(0)


@pytest.fixture
async def channel(service: RunningService) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as opened:
        yield opened
