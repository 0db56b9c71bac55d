"""PostgreSQL faults under load: sessions terminated, the server unreachable, a start-up
without a database. Callers see only clean answers, retries by request id lose nothing and
issue nothing twice, and health says what is true."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from coupon_service.app import start
from coupon_service.config import Settings
from coupon_service.service.readiness import DatabaseUnreachable

from .calls import SERIES, Tally, issue_over_grpc, issue_over_rest, read_over_grpc
from .conftest import StartService, terminate_backends, through
from .health import NOT_SERVING, SERVING, health, health_becomes
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres


async def _issued_codes(url: str) -> list[str]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT code FROM coupons WHERE series_id = $1", SERIES)
    finally:
        await connection.close()
    return [row["code"] for row in rows]


async def _terminating(database: str, stop: asyncio.Event, every_seconds: float) -> int:
    ended = 0
    while not stop.is_set():
        ended += await terminate_backends(database)
        await asyncio.sleep(every_seconds)
    return ended


async def test_terminated_sessions_answer_only_ok_or_unavailable_and_lose_nothing(
    demo_postgres: str, start_service: StartService
) -> None:
    service = await start_service(demo_postgres)
    database = make_url(demo_postgres).database or ""
    grpc_tally, rest_tally, reads = Tally(), Tally(), Tally()
    stop = asyncio.Event()
    killer = asyncio.create_task(_terminating(database, stop, every_seconds=0.05))
    target = f"127.0.0.1:{service.grpc_port}"
    base_url = f"http://127.0.0.1:{service.http_port}"

    await asyncio.gather(
        *(issue_over_grpc(target, grpc_tally, 25, worker) for worker in range(12)),
        *(issue_over_rest(base_url, rest_tally, 25, worker) for worker in range(4)),
        *(read_over_grpc(target, reads, 50) for _ in range(2)),
    )
    stop.set()
    terminated = await killer

    assert terminated > 20, "the test must really have ended the service's sessions"
    assert set(grpc_tally.statuses) <= {"OK", "UNAVAILABLE"}, Counter(grpc_tally.statuses)
    assert set(rest_tally.statuses) <= {"200", "503"}, Counter(rest_tally.statuses)
    assert set(reads.statuses) <= {"OK", "UNAVAILABLE"}, Counter(reads.statuses)
    assert reads.retry_infos == reads.statuses.count("UNAVAILABLE")
    assert len(grpc_tally.codes_by_request) == 12 * 25, "every gRPC call issued in the end"
    assert len(rest_tally.codes_by_request) == 4 * 25, "every REST call issued in the end"
    unavailable = grpc_tally.statuses.count("UNAVAILABLE") + rest_tally.statuses.count("503")
    assert grpc_tally.retry_infos + rest_tally.retry_infos == unavailable
    issued = grpc_tally.codes + rest_tally.codes
    assert sorted(await _issued_codes(demo_postgres)) == sorted(issued)
    assert len(set(issued)) == len(issued) == 400


async def test_an_unreachable_database_is_unavailable_and_not_serving_until_it_is_back(
    demo_postgres: str, proxy: TcpProxy, start_service: StartService
) -> None:
    service = await start_service(through(demo_postgres, proxy))
    target = f"127.0.0.1:{service.grpc_port}"
    base_url = f"http://127.0.0.1:{service.http_port}"
    assert await health(target) == SERVING

    await proxy.cut()
    await health_becomes(target, NOT_SERVING)
    down_grpc, down_rest = Tally(), Tally()
    started = time.monotonic()
    await asyncio.gather(
        issue_over_grpc(target, down_grpc, 1, 0), issue_over_rest(base_url, down_rest, 1, 0)
    )
    # Each caller retried RETRIES times, 50 ms apart: every answer came at once.
    assert time.monotonic() - started < 8
    assert set(down_grpc.statuses) == {"UNAVAILABLE"} and not down_grpc.codes_by_request
    assert set(down_rest.statuses) == {"503"} and not down_rest.codes_by_request
    assert down_grpc.retry_infos == len(down_grpc.statuses)
    assert down_rest.retry_infos == len(down_rest.statuses)

    await proxy.restore()
    await health_becomes(target, SERVING)
    back = Tally()
    await issue_over_grpc(target, back, 3, 1)
    assert back.statuses == ["OK"] * 3


async def test_start_up_waits_for_a_database_that_comes_back(
    demo_postgres: str, proxy: TcpProxy, start_service: StartService
) -> None:
    await proxy.cut()
    starting = asyncio.create_task(start_service(through(demo_postgres, proxy)))
    await asyncio.sleep(1.0)
    assert not starting.done(), "start-up must wait, not fail, while the database is away"
    await proxy.restore()
    service = await asyncio.wait_for(starting, 15)
    assert await health(f"127.0.0.1:{service.grpc_port}") == SERVING


async def test_start_up_gives_up_after_the_configured_time(
    demo_postgres: str, proxy: TcpProxy
) -> None:
    await proxy.cut()
    settings = Settings(
        db_url=through(demo_postgres, proxy),
        grpc_port=0,
        http_port=0,
        metrics_port=0,
        db_startup_timeout_seconds=0.5,
    )
    started = time.monotonic()
    with pytest.raises(DatabaseUnreachable, match=r"did not answer within 0\.5 s"):
        await start(settings)
    assert time.monotonic() - started < 5


def test_serve_without_a_database_exits_with_one_line(proxy: TcpProxy) -> None:
    # The proxy's port, cut: nothing listens there.
    asyncio.run(proxy.cut())
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}/nowhere"
    environment = {**os.environ, "COUPON_DB_STARTUP_TIMEOUT_SECONDS": "1"}
    command = [sys.executable, "-m", "coupon_service", "serve", "--db-url", url]
    command += ["--grpc-port", "0", "--http-port", "0", "--metrics-port", "0"]
    finished = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    last = finished.stderr.strip().splitlines()[-1]
    assert last.startswith("coupon-service: the database at postgresql+asyncpg://postgres@")
    assert "did not answer within 1 s" in last
