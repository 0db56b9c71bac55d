"""The rate scenarios: echo and raw ceilings, IssueMultiple n=1 and n=500, BulkIssue, REST.

Call rates are compared with the echo at the same concurrency, coupon rates with the raw
500-row insert (see ratios.py). GENERATED scenarios issue from demo series 415446 (several
coupons per customer); UPLOADED ones from the run's pool (big.py), and keep every code they
receive to check that none came twice.
"""

from __future__ import annotations

import contextlib
import os

from .big import ensure_pool
from .fixtures import GENERATED_DEMO_SERIES, create_bulk_series
from .harness import Result
from .load import JobResult
from .meters import annotate
from .servers import ServerProcess
from .store_run import StoreRun


async def echo(run: StoreRun) -> None:
    """The ceiling of every call-rate scenario: the empty RPC, at each concurrency."""
    for servers, concurrency in run.points():
        await run.measure(
            "echo",
            "echo (empty RPC)",
            "calls",
            kind="echo",
            concurrency=concurrency,
            servers=servers,
        )


async def raw(run: StoreRun) -> None:
    """The raw driver ceilings, run by this (the harness) process: its CPU is the cli% column,
    metered over all of them together."""
    meters = run.meters(run.servers, [os.getpid()])
    with contextlib.ExitStack() as stack:
        for meter in meters:
            stack.enter_context(meter)
        results = await run.raw_ceilings()
    for result in results:
        annotate(result, *meters)
        run.add(result)


def _check_unique(result: Result, answers: list[JobResult]) -> None:
    codes = [code for answer in answers for code in answer.codes]
    result.extra["codes_received"] = len(codes)
    result.extra["duplicates"] = len(codes) - len(set(codes))


async def issue1(run: StoreRun) -> None:
    """IssueMultiple count=1: GENERATED (demo 415446), then UPLOADED (the run's pool)."""
    for servers, concurrency in run.points():
        await run.measure(
            "issue1.generated",
            "IssueMultiple n=1 GENERATED",
            "calls",
            kind="issue",
            concurrency=concurrency,
            servers=servers,
            series_ids=(GENERATED_DEMO_SERIES,),
        )
    for servers, concurrency in run.points():
        await issue_uploaded(run, 1, concurrency, servers)


async def issue_uploaded(
    run: StoreRun, count: int, concurrency: int, servers: list[ServerProcess]
) -> None:
    await ensure_pool(run, run.profile.pool_codes // (2 if count > 1 else 10))
    assert run.pool_series is not None
    # The warm-up calls claim codes too: the measured calls get half of what is left at most.
    calls = max(1, run.pool_left // 2 // count)
    result, answers = await run.measure(
        f"issue{count}.uploaded",
        f"IssueMultiple n={count} UPLOADED",
        "calls" if count == 1 else "coupons",
        kind="issue",
        concurrency=concurrency,
        servers=servers,
        calls=calls,
        series_ids=(run.pool_series,),
        count=count,
        keep_codes=True,
    )
    _check_unique(result, answers)


async def issue500(run: StoreRun) -> None:
    concurrency = run.profile.batch_concurrency
    await run.measure(
        "issue500.generated",
        "IssueMultiple n=500 GENERATED",
        "coupons",
        kind="issue",
        concurrency=concurrency,
        series_ids=(GENERATED_DEMO_SERIES,),
        count=500,
    )
    await issue_uploaded(run, 500, concurrency, run.servers[:1])


async def bulk(run: StoreRun) -> None:
    if not run.bulk_ids:
        run.bulk_ids = await create_bulk_series(run.first.grpc_target, run.profile.bulk_series)
    await run.measure(
        "bulk10",
        f"BulkIssue {len(run.bulk_ids)} series",
        "calls",
        kind="bulk",
        concurrency=run.profile.bulk_concurrency,
        series_ids=run.bulk_ids,
    )


async def rest(run: StoreRun) -> None:
    await run.measure(
        "rest1",
        "REST n=1 GENERATED",
        "calls",
        kind="rest",
        concurrency=run.profile.rest_concurrency,
        series_ids=(GENERATED_DEMO_SERIES,),
    )
