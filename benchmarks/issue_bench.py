"""End-to-end benchmark of coupon-service: the real server, a real gRPC channel, real databases.

For each store (a temporary SQLite file, then a fresh PostgreSQL database this script creates
and drops) it spawns `coupon-service serve --demo --grpc-port 0` as a subprocess, so the
server has its own interpreter and GIL, and drives it over a `grpc.aio` channel on the
loopback with N concurrent callers (a closed loop: each caller sends its next call when the
previous one answers). Scenarios:

1. IssueMultiple count=1 from GENERATED series 415446 to the 100 demo load customers,
   at concurrency 1, 16 and 64 (calls/s and latency percentiles).
2. IssueMultiple count=50 at concurrency 16 (coupons/s).
3. A new UPLOADED series: UploadCodes in batches (codes/s), then claims with count=1 at
   concurrency 64 (claims/s), checking that no code came back twice.
4. BulkIssue over five demo series at concurrency 16 (calls/s).
5. Start-up: from spawning the server process to its first SERVING health check and to its
   first successful IssueMultiple, on an empty database and again on the populated one.

Every timed loop stops by itself: after a fixed number of calls or a time cap, whichever
comes first. Results are printed as a table and written to benchmarks/results/latest.json.

The client, the server and PostgreSQL share the same cores, so the numbers are a floor for
the service, not a capacity figure: compare ratios between runs on the same machine. The CPU
columns show how the cores were split (100 % = one core busy for the whole scenario).

    python -m benchmarks.issue_bench            # full run, about 3 minutes
    python -m benchmarks.issue_bench --quick    # about 1 minute
    python -m benchmarks.issue_bench --store sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import json
import math
import os
import platform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service import demo
from coupon_service.demo import LOAD_CUSTOMER_MOBILES

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "latest.json"
PG_ADMIN_URL = (
    os.environ.get("COUPON_BENCH_PG_URL")
    or os.environ.get("COUPON_TEST_PG_URL")
    or "postgresql://postgres@127.0.0.1:5432/postgres"
)
GENERATED_SERIES = 415446
BULK_SERIES = (415446, 535521, 544770, 553379, 18426)
CALL_TIMEOUT_S = 30.0
OTHER_LOAD_WARNING_PERCENT = 25.0
START_TIMEOUT_S = 60.0
BULK_NOTE = (
    "544770 and 553379 allow one coupon per customer, so repeats resend the held one; "
    "18426 is GENERIC (one shared code)"
)
SHARED_MACHINE_NOTE = (
    "client, server and PostgreSQL share this machine's {cores} cores: they compete for CPU, "
    "so absolute numbers are a floor; compare ratios on the same machine"
)


def demo_authorization() -> tuple[tuple[str, str], ...]:
    """The demo API key as gRPC metadata, when the demo data has one; ignored until the
    server checks credentials, and what lets the benchmark run once it does."""
    key_id = getattr(demo, "DEMO_KEY_ID", None)
    secret = getattr(demo, "DEMO_KEY_SECRET", None)
    if not key_id or not secret:
        return ()
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode("ascii")
    return (("authorization", f"Basic {token}"),)


AUTH = demo_authorization()


# --- configuration -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Profile:
    """How much work each scenario does; every loop also stops at `time_cap_s`."""

    name: str
    time_cap_s: float
    warmup_calls: int
    issue_calls: dict[int, int]  # concurrency -> calls, IssueMultiple count=1
    batch_calls: int
    batch_size: int
    batch_concurrency: int
    pool_codes: int
    upload_batch: int
    claim_concurrency: int
    bulk_calls: int
    bulk_concurrency: int


FULL = Profile(
    name="full",
    time_cap_s=10.0,
    warmup_calls=50,
    issue_calls={1: 1_000, 16: 5_000, 64: 5_000},
    batch_calls=500,
    batch_size=50,
    batch_concurrency=16,
    pool_codes=20_000,
    upload_batch=5_000,
    claim_concurrency=64,
    bulk_calls=3_000,
    bulk_concurrency=16,
)
QUICK = dataclasses.replace(
    FULL,
    name="quick",
    time_cap_s=3.0,
    warmup_calls=20,
    issue_calls={1: 200, 16: 800, 64: 800},
    batch_calls=80,
    pool_codes=5_000,
    upload_batch=2_500,
    bulk_calls=400,
)


# --- results -----------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    """One measured scenario on one store."""

    scenario: str
    store: str
    concurrency: int
    unit: str  # what `rate` counts per second: calls, coupons, claims, codes
    rate: float
    calls: int
    calls_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    elapsed_s: float
    errors: dict[str, int]
    cpu_percent: dict[str, float]
    server_cpu_ms_per_call: float | None
    notes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class StartTiming:
    """Start-up of one server process, in milliseconds after spawning it."""

    store: str
    database: str  # "empty" or "populated"
    to_port_logged_ms: float
    to_health_ms: float
    to_first_issue_ms: float
    phases_ms: dict[str, float]
    stop_ms: float | None = None


@dataclasses.dataclass
class Check:
    store: str
    name: str
    ok: bool
    detail: str


@dataclasses.dataclass
class Report:
    rows: list[Row] = dataclasses.field(default_factory=list)
    starts: list[StartTiming] = dataclasses.field(default_factory=list)
    checks: list[Check] = dataclasses.field(default_factory=list)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    failed: bool = False

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.scenario} c={row.concurrency}: {row.rate:.1f} {row.unit}/s", flush=True)


# --- measuring ---------------------------------------------------------------------------


def percentile_ms(sorted_seconds: list[float], percent: float) -> float | None:
    """Nearest-rank percentile of sorted durations in seconds, in milliseconds."""
    if not sorted_seconds:
        return None
    rank = max(1, math.ceil(percent / 100 * len(sorted_seconds)))
    return sorted_seconds[rank - 1] * 1000


@dataclasses.dataclass
class LoadResult:
    latencies: list[float]
    errors: Counter[str]
    units: int
    elapsed_s: float
    cpu_percent: dict[str, float]


Call = Callable[[int], Awaitable[int]]


async def run_load(call: Call, *, calls: int, concurrency: int, time_cap_s: float) -> LoadResult:
    """Runs `call(ticket)` for tickets 0..calls-1 from `concurrency` callers, each sending its
    next call when the previous answers, until the tickets run out or the time cap passes.
    `call` returns how many units (coupons, claims) it produced."""
    tickets = iter(range(calls))
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    units = 0
    deadline = time.perf_counter() + time_cap_s

    async def caller() -> None:
        nonlocal units
        for ticket in tickets:  # One iterator shared by every caller.
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            try:
                produced = await call(ticket)
            except grpc.aio.AioRpcError as error:
                errors[error.code().name] += 1
                continue
            latencies.append(time.perf_counter() - started)
            units += produced  # Only after the await: `units += await ...` loses updates.

    with CpuMeter() as meter:
        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(latencies, errors, units, elapsed, meter.percent)


class CpuMeter:
    """CPU used while the block runs, per party, in percent of one core (Linux /proc)."""

    server_pid: int | None = None  # Set once the server runs; shared by every meter.
    _tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __enter__(self) -> CpuMeter:
        self._wall = time.perf_counter()
        self._client = time.process_time()
        self._server = self._process_ticks(self.server_pid)
        self._db = self._postgres_ticks()
        self._machine = self._machine_ticks()
        self.percent: dict[str, float] = {}
        return self

    def __exit__(self, *_exc: object) -> None:
        wall = time.perf_counter() - self._wall
        if wall <= 0:
            return
        self.percent["client"] = 100 * (time.process_time() - self._client) / wall
        server = self._process_ticks(self.server_pid)
        if server is not None and self._server is not None:
            self.percent["server"] = 100 * (server - self._server) / self._tick / wall
        db_after = self._postgres_ticks()
        db = sum(ticks - self._db.get(pid, 0) for pid, ticks in db_after.items())
        if db_after:
            self.percent["postgres"] = 100 * db / self._tick / wall
        machine = self._machine_ticks()
        if machine is not None and self._machine is not None:
            busy, total = (
                after - before for after, before in zip(machine, self._machine, strict=True)
            )
            cores = os.cpu_count() or 1
            self.percent["machine"] = 100 * cores * busy / total if total else 0.0
            ours = sum(self.percent.get(party, 0.0) for party in ("client", "server", "postgres"))
            self.percent["other"] = max(0.0, self.percent["machine"] - ours)

    @staticmethod
    def _process_ticks(pid: int | None) -> int | None:
        if pid is None:
            return None
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return int(fields[11]) + int(fields[12])  # utime + stime

    @classmethod
    def _postgres_ticks(cls) -> dict[int, int]:
        ticks: dict[int, int] = {}
        for entry in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found = cls._process_ticks(int(entry.name))
                    if found is not None:
                        ticks[int(entry.name)] = found
        return ticks

    @staticmethod
    def _machine_ticks() -> tuple[int, int] | None:
        try:
            first_line = Path("/proc/stat").read_text().split("\n", 1)[0]
            # user nice system idle iowait irq softirq steal; guest time is already in user.
            values = [int(value) for value in first_line.split()[1:9]]
        except (OSError, ValueError):
            return None
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values) - idle, sum(values)


def make_row(scenario: str, store: str, concurrency: int, unit: str, result: LoadResult) -> Row:
    calls = len(result.latencies)
    elapsed = result.elapsed_s or 1e-9
    server = result.cpu_percent.get("server")
    server_ms = server * elapsed * 10 / calls if server is not None and calls else None
    return Row(
        scenario=scenario,
        store=store,
        concurrency=concurrency,
        unit=unit,
        rate=(result.units if unit != "calls" else calls) / elapsed,
        calls=calls,
        calls_per_s=calls / elapsed,
        p50_ms=percentile_ms(result.latencies, 50),
        p95_ms=percentile_ms(result.latencies, 95),
        p99_ms=percentile_ms(result.latencies, 99),
        elapsed_s=result.elapsed_s,
        errors=dict(result.errors),
        cpu_percent=result.cpu_percent,
        server_cpu_ms_per_call=server_ms,
        notes=[f"errors: {dict(result.errors)}"] if result.errors else [],
    )


# --- the server under test ---------------------------------------------------------------

_PORT_LINE = re.compile(r"serving gRPC on [^\s:]+:(\d+)")
_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
# Log lines that mark the end of a start-up phase, in order.
_PHASE_MARKS = (
    ("python + imports", "alembic.runtime.migration"),
    ("migrate + demo data", "demo data loaded"),
    ("grpc server start", "serving gRPC on"),
)


@dataclasses.dataclass
class Server:
    process: asyncio.subprocess.Process
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


def server_command(db_url: str) -> list[str]:
    script = Path(sys.executable).with_name("coupon-service")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "coupon_service"]
    return [
        *launcher,
        "serve",
        "--demo",
        "--host",
        "127.0.0.1",
        "--grpc-port",
        "0",
        "--http-port",
        "0",
        "--grace",
        "2",
        "--db-url",
        db_url,
    ]


async def start_server(
    store: str, db_url: str, log_path: Path, database: str
) -> tuple[Server, StartTiming]:
    """Spawns the server and times it to its port, its first health check and first issue."""
    with log_path.open("wb") as log:
        spawned_wall, spawned = time.time(), time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *server_command(db_url), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        port = await _wait_for_port(process, log_path)
        port_ms = (time.perf_counter() - spawned) * 1000
        server = Server(process, port)
        async with grpc.aio.insecure_channel(server.target) as channel:
            await _wait_until_serving(channel)
            health_ms = (time.perf_counter() - spawned) * 1000
            await issue(channel, GENERATED_SERIES, 1, LOAD_CUSTOMER_MOBILES[0])
            issue_ms = (time.perf_counter() - spawned) * 1000
    except BaseException:
        await _kill(process)
        raise
    phases = _phases_from_log(await _read(log_path), spawned_wall)
    return server, StartTiming(store, database, port_ms, health_ms, issue_ms, phases)


async def _read(path: Path) -> str:
    return await asyncio.to_thread(path.read_text, errors="replace")


async def _wait_for_port(process: asyncio.subprocess.Process, log_path: Path) -> int:
    deadline = time.perf_counter() + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        log = await _read(log_path)
        found = _PORT_LINE.search(log)
        if found:
            return int(found.group(1))
        if process.returncode is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(log)}")
        await asyncio.sleep(0.005)
    raise TimeoutError(f"server did not log its port within {START_TIMEOUT_S}s")


async def _wait_until_serving(channel: grpc.aio.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.perf_counter() + START_TIMEOUT_S
    while True:
        with contextlib.suppress(grpc.aio.AioRpcError):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        if time.perf_counter() > deadline:
            raise TimeoutError("server never reported SERVING")
        await asyncio.sleep(0.005)


def _phases_from_log(log: str, spawned_wall: float) -> dict[str, float]:
    """Milliseconds from spawn to the log line ending each phase (1 ms resolution)."""
    phases: dict[str, float] = {}
    for name, mark in _PHASE_MARKS:
        line = next((line for line in log.splitlines() if mark in line), None)
        stamp = _LOG_TIME.match(line or "")
        if stamp:
            logged = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            phases[name] = round((logged - spawned_wall) * 1000, 1)
    return phases


def _tail(log: str, lines: int = 15) -> str:
    return "\n".join(log.splitlines()[-lines:])


async def stop_server(server: Server) -> float:
    """SIGTERM, then wait for a graceful exit; returns how long it took in milliseconds."""
    started = time.perf_counter()
    with contextlib.suppress(ProcessLookupError):  # Ctrl-C reaches the server too.
        server.process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(server.process.wait(), 15)
    except TimeoutError:
        await _kill(server.process)
    return (time.perf_counter() - started) * 1000


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


# --- calls -------------------------------------------------------------------------------


def mobile_for(ticket: int) -> str:
    return LOAD_CUSTOMER_MOBILES[ticket % len(LOAD_CUSTOMER_MOBILES)]


async def issue(
    channel: grpc.aio.Channel, series_id: int, count: int, mobile: str
) -> coupon_service_pb2.IssueMultipleResponse:
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=series_id, count=count, customer={"mobile": mobile}
    )
    return await stub.IssueMultiple(request, timeout=CALL_TIMEOUT_S, metadata=AUTH)


def issue_call(channel: grpc.aio.Channel, series_id: int, count: int, codes: list[str]) -> Call:
    """An IssueMultiple caller that keeps every code it receives in `codes`."""

    async def call(ticket: int) -> int:
        response = await issue(channel, series_id, count, mobile_for(ticket))
        codes.extend(coupon.code for coupon in response.coupons)
        return response.successCount

    return call


def bulk_call(channel: grpc.aio.Channel, outcomes: Counter[str]) -> Call:
    """A BulkIssue caller over BULK_SERIES that counts each series' outcome in `outcomes`."""
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)

    async def call(ticket: int) -> int:
        request = coupon_service_pb2.BulkIssueRequest(
            seriesIds=BULK_SERIES, customer={"mobile": mobile_for(ticket)}
        )
        response = await stub.BulkIssue(request, timeout=CALL_TIMEOUT_S, metadata=AUTH)
        for entry in response.response:
            outcome = "coupon" if entry.HasField("result") else f"error {entry.errors[0].code}"
            outcomes[f"{entry.entityId}: {outcome}"] += 1
        return len(response.response) - response.failureCount

    return call


