"""Asking a service's grpc.health.v1 what it says, and waiting for it to say something."""

from __future__ import annotations

import asyncio
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def health(target: str) -> int:
    async with grpc.aio.insecure_channel(target) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=10
        )
    return int(reply.status)


async def health_becomes(target: str, wanted: int, within_seconds: float = 10) -> None:
    deadline = time.monotonic() + within_seconds
    while (status := await health(target)) != wanted:
        assert time.monotonic() < deadline, f"health stayed {status}, expected {wanted}"
        await asyncio.sleep(0.05)
