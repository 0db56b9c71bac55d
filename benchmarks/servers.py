"""Server processes under test, and the PostgreSQL database each run creates and drops.

Each server is its own interpreter (`python -m benchmarks.server_process`), so it has its own
GIL, as under `make run`. Its log goes to a file in the run's temporary directory; its one
stdout line gives the ports. `running_servers` starts replicas one after the other (their
migrations and demo data then never race) and always stops them: SIGTERM, a grace period,
then SIGKILL. `postgres_database` creates a fresh database and drops it (WITH (FORCE)) however
the block ends, Ctrl-C included.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import grpc
from grpc_health.v1 import health_pb2
from sqlalchemy.engine import make_url

from .meters import rss_mb

# The directory holding the `benchmarks` package: the servers run from there.
ROOT = Path(__file__).absolute().parent.parent
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0


@dataclasses.dataclass
class ServerProcess:
    """A started server: its process, its ports and its log."""

    process: asyncio.subprocess.Process
    grpc_port: int
    http_port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_target(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    def rss_mb(self) -> float | None:
        return rss_mb(self.pid)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT_S."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def start_server(db_url: str, log_path: Path, grace_s: float = 2.0) -> ServerProcess:
    """Spawns one server and returns once it reports SERVING on its health service."""
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "benchmarks.server_process", "--db-url", db_url),
            *("--grace", str(grace_s)),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        if not line:
            await process.wait()
            raise RuntimeError(
                f"server exited with {process.returncode} before serving:\n{log_tail(log_path)}"
            )
        ports = json.loads(line)
        server = ServerProcess(process, int(ports["grpc_port"]), int(ports["http_port"]), log_path)
        await wait_until_serving(server.grpc_target)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    return server


async def wait_until_serving(target: str) -> None:
    deadline = time.perf_counter() + START_TIMEOUT_S
    async with grpc.aio.insecure_channel(target) as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        while time.perf_counter() < deadline:
            with contextlib.suppress(grpc.aio.AioRpcError):
                reply = await check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            await asyncio.sleep(0.02)
    raise TimeoutError(f"server on {target} never reported SERVING")


@contextlib.asynccontextmanager
async def running_servers(
    db_url: str, replicas: int, workdir: Path, name: str
) -> AsyncIterator[list[ServerProcess]]:
    """`replicas` servers on one database, started in turn, stopped however the block ends."""
    servers: list[ServerProcess] = []
    try:
        for index in range(replicas):
            log_path = workdir / f"{name}-{index + 1}.log"
            servers.append(await start_server(db_url, log_path))
        yield servers
    finally:
        await asyncio.gather(*(server.stop() for server in servers))


def _dsn(url: str, database: str | None = None) -> str:
    """A plain libpq URL for asyncpg (no SQLAlchemy driver suffix)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin_execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(_dsn(admin_url), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def postgres_unreachable(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        await _admin_execute(admin_url, "SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL at {make_url(admin_url).render_as_string()} is unreachable: {error}"
    return None


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh database for one run; yields its plain postgresql:// URL, drops it at the end."""
    name = f"coupon_bench_{uuid.uuid4().hex[:12]}"
    await _admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield _dsn(admin_url, name)
    finally:
        await _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