# --- scenarios ---------------------------------------------------------------------------


async def warm_up(channel: grpc.aio.Channel, profile: Profile) -> None:
    """Unmeasured calls so pools, caches and the HTTP/2 connection are warm."""
    await run_load(
        issue_call(channel, GENERATED_SERIES, 1, []),
        calls=profile.warmup_calls,
        concurrency=4,
        time_cap_s=profile.time_cap_s,
    )


async def issue_single(
    channel: grpc.aio.Channel, store: str, profile: Profile, codes: list[str]
) -> list[Row]:
    rows = []
    for concurrency, calls in profile.issue_calls.items():
        result = await run_load(
            issue_call(channel, GENERATED_SERIES, 1, codes),
            calls=calls,
            concurrency=concurrency,
            time_cap_s=profile.time_cap_s,
        )
        rows.append(make_row("IssueMultiple count=1", store, concurrency, "calls", result))
    return rows


async def issue_batch(
    channel: grpc.aio.Channel, store: str, profile: Profile, codes: list[str]
) -> Row:
    result = await run_load(
        issue_call(channel, GENERATED_SERIES, profile.batch_size, codes),
        calls=profile.batch_calls,
        concurrency=profile.batch_concurrency,
        time_cap_s=profile.time_cap_s,
    )
    scenario = f"IssueMultiple count={profile.batch_size}"
    return make_row(scenario, store, profile.batch_concurrency, "coupons", result)


