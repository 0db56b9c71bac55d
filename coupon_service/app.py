"""Wires the service together: database, migrations, demo data and the front doors."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from .adapters.database import create_engine
from .adapters.migrate import migrate
from .adapters.unit_of_work import SqlUnitOfWork
from .config import Settings
from .entrypoints.grpc.server import GrpcServer, start_grpc_server
from .service.orgs import ensure_org

logger = logging.getLogger("coupon_service")


@dataclasses.dataclass
class RunningService:
    """A started service; `stop` shuts it down gracefully."""

    settings: Settings
    engine: AsyncEngine
    uow: SqlUnitOfWork
    grpc: GrpcServer
    org_id: int

    @property
    def grpc_port(self) -> int:
        return self.grpc.port

    async def stop(self, grace_seconds: float | None = None) -> None:
        grace = self.settings.grace_seconds if grace_seconds is None else grace_seconds
        await self.grpc.stop(grace)
        await self.engine.dispose()


async def start(settings: Settings) -> RunningService:
    engine = create_engine(settings.db_url)
    await migrate(engine)
    uow = SqlUnitOfWork(engine)
    if settings.demo:
        from .demo import load_demo_data

        await load_demo_data(uow)
    org_id = await ensure_org(uow, settings.default_org)

    async def resolve_org(_context: grpc.aio.ServicerContext) -> int:
        return org_id

    address = f"{settings.host}:{settings.grpc_port}"
    grpc_server = await start_grpc_server(uow, resolve_org, address)
    if grpc_server.port == 0:
        await grpc_server.stop(0)
        await engine.dispose()
        raise OSError(f"could not listen for gRPC on {address}")
    return RunningService(settings, engine, uow, grpc_server, org_id)


async def serve(settings: Settings) -> None:
    """Runs until SIGINT or SIGTERM, then shuts down gracefully."""
    service = await start(settings)
    logger.info(
        "serving gRPC on %s:%d (database %s)",
        settings.host,
        service.grpc_port,
        service.engine.url.render_as_string(hide_password=True),
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logger.info("shutting down: health NOT_SERVING, letting calls in flight finish")
    await service.stop()
    logger.info("stopped")
