"""Wires the service together: database, migrations, demo data and the front doors."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import signal
from collections.abc import Sequence
from datetime import timedelta

import grpc
from grpc_health.v1 import health_pb2
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from .adapters.database import create_engine, ping
from .adapters.jwt_tokens import JwtVerifier
from .adapters.migrate import migrate
from .adapters.sqlite_checkpoints import WalCheckpointer, start_checkpoints
from .adapters.unit_of_work import SqlUnitOfWork
from .config import Settings
from .entrypoints.grpc.auth import AuthInterceptor, caller_org
from .entrypoints.grpc.server import SERVICE_NAMES, GrpcServer, start_grpc_server
from .entrypoints.rest import RestServer, create_app, start_rest_server
from .entrypoints.uninterrupted import wait_for_orphans
from .service.auth import Authenticator
from .service.pruning import RequestIdPruner
from .service.readiness import ReadinessWatch, wait_for_database

logger = logging.getLogger("coupon_service")
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclasses.dataclass
class RunningService:
    """A started service; `stop` shuts it down gracefully."""

    settings: Settings
    engine: AsyncEngine
    uow: SqlUnitOfWork
    grpc: GrpcServer
    rest: RestServer
    checkpoints: WalCheckpointer | None = None
    readiness: ReadinessWatch | None = None
    pruner: RequestIdPruner | None = None

    @property
    def grpc_port(self) -> int:
        return self.grpc.port

    @property
    def http_port(self) -> int:
        return self.rest.port

    async def stop(self, grace_seconds: float | None = None) -> None:
        grace = self.settings.grace_seconds if grace_seconds is None else grace_seconds
        if self.readiness is not None:  # Shutting down says NOT_SERVING, whatever it finds.
            await self.readiness.stop()
        await asyncio.gather(self.rest.stop(grace), self.grpc.stop(grace))
        await wait_for_orphans(max(grace, 1.0))
        # A batch still running commits before the database closes.
        drains = [asyncio.ensure_future(b.drained()) for b in self.uow.batchers.values()]
        if drains:
            await asyncio.wait(drains, timeout=max(grace, 1.0))
        if self.pruner is not None:
            await self.pruner.stop()
        if self.checkpoints is not None:
            self.checkpoints.stop()
        await self.engine.dispose()


async def start(
    settings: Settings, *, extra_handlers: Sequence[grpc.GenericRpcHandler] = ()
) -> RunningService:
    """Migrates, loads the demo data if asked, and opens both front doors.

    Raises ValueError for an unusable token configuration, OSError for a busy port, and
    DatabaseUnreachable when the database does not answer within the start-up timeout.
    """
    tokens = JwtVerifier.from_settings(settings)
    engine = create_engine(
        settings.db_url, sqlite_busy_timeout_ms=round(settings.sqlite_busy_timeout_seconds * 1000)
    )
    where = engine.url.render_as_string(hide_password=True)
    try:
        await wait_for_database(
            lambda: ping(engine), timeout_seconds=settings.db_startup_timeout_seconds, where=where
        )
    except BaseException:
        await engine.dispose()
        raise
    await migrate(engine)
    uow = SqlUnitOfWork(
        engine, request_ids_kept_for=timedelta(hours=settings.request_id_window_hours)
    )
    if settings.demo:
        from .demo import load_demo_data

        await load_demo_data(uow)
    authenticator = Authenticator(uow, tokens, cache_seconds=settings.credential_cache_seconds)

    async def rest_caller_org(request: Request, operation: str) -> int:
        """The REST twin of the gRPC interceptor: the same check, the same scopes."""
        values = request.headers.getlist("authorization")
        return (await authenticator.authorize_headers(values, operation)).org_id

    address = f"{settings.host}:{settings.grpc_port}"
    grpc_server = await start_grpc_server(
        uow,
        caller_org,
        address,
        interceptors=[AuthInterceptor(authenticator)],
        extra_handlers=extra_handlers,
    )
    if grpc_server.port == 0:
        await grpc_server.stop(0)
        await engine.dispose()
        raise OSError(f"could not listen for gRPC on {address}")
    try:
        rest_server = await start_rest_server(
            create_app(uow, rest_caller_org),
            settings.host,
            settings.http_port,
            request_timeout_seconds=settings.http_request_timeout_seconds,
            # uvicorn counts the idle time in whole seconds.
            idle_timeout_seconds=max(1, math.ceil(settings.http_idle_timeout_seconds)),
        )
    except OSError as error:
        await grpc_server.stop(0)
        await engine.dispose()
        address = f"{settings.host}:{settings.http_port}"
        raise OSError(f"could not listen for HTTP on {address}: {error.strerror}") from error
    checkpoints = start_checkpoints(engine)

    async def tell_health(serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else NOT_SERVING
        for name in ("", *SERVICE_NAMES):
            await grpc_server.health.set(name, status)

    readiness = ReadinessWatch(
        lambda: ping(engine), tell_health, interval_seconds=settings.health_check_seconds
    ).start()
    pruner = RequestIdPruner(uow).start()
    return RunningService(
        settings, engine, uow, grpc_server, rest_server, checkpoints, readiness, pruner
    )


async def serve(settings: Settings) -> None:
    """Runs until SIGINT or SIGTERM, then shuts down gracefully."""
    service = await start(settings)
    logger.info(
        "serving gRPC on %s:%d (database %s)",
        settings.host,
        service.grpc_port,
        service.engine.url.render_as_string(hide_password=True),
    )
    logger.info("serving REST on http://%s:%d", settings.host, service.http_port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logger.info("shutting down: health NOT_SERVING, letting calls in flight finish")
    await service.stop()
    logger.info("stopped")