async def create_pool_series(channel: grpc.aio.Channel) -> int:
    stub = series_service_pb2_grpc.SeriesServiceStub(channel)
    series = series_service_pb2.Series(
        description="benchmark pool",
        code_source=series_service_pb2.CODE_SOURCE_UPLOADED,
        is_multiple_vouchers_per_user_allowed=True,
    )
    created = await stub.CreateSeries(
        series_service_pb2.CreateSeriesRequest(series=series),
        timeout=CALL_TIMEOUT_S,
        metadata=AUTH,
    )
    return created.id


def batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def upload_pool(
    channel: grpc.aio.Channel, store: str, profile: Profile, series_id: int, codes: list[str]
) -> Row:
    """Uploads `codes` one batch at a time (sequentially, as an operator would)."""
    stub = series_service_pb2_grpc.SeriesServiceStub(channel)
    chunks = list(batches(codes, profile.upload_batch))

    async def call(ticket: int) -> int:
        request = series_service_pb2.UploadCodesRequest(series_id=series_id, codes=chunks[ticket])
        response = await stub.UploadCodes(request, timeout=CALL_TIMEOUT_S * 4, metadata=AUTH)
        return response.uploaded_count

    # No time cap here: the claims below need the whole pool.
    result = await run_load(call, calls=len(chunks), concurrency=1, time_cap_s=math.inf)
    row = make_row(f"UploadCodes x{profile.upload_batch}", store, 1, "codes", result)
    if result.units != len(codes):
        row.notes.append(f"only {result.units} of {len(codes)} codes were added")
    return row


