"""Server slots: the process serving one replica now, and the clients that reach it.

A slot outlives its process: `kill_and_restart` SIGKILLs the server, starts a new one on the
same database (on new ports: the launcher binds port 0) and points the slot's gRPC channel and
HTTP client at it. Calls still in flight on the old ones fail as they would for any caller;
the old channel is closed once they had their timeout. `replica_set` always stops the servers
running at its end, whichever processes those are by then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx

from benchmarks.calls import AUTHORIZATION
from benchmarks.servers import ServerProcess, start_server
from coupon.v1 import coupon_service_pb2_grpc, series_service_pb2_grpc

ATTEMPT_TIMEOUT_S = 10.0  # the deadline of every call a stress client makes


class Replica:
    """One server slot: its current process, a channel and an HTTP client to it."""

    def __init__(self, server: ServerProcess, db_url: str) -> None:
        self.server = server
        self.db_url = db_url
        self.kills = 0
        self._retiring: list[asyncio.Task[None]] = []
        self._connect()

    def _connect(self) -> None:
        self.channel = grpc.aio.insecure_channel(self.server.grpc_target)
        self.coupons = coupon_service_pb2_grpc.CouponServiceStub(self.channel)
        self.series = series_service_pb2_grpc.SeriesServiceStub(self.channel)
        self.http = httpx.AsyncClient(
            base_url=f"http://{self.server.http_target}",
            headers={"Authorization": AUTHORIZATION},
            timeout=ATTEMPT_TIMEOUT_S,
        )

    async def kill_and_restart(self) -> None:
        """SIGKILL, then a new server on the same database; returns once it is SERVING."""
        self.server.process.kill()
        await self.server.process.wait()
        self.kills += 1
        self.server = await start_server(self.db_url, self.server.log_path)
        old_channel, old_http = self.channel, self.http
        self._connect()
        self._retiring.append(asyncio.create_task(_retire(old_channel, old_http)))

    async def close(self) -> None:
        await asyncio.gather(*self._retiring)
        await self.channel.close()
        await self.http.aclose()
        await self.server.stop()


async def _retire(channel: grpc.aio.Channel, http: httpx.AsyncClient) -> None:
    await channel.close(grace=ATTEMPT_TIMEOUT_S)
    await http.aclose()


@contextlib.asynccontextmanager
async def replica_set(
    db_url: str, count: int, workdir: Path, name: str
) -> AsyncIterator[list[Replica]]:
    """`count` servers on one database, started in turn (their migrations never race)."""
    replicas: list[Replica] = []
    try:
        for index in range(count):
            log_path = workdir / f"{name}-{index + 1}.log"
            replicas.append(Replica(await start_server(db_url, log_path), db_url))
        yield replicas
    finally:
        await asyncio.gather(*(replica.close() for replica in replicas))
