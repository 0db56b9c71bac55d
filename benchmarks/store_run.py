"""`StoreRun`: one store's servers and client processes, and `measure`, which runs any point.

A point is one `load.Job` split over the client processes (one process at c=1, both above),
against the first server or, for the "x2" variants, against both replicas with the callers
dealt out evenly. Server and client CPU are metered over the measured window only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from .harness import Result, load_result
from .load import Job, JobResult
from .meters import CpuMeter, annotate, postgres_pids
from .profiles import Profile
from .servers import ServerProcess
from .workers import ClientPool, split

MANY_CALLS = 10**9  # "until the time cap": the tickets never run out first


@dataclasses.dataclass
class StoreRun:
    """One store's servers, the client processes, and what the scenarios found so far."""

    store: str  # "sqlite" or "postgres"
    servers: list[ServerProcess]
    clients: ClientPool
    profile: Profile
    raw_ceilings: Callable[[], Awaitable[list[Result]]]
    results: list[Result] = dataclasses.field(default_factory=list)
    rss_start_mb: float | None = None
    pool_series: int | None = None  # an UPLOADED series with codes left
    pool_left: int = 0
    bulk_ids: tuple[int, ...] = ()
    redeem_series: int | None = None  # the GENERATED series RedeemCoupon's coupons come from
    database: str = ""  # the PostgreSQL database's name, whose backends the db% column meters

    @property
    def first(self) -> ServerProcess:
        return self.servers[0]

    def points(self) -> list[tuple[list[ServerProcess], int]]:
        """(servers, concurrency) of a scenario's points: every concurrency on one server, then
        the replica concurrencies on both replicas."""
        one = [(self.servers[:1], c) for c in self.profile.concurrencies]
        if len(self.servers) == 1:
            return one
        return one + [(self.servers, c) for c in self.profile.replica_concurrencies]

    def meters(self, servers: list[ServerProcess], clients: list[int]) -> list[CpuMeter]:
        """CPU meters of the servers, the clients and this run's PostgreSQL processes."""
        name = self.database
        return [
            CpuMeter([server.pid for server in servers]),
            CpuMeter(clients),
            CpuMeter(lambda: postgres_pids(name) if name else []),
        ]

    def label(self, servers: list[ServerProcess]) -> str:
        return self.store if len(servers) == 1 else f"{self.store} x{len(servers)}"

    async def measure(
        self,
        key: str,
        label: str,
        unit: str,
        *,
        kind: str,
        concurrency: int,
        servers: list[ServerProcess] | None = None,
        calls: int = MANY_CALLS,
        time_cap_s: float | None = None,
        warmup: bool = True,
        **job_fields: Any,
    ) -> tuple[Result, list[JobResult]]:
        servers = servers or self.servers[:1]
        http = kind == "rest"
        job = Job(
            kind=kind,
            targets=tuple(s.http_target if http else s.grpc_target for s in servers),
            concurrency=concurrency,
            tickets=(0, calls, 1),
            time_cap_s=self.profile.point_s if time_cap_s is None else time_cap_s,
            warmup_s=self.profile.warmup_s if warmup else 0.0,
            **job_fields,
        )
        meters = self.meters(servers, self.clients.pids)
        answers = await self.clients.run(split(job, self.clients.size), meters)
        loops = [answer.loop for answer in answers]
        result = load_result(self.label(servers), key, label, concurrency, unit, loops)
        annotate(result, *meters)
        short: dict[str, int] = {}
        for answer in answers:
            for reason, number in answer.short_answers.items():
                short[reason] = short.get(reason, 0) + number
        if short:
            result.notes.append(f"calls that issued fewer than asked: {short}")
        if result.errors:
            result.notes.append(f"failed calls: {result.errors}")
        self.add(result)
        return result, answers

    def add(self, result: Result) -> None:
        self.results.append(result)
        rate = "-" if result.rate is None else f"{result.rate:,.0f}"
        unit = result.unit if result.unit == "MB" else f"{result.unit}/s"
        errors = f", {sum(result.errors.values())} failed" if result.errors else ""
        print(
            f"  {result.store:<12} {result.label} c={result.concurrency}: {rate} {unit}{errors}",
            flush=True,
        )