async def claim_pool(
    channel: grpc.aio.Channel, store: str, profile: Profile, series_id: int, pool: list[str]
) -> tuple[Row, Check]:
    claimed: list[str] = []
    result = await run_load(
        issue_call(channel, series_id, 1, claimed),
        calls=len(pool),
        concurrency=profile.claim_concurrency,
        time_cap_s=profile.time_cap_s,
    )
    row = make_row("claim UPLOADED count=1", store, profile.claim_concurrency, "claims", result)
    check = await check_claims(channel, store, series_id, pool, claimed)
    return row, check


async def check_claims(
    channel: grpc.aio.Channel, store: str, series_id: int, pool: list[str], claimed: list[str]
) -> Check:
    """No code twice, only codes from the pool, and the series' counters agree."""
    stub = series_service_pb2_grpc.SeriesServiceStub(channel)
    series = await stub.GetSeries(
        series_service_pb2.GetSeriesRequest(series_id=series_id),
        timeout=CALL_TIMEOUT_S,
        metadata=AUTH,
    )
    repeated = len(claimed) - len(set(claimed))
    foreign = len(set(claimed) - set(pool))
    left = series.num_uploaded_non_issued
    ok = repeated == 0 and foreign == 0 and left == len(pool) - len(claimed)
    detail = (
        f"{len(claimed)} claimed, {repeated} repeated, {foreign} not from the pool, "
        f"{left} left of {series.num_uploaded_total} (expected {len(pool) - len(claimed)})"
    )
    return Check(store, "uploaded pool: no code twice", ok, detail)


