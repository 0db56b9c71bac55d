"""Timing primitives: the closed loop, percentiles and the result row.

A closed loop runs `concurrency` callers; each sends its next call only when the previous one
answered, and takes its next ticket from one shared iterator, so the loop stops by itself when
the tickets run out or when the time cap passes, whichever comes first. Latencies are measured
with `perf_counter`; the loop's start and end are also stamped with `time.time()` so that loops
run in several client processes can be merged into one window.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence

# call(caller_index, ticket) -> units produced (calls, coupons, codes, rows).
Call = Callable[[int, int], Awaitable[int]]
# Turns a failed call's exception into the name it is counted under.
Classify = Callable[[BaseException], str]


@dataclasses.dataclass
class LoopResult:
    """What one closed loop measured (in one process)."""

    started: float  # time.time() when the first caller started
    ended: float  # time.time() when the last caller stopped
    latencies: list[float]  # seconds, successful calls only
    units: int
    errors: dict[str, int]
    capped: bool  # stopped by the time cap with tickets left


def _default_classify(error: BaseException) -> str:
    return type(error).__name__


async def closed_loop(
    call: Call,
    tickets: Iterable[int],
    *,
    concurrency: int,
    time_cap_s: float,
    classify: Classify = _default_classify,
) -> LoopResult:
    """Runs `call` for every ticket from `concurrency` callers until tickets or time run out."""
    shared = iter(tickets)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    units = 0
    capped = False
    deadline = time.perf_counter() + time_cap_s

    async def caller(index: int) -> None:
        nonlocal units, capped
        for ticket in shared:  # One iterator shared by every caller.
            if time.perf_counter() >= deadline:
                capped = True
                return
            began = time.perf_counter()
            try:
                produced = await call(index, ticket)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Counted, never fatal: the loop must finish.
                errors[classify(error)] += 1
                continue
            latencies.append(time.perf_counter() - began)
            units += produced  # After the await: `units += await ...` would lose updates.

    started = time.time()
    await asyncio.gather(*(caller(index) for index in range(concurrency)))
    return LoopResult(started, time.time(), latencies, units, dict(errors), capped)


def percentile_ms(sorted_seconds: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile of sorted durations in seconds, in milliseconds."""
    if not sorted_seconds:
        return None
    rank = max(1, math.ceil(percent / 100 * len(sorted_seconds)))
    return sorted_seconds[rank - 1] * 1000


@dataclasses.dataclass
class Result:
    """One row of the report: a scenario on one store (and replica count) at one concurrency."""

    store: str  # "sqlite", "postgres", "postgres x2"
    key: str  # e.g. "issue1.generated"; the ratio rules look rows up by it
    label: str  # what the table prints
    concurrency: int
    unit: str  # what `rate` counts per second
    rate: float | None
    calls: int = 0
    units: int = 0
    elapsed_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    capped: bool = False
    server_cpu_percent: float | None = None  # of one core, summed over the servers used
    client_cpu_percent: float | None = None  # of one core, summed over the client processes
    db_cpu_percent: float | None = None  # of one core, every PostgreSQL process
    other_cpu_percent: float | None = None  # of one core, everything else on the machine
    machine_cpu_percent: float | None = None  # of one core, everything on the machine
    extra: dict[str, float | int | str | bool] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)


def merge(loops: Sequence[LoopResult]) -> tuple[float, list[float], int, dict[str, int], bool]:
    """One window over loops run in several processes: elapsed, latencies, units, errors, capped."""
    elapsed = max(loop.ended for loop in loops) - min(loop.started for loop in loops)
    latencies = sorted(latency for loop in loops for latency in loop.latencies)
    errors: Counter[str] = Counter()
    for loop in loops:
        errors.update(loop.errors)
    units = sum(loop.units for loop in loops)
    return max(elapsed, 1e-9), latencies, units, dict(errors), any(loop.capped for loop in loops)


def load_result(
    store: str, key: str, label: str, concurrency: int, unit: str, loops: Sequence[LoopResult]
) -> Result:
    """A report row from the loops of one scenario; `unit` "calls" rates calls, others units."""
    elapsed, latencies, units, errors, capped = merge(loops)
    calls = len(latencies)
    rate = (calls if unit == "calls" else units) / elapsed
    result = Result(store, key, label, concurrency, unit, rate, calls, units, elapsed)
    result.p50_ms = percentile_ms(latencies, 50)
    result.p99_ms = percentile_ms(latencies, 99)
    result.errors, result.capped = errors, capped
    return result
