"""Wires the service together: database, migrations, demo data and the front doors."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import os
import signal
import socket
from collections.abc import Sequence
from datetime import timedelta

import grpc
from grpc_health.v1 import health_pb2
from sqlalchemy.ext.asyncio import AsyncEngine

from .adapters.database import first_contact, prepare
from .adapters.jwt_tokens import JwtVerifier
from .adapters.metrics_reads import connections_in_use, uploaded_pools
from .adapters.migrate import migrate
from .adapters.readiness_probe import database_ready
from .adapters.sqlite_checkpoints import WalCheckpointer, start_checkpoints
from .adapters.unit_of_work import SqlUnitOfWork
from .config import Settings
from .entrypoints.grpc.auth import AuthInterceptor, caller_org
from .entrypoints.grpc.observing import ObservingInterceptor
from .entrypoints.grpc.server import SERVICE_NAMES, GrpcServer, start_grpc_server
from .entrypoints.metrics import ServiceMetrics
from .entrypoints.metrics_server import start_metrics_server
from .entrypoints.rest import RestServer, caller_org_resolver, create_app, start_rest_server
from .entrypoints.tls import load_tls
from .entrypoints.uninterrupted import wait_for_orphans
from .service.auth import Authenticator
from .service.pruning import Pruner
from .service.readiness import ReadinessWatch, wait_for_database
from .service.telemetry import attach_telemetry
from .tracing import Tracing

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
    pruner: Pruner | None = None
    metrics: ServiceMetrics | None = None
    metrics_server: RestServer | None = None
    tracing: Tracing | None = None

    @property
    def grpc_port(self) -> int:
        return self.grpc.port

    @property
    def http_port(self) -> int:
        return self.rest.port

    @property
    def metrics_port(self) -> int:
        return self.metrics_server.port if self.metrics_server is not None else 0

    async def stop(self, grace_seconds: float | None = None) -> None:
        grace = self.settings.grace_seconds if grace_seconds is None else grace_seconds
        if self.readiness is not None:  # Shutting down says NOT_SERVING, whatever it finds.
            await self.readiness.stop()
        scrapes = [self.metrics_server.stop(grace)] if self.metrics_server is not None else []
        await asyncio.gather(self.rest.stop(grace), self.grpc.stop(grace), *scrapes)
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
        if self.tracing is not None:  # Last, so that the spans of the shutdown are exported.
            await asyncio.to_thread(self.tracing.shutdown)


def _check_port_free(host: str, port: int, door: str) -> None:
    """Raises OSError when `port` is taken: gRPC's own bind failure is a RuntimeError and a
    line of C-core log."""
    if port == 0:
        return
    try:
        with socket.create_server((host, port), reuse_port=False) as probe:
            probe.close()
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise OSError(f"could not listen for {door} on {host}:{port}: {reason}") from None


def bearer_verifier(settings: Settings) -> JwtVerifier | None:
    """The bearer token verifier the COUPON_JWT_* settings describe; None when they name no
    keys, and then bearer tokens are refused."""
    return JwtVerifier.configured(
        jwks=settings.jwt_jwks,
        hs256_secret=settings.jwt_hs256_secret,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        org_claim=settings.jwt_org_claim,
    )


async def start(
    settings: Settings,
    *,
    extra_handlers: Sequence[grpc.GenericRpcHandler] = (),
    tracing: Tracing | None = None,
) -> RunningService:
    """Migrates, loads the demo data if asked, and opens both front doors.

    `tracing` stands in for the one `settings.otel_exporter` names (tests pass their own).
    Raises ValueError for an unusable token or tracing configuration, OSError for a busy port,
    and DatabaseUnreachable when the database does not answer within the start-up timeout.
    """
    tokens = bearer_verifier(settings)
    tracing = tracing or Tracing.start(settings.otel_exporter)
    tls = load_tls(settings.tls_cert, settings.tls_key, settings.tls_client_ca)
    _check_port_free(settings.host, settings.grpc_port, "gRPC")
    engine = prepare(settings.db_url, must_exist=False, **settings.engine_options())
    where = engine.url.render_as_string(hide_password=True)
    try:
        await wait_for_database(
            lambda: first_contact(engine),
            timeout_seconds=settings.db_startup_timeout_seconds,
            where=where,
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
    if tracing is not None:
        tracing.instrument_engine(engine)
    authenticator = Authenticator(uow, tokens, cache_seconds=settings.credential_cache_seconds)
    metrics = ServiceMetrics(
        org_name=authenticator.org_name, connections_in_use=lambda: connections_in_use(engine)
    )
    attach_telemetry(uow, metrics)
    # Every pool is watched from the start, so that exhaustion can be alerted on before a 702.
    pools = await uploaded_pools(engine)
    metrics.learn_orgs((pool.org_id, pool.org_name) for pool in pools)
    metrics.pools_left({(pool.org_id, pool.series_id): pool.remaining for pool in pools})

    address = f"{settings.host}:{settings.grpc_port}"
    grpc_server = await start_grpc_server(
        uow,
        caller_org,
        address,
        interceptors=[AuthInterceptor(authenticator)],
        # Tracing first: the access line and the metrics are then written inside the span.
        observing=[
            *(tracing.grpc_interceptors() if tracing else []),
            ObservingInterceptor(metrics),
        ],
        extra_handlers=extra_handlers,
        credentials=tls.grpc_credentials() if tls is not None else None,
        event_poll_seconds=settings.event_poll_seconds,
    )
    if grpc_server.port == 0:
        await grpc_server.stop(0)
        await engine.dispose()
        raise OSError(f"could not listen for gRPC on {address}")

    async def tell_health(serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else NOT_SERVING
        for name in ("", *SERVICE_NAMES):
            await grpc_server.health.set(name, status)

    # One watch tells both doors: grpc.health.v1 through tell_health, /readyz by reading it.
    readiness = ReadinessWatch(
        lambda: database_ready(engine), tell_health, interval_seconds=settings.health_check_seconds
    )
    rest_app = create_app(uow, caller_org_resolver(authenticator), readiness, metrics)
    try:
        rest_server = await start_rest_server(
            tracing.wrap_asgi(rest_app) if tracing else rest_app,
            settings.host,
            settings.http_port,
            request_timeout_seconds=settings.http_request_timeout_seconds,
            # uvicorn counts the idle time in whole seconds.
            idle_timeout_seconds=max(1, math.ceil(settings.http_idle_timeout_seconds)),
            tls=tls,
        )
    except OSError as error:
        await grpc_server.stop(0)
        await engine.dispose()
        address = f"{settings.host}:{settings.http_port}"
        raise OSError(f"could not listen for HTTP on {address}: {error.strerror}") from error
    try:
        metrics_server = await start_metrics_server(metrics, settings.host, settings.metrics_port)
    except OSError:
        await asyncio.gather(rest_server.stop(0), grpc_server.stop(0))
        await engine.dispose()
        raise
    checkpoints = start_checkpoints(engine)
    await readiness.check()  # The schema, too, before the first probe interval.
    readiness.start()
    pruner = Pruner(uow, events_kept_for=timedelta(hours=settings.event_retention_hours)).start()
    return RunningService(
        settings,
        engine,
        uow,
        grpc_server,
        rest_server,
        checkpoints,
        readiness,
        pruner,
        metrics=metrics,
        metrics_server=metrics_server,
        tracing=tracing,
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
    scheme = "https" if settings.tls_cert else "http"
    logger.info("serving REST on %s://%s:%d", scheme, settings.host, service.http_port)
    logger.info("serving metrics on http://%s:%d/metrics", settings.host, service.metrics_port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logger.info("shutting down: health NOT_SERVING, letting calls in flight finish")
    await service.stop()
    logger.info("stopped")