async def uploaded_pool(
    channel: grpc.aio.Channel, store: str, profile: Profile
) -> tuple[Row, Row, Check]:
    series_id = await create_pool_series(channel)
    tag = secrets.token_hex(4).upper()
    pool = [f"BENCH{tag}{number:07d}" for number in range(profile.pool_codes)]
    upload_row = await upload_pool(channel, store, profile, series_id, pool)
    claim_row, check = await claim_pool(channel, store, profile, series_id, pool)
    return upload_row, claim_row, check


async def bulk_issue(channel: grpc.aio.Channel, store: str, profile: Profile) -> Row:
    outcomes: Counter[str] = Counter()
    result = await run_load(
        bulk_call(channel, outcomes),
        calls=profile.bulk_calls,
        concurrency=profile.bulk_concurrency,
        time_cap_s=profile.time_cap_s,
    )
    row = make_row(
        f"BulkIssue {len(BULK_SERIES)} series", store, profile.bulk_concurrency, "calls", result
    )
    entries = ", ".join(f"{key} x{count}" for key, count in sorted(outcomes.items()))
    row.notes += [f"entries: {entries}", BULK_NOTE]
    return row


def check_generated(store: str, codes: list[str]) -> Check:
    repeated = len(codes) - len(set(codes))
    detail = f"{len(codes)} generated codes received, {repeated} repeated"
    return Check(store, "generated: no code twice", repeated == 0, detail)


