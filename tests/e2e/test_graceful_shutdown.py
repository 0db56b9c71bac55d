"""Graceful shutdown of the real `coupon-service serve` process on SIGTERM: it exits cleanly,
calls in flight finish, and health turns NOT_SERVING before it stops."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from coupon.v1 import coupon_service_pb2_grpc
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION, DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import issue
from tests.e2e.helpers.grpcurl import COUPON_SERVICE

AUTH = (("authorization", DEMO_AUTHORIZATION),)

# --- graceful shutdown of the real process ----------------------------------------------------


@dataclasses.dataclass
class ServerProcess:
    """A `coupon-service serve` child process and everything it logged so far."""

    process: asyncio.subprocess.Process
    port: int
    log: list[str]
    reader: asyncio.Task[None]

    async def terminate(self, within: float) -> int:
        """Sends SIGTERM and waits for the exit code and the rest of the log."""
        self.process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(self.process.wait(), within)
        await asyncio.wait_for(self.reader, within)
        return returncode

    @property
    def text(self) -> str:
        return "".join(self.log)


async def _start_process(tmp_path: Path, *extra: str) -> ServerProcess:
    process = await asyncio.create_subprocess_exec(
        COUPON_SERVICE,
        "serve",
        "--demo",
        "--db-url",
        f"sqlite:///{tmp_path}/serve.db",
        "--grpc-port",
        "0",
        "--http-port",
        "0",
        "--metrics-port",
        "0",
        *extra,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    stderr = process.stderr
    log: list[str] = []
    listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        async for raw in stderr:
            line = raw.decode()
            log.append(line)
            found = re.search(r"serving gRPC on 127\.0\.0\.1:(\d+)", line)
            if found and not listening.done():
                listening.set_result(int(found[1]))
        if not listening.done():
            listening.set_exception(RuntimeError("the server exited:\n" + "".join(log)))

    reader = asyncio.create_task(read())
    try:
        port = await asyncio.wait_for(asyncio.shield(listening), 60)
    except BaseException:
        process.kill()
        await process.wait()
        await reader
        raise
    return ServerProcess(process, port, log, reader)


@pytest.fixture
async def start_process(
    tmp_path: Path,
) -> AsyncIterator[Callable[..., Awaitable[ServerProcess]]]:
    """Starts `coupon-service serve` processes; kills any a test left running."""
    started: list[ServerProcess] = []

    async def start(*extra: str) -> ServerProcess:
        server = await _start_process(tmp_path, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.returncode is None:
            server.process.kill()
            await server.process.wait()
        await server.reader


async def test_sigterm_after_a_call_exits_cleanly(start_process):
    server = await start_process()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        response = await stub.IssueMultiple(
            issue(415446, 2, mobile=DEMO_MOBILE), metadata=AUTH, timeout=10
        )
        assert response.successCount == 2

        returncode = await server.terminate(within=5)

    assert returncode == 0, server.text
    records = [json.loads(line) for line in server.log]  # Not a terminal: JSON lines.
    said = [(record["logger"], record["message"]) for record in records]
    shutting_down = next(i for i, (_, message) in enumerate(said) if "shutting down" in message)
    assert "health NOT_SERVING" in said[shutting_down][1]
    assert ("coupon_service", "stopped") in said[shutting_down:]
    assert "Traceback" not in server.text


async def test_sigterm_lets_calls_in_flight_finish(start_process):
    server = await start_process()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        # Six calls of 500 coupons each: the server works through them one at a time, so when
        # the first has answered the other five are in flight.
        calls = [
            asyncio.ensure_future(
                stub.IssueMultiple(
                    issue(415446, 500, mobile=DEMO_MOBILE), metadata=AUTH, timeout=30
                )
            )
            for _ in range(6)
        ]
        loop = asyncio.get_running_loop()
        finished: list[float] = []
        for call in calls:
            call.add_done_callback(lambda _call: finished.append(loop.time()))
        await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)
        terminated_at = loop.time()

        returncode = await server.terminate(within=15)
        responses = await asyncio.gather(*calls)

    assert returncode == 0, server.text
    assert max(finished) > terminated_at  # Calls were in flight when SIGTERM arrived.
    assert [response.successCount for response in responses] == [500] * 6
    codes = {coupon.code for response in responses for coupon in response.coupons}
    assert len(codes) == 3000
    assert "stopped" in server.text


async def test_sigterm_turns_health_not_serving_before_stopping(start_process):
    server = await start_process("--grace", "1")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service="coupon.v1.CouponService")
        )
        first = await asyncio.wait_for(watch.read(), 5)
        server.process.send_signal(signal.SIGTERM)
        second = await asyncio.wait_for(watch.read(), 5)

        # The open watch is itself a call in flight: the server waits out the grace period.
        returncode = await asyncio.wait_for(server.process.wait(), 10)
        await server.reader
        watch.cancel()

    assert first.status == health_pb2.HealthCheckResponse.SERVING
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert returncode == 0, server.text
