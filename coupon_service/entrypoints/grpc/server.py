"""The grpc.aio server: coupon.v1 services, server reflection and the standard health service."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)

from ...service.events import EVENT_POLL_SECONDS
from ...service.unit_of_work import UnitOfWork
from .decoding import UndecodableRequestInterceptor
from .servicers import CouponServicer, CustomerServicer, OrgResolver, SeriesServicer

SERVICE_NAMES = (
    coupon_service_pb2.DESCRIPTOR.services_by_name["CouponService"].full_name,
    series_service_pb2.DESCRIPTOR.services_by_name["SeriesService"].full_name,
    customer_service_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name,
)
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


class GrpcServer:
    """A started server and its health service, stopped gracefully by `stop`."""

    def __init__(
        self,
        server: grpc.aio.Server,
        health_servicer: health.aio.HealthServicer,
        port: int,
        closing: asyncio.Event,
    ):
        self.server = server
        self.health = health_servicer
        self.port = port
        self._closing = closing

    async def stop(self, grace_seconds: float) -> None:
        """Reports NOT_SERVING, refuses new calls, ends the event streams and lets calls in
        flight finish."""
        await self.health.enter_graceful_shutdown()
        self._closing.set()
        await self.server.stop(grace_seconds)


async def start_grpc_server(
    uow: UnitOfWork,
    resolve_org: OrgResolver,
    address: str,
    interceptors: list[grpc.aio.ServerInterceptor] | None = None,
    extra_handlers: Sequence[grpc.GenericRpcHandler] = (),
    credentials: grpc.ServerCredentials | None = None,
    observing: Sequence[grpc.aio.ServerInterceptor] = (),
    event_poll_seconds: float = EVENT_POLL_SECONDS,
) -> GrpcServer:
    """Starts the coupon.v1 services; `extra_handlers` (the benchmark's empty RPC) are served
    behind the same interceptors, on the same event loop. With `credentials` the port speaks
    TLS only.

    Undecodable requests are refused ahead of `interceptors`, so that they cost no credential
    check and answer the same with or without credentials. `observing` interceptors (metrics,
    access lines) come first of all, so that they see the calls the others refuse.
    """
    server = grpc.aio.server(
        interceptors=[*observing, UndecodableRequestInterceptor(), *(interceptors or [])],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    coupons = CouponServicer(uow, resolve_org, event_poll_seconds=event_poll_seconds)
    coupon_service_pb2_grpc.add_CouponServiceServicer_to_server(coupons, server)
    series_service_pb2_grpc.add_SeriesServiceServicer_to_server(
        SeriesServicer(uow, resolve_org), server
    )
    customer_service_pb2_grpc.add_CustomerServiceServicer_to_server(
        CustomerServicer(uow, resolve_org), server
    )
    if extra_handlers:
        server.add_generic_rpc_handlers(tuple(extra_handlers))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            *SERVICE_NAMES,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    if credentials is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, credentials)
    await server.start()
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return GrpcServer(server, health_servicer, port, coupons.closing)