# --- one store ---------------------------------------------------------------------------


async def bench_store(
    store: str, db_url: str, profile: Profile, workdir: Path, report: Report
) -> None:
    """Runs every scenario against one server on `db_url`, then times a restart."""
    server, start = await start_server(store, db_url, workdir / f"{store}-1.log", "empty")
    print(f"  [{store}] server pid {server.process.pid} on {server.target}", flush=True)
    CpuMeter.server_pid = server.process.pid
    try:
        async with grpc.aio.insecure_channel(server.target) as channel:
            await run_scenarios(channel, store, profile, report)
    finally:
        start.stop_ms = await stop_server(server)
        CpuMeter.server_pid = None
    report.starts.append(start)
    server, restart = await start_server(store, db_url, workdir / f"{store}-2.log", "populated")
    restart.stop_ms = await stop_server(server)
    report.starts.append(restart)


async def run_scenarios(
    channel: grpc.aio.Channel, store: str, profile: Profile, report: Report
) -> None:
    await warm_up(channel, profile)
    generated: list[str] = []
    for row in await issue_single(channel, store, profile, generated):
        report.add(row)
    report.add(await issue_batch(channel, store, profile, generated))
    upload_row, claim_row, claim_check = await uploaded_pool(channel, store, profile)
    report.add(upload_row)
    report.add(claim_row)
    report.checks.append(claim_check)
    report.add(await bulk_issue(channel, store, profile))
    report.checks.append(check_generated(store, generated))


async def _admin_execute(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_postgres_database() -> tuple[str, str]:
    """Creates a fresh database; returns its name and its URL for the service."""
    name = f"coupon_bench_{uuid.uuid4().hex[:12]}"
    await _admin_execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return name, url.render_as_string(hide_password=False)


async def bench_sqlite(profile: Profile, workdir: Path, report: Report) -> None:
    print("SQLite (temporary file)", flush=True)
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    await bench_store("sqlite", url, profile, workdir, report)


async def bench_postgres(profile: Profile, workdir: Path, report: Report) -> None:
    print(f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string()}, fresh database", flush=True)
    try:
        name, url = await create_postgres_database()
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        reason = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {error}"
        print(f"  skipped: {reason}", flush=True)
        report.skipped["postgres"] = reason
        return
    try:
        await bench_store("postgres", url, profile, workdir, report)
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- output ------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _cpu(row: Row) -> str:
    """Server, client, PostgreSQL and everything else's CPU, in percent of one core."""
    parties = ("server", "client", "postgres", "other")
    cells = []
    for party in parties:
        value = row.cpu_percent.get(party)
        skip = value is None or (party == "postgres" and row.store != "postgres")
        cells.append(f"{'-' if skip else f'{value:.0f}':>5}")
    return " ".join(cells)


HEADER = (
    f"{'scenario':<26} {'store':<8} {'conc':>4} {'ops/s':>9} {'unit':<7} "
    f"{'p50':>7} {'p95':>7} {'p99':>7} {'calls':>6} {'err':>4} {'srv ms':>6} "
    f"{'srv%':>5} {'cli%':>5} {'pg%':>5} {'oth%':>5}"
)


def format_row(row: Row) -> str:
    errors = sum(row.errors.values())
    server_ms = "-" if row.server_cpu_ms_per_call is None else f"{row.server_cpu_ms_per_call:.1f}"
    return (
        f"{row.scenario:<26} {row.store:<8} {row.concurrency:>4} {row.rate:>9.1f} {row.unit:<7} "
        f"{_ms(row.p50_ms):>7} {_ms(row.p95_ms):>7} {_ms(row.p99_ms):>7} {row.calls:>6} "
        f"{errors:>4} {server_ms:>6} {_cpu(row)}"
    )


def print_report(report: Report, profile: Profile) -> None:
    cores = os.cpu_count() or 1
    print()
    print(f"Results ({profile.name} run; latencies in ms; ops/s counts the unit column)")
    print(HEADER)
    print("-" * len(HEADER))
    for row in report.rows:
        print(format_row(row))
        for note in row.notes:
            print(f"    {note}")
    print()
    print(
        f"{'start-up':<26} {'store':<8} {'database':<10} {'health':>8} {'1st issue':>10} "
        f"{'stop':>7}  phases"
    )
    for start in report.starts:
        phases = ", ".join(f"{name} {ms:.0f}" for name, ms in start.phases_ms.items())
        print(
            f"{'spawn -> ready (ms)':<26} {start.store:<8} {start.database:<10} "
            f"{start.to_health_ms:>8.0f} {start.to_first_issue_ms:>10.0f} "
            f"{_ms(start.stop_ms):>7}  {phases}"
        )
    print()
    for check in report.checks:
        print(
            f"check [{check.store}] {check.name}: {'ok' if check.ok else 'FAILED'} ({check.detail})"
        )
    for store, reason in report.skipped.items():
        print(f"skipped {store}: {reason}")
    print_ratios(report)
    warn_about_other_load(report)
    print()
    print("note: " + SHARED_MACHINE_NOTE.format(cores=cores) + ".")
    print(
        "      srv ms = server CPU per successful call; srv%, cli%, pg%, oth% = CPU of the "
        "server, this client, PostgreSQL (all its processes, whoever's) and every other "
        "process, in percent of one core "
        f"(together at most {cores * 100}); err = failed calls."
    )


def warn_about_other_load(report: Report) -> None:
    """Says so when processes other than ours took a noticeable share of the machine."""
    other = [row.cpu_percent["other"] for row in report.rows if "other" in row.cpu_percent]
    if other and max(other) >= OTHER_LOAD_WARNING_PERCENT:
        print(
            f"warning: other processes used up to {max(other):.0f}% of a core during the "
            f"scenarios (mean {sum(other) / len(other):.0f}%): these numbers are depressed, "
            "rerun on a quieter machine before comparing them with another run"
        )


def print_ratios(report: Report) -> None:
    """Concurrency 64 against 1 per store, and SQLite against PostgreSQL per scenario."""
    rates = {(row.scenario, row.concurrency, row.store): row.rate for row in report.rows}
    for store in ("sqlite", "postgres"):
        one = rates.get(("IssueMultiple count=1", 1, store))
        many = rates.get(("IssueMultiple count=1", 64, store))
        if one and many:
            print(f"ratio [{store}] IssueMultiple count=1, c64/c1 throughput: {many / one:.2f}x")
    for scenario, concurrency, store in rates:
        postgres = rates.get((scenario, concurrency, "postgres"))
        if store == "sqlite" and postgres:
            sqlite = rates[(scenario, concurrency, store)]
            print(f"ratio sqlite/postgres {scenario} c{concurrency}: {sqlite / postgres:.2f}x")


def write_json(report: Report, profile: Profile, started: datetime) -> None:
    payload = {
        "started_at": started.isoformat(),
        "profile": dataclasses.asdict(profile),
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "grpcio": grpc.__version__,
            "note": SHARED_MACHINE_NOTE.format(cores=os.cpu_count()),
        },
        "results": [dataclasses.asdict(row) for row in report.rows],
        "startup": [dataclasses.asdict(start) for start in report.starts],
        "checks": [dataclasses.asdict(check) for check in report.checks],
        "skipped": report.skipped,
    }
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {RESULTS_PATH}")


# --- entry point -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, about 1 minute")
    parser.add_argument("--store", choices=("all", "sqlite", "postgres"), default="all")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> int:
    profile = QUICK if args.quick else FULL
    started = datetime.now(UTC)
    cores = os.cpu_count() or 1
    print(f"coupon-service issue benchmark, {profile.name} run, {cores} cores")
    print(f"note: {SHARED_MACHINE_NOTE.format(cores=cores)}")
    report = Report()
    stores = {"sqlite": bench_sqlite, "postgres": bench_postgres}
    with tempfile.TemporaryDirectory(prefix="coupon-bench-") as tmp:
        for store, bench in stores.items():
            if args.store in ("all", store):
                await bench_or_report_failure(store, bench, profile, Path(tmp), report)
    print_report(report, profile)
    write_json(report, profile, started)
    failed = report.failed or not all(check.ok for check in report.checks)
    return 1 if failed else 0


async def bench_or_report_failure(
    store: str,
    bench: Callable[[Profile, Path, Report], Awaitable[None]],
    profile: Profile,
    workdir: Path,
    report: Report,
) -> None:
    """Runs one store's benchmark; a failure is reported and the next store still runs."""
    try:
        await bench(profile, workdir, report)
    except (grpc.aio.AioRpcError, OSError, RuntimeError, TimeoutError) as error:
        report.failed = True
        report.skipped[store] = f"failed: {error!r}"
        print(f"  {store} FAILED: {error!r}", flush=True)
        print_server_logs(store, workdir)


def print_server_logs(store: str, workdir: Path) -> None:
    for log in sorted(workdir.glob(f"{store}-*.log")):
        print(f"  last lines of {log.name}:\n{_tail(log.read_text(errors='replace'))}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        sys.exit(asyncio.run(main_async(args)))
    except KeyboardInterrupt:
        sys.exit("interrupted: servers stopped, benchmark databases dropped, no results written")


if __name__ == "__main__":
    main()
