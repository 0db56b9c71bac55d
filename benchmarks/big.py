"""The bulk scenarios: the 1M upload, the 1M issue, the UPLOADED pool, and server RSS.

- upload: `big_codes` codes into a new UPLOADED series, unary UploadCodes of `upload_chunk`
  codes, `upload_concurrency` calls in flight; the series then serves as the UPLOADED pool.
- issue: `big_codes / 500` IssueMultiple calls of count 500 from a new GENERATED series
  (alphanumeric codes of length 12, several per customer), every code kept and checked unique.
- RSS: VmRSS of the first server right after it started, and after `soak_s` of count=1 load.

Each stops at `big_cap_s`; a capped run reports the time it would have taken at its rate,
marked "projected". The quick profile scales them down (100k) and says so.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from .fixtures import GENERATED_DEMO_SERIES, create_series, get_series
from .harness import Result
from .load import Job

if TYPE_CHECKING:
    from .store_run import StoreRun

BATCH = 500


def _duration(result: Result, total: int) -> None:
    """The time the whole `total` took, or would have taken at the measured rate."""
    done = result.units
    projected = done < total
    seconds = result.elapsed_s * total / done if done else float("inf")
    result.extra.update(total=total, done=done, duration_s=seconds, projected=projected)
    if projected:
        result.notes.append(
            f"stopped at the {result.elapsed_s:.0f} s cap after {done:,} of {total:,}: "
            "duration projected from the rate"
        )


async def upload1m(run: StoreRun) -> None:
    profile = run.profile
    series_id = await create_series(run.first.grpc_target, "bench upload", uploaded=True)
    calls = profile.big_codes // profile.upload_chunk
    result, _answers = await run.measure(
        "upload1m",
        f"UploadCodes {profile.big_label} codes",
        "codes",
        kind="upload",
        concurrency=profile.upload_concurrency,
        calls=calls,
        time_cap_s=profile.big_cap_s,
        warmup=False,
        series_ids=(series_id,),
        code_prefix=f"U{secrets.token_hex(4).upper()}",
        chunk=profile.upload_chunk,
    )
    result.extra["scale"] = profile.big_scale
    _duration(result, profile.big_codes)
    series = await get_series(run.first.grpc_target, series_id)
    result.extra["series_uploaded_total"] = int(series.num_uploaded_total)
    if series.num_uploaded_total != result.units:
        result.notes.append(
            f"the series reports {series.num_uploaded_total:,} codes, the calls {result.units:,}"
        )
    run.pool_series, run.pool_left = series_id, int(series.num_uploaded_non_issued)


async def ensure_pool(run: StoreRun, minimum: int) -> None:
    """An UPLOADED pool with at least `minimum` codes left (as the server counts them: warm-up
    calls claim codes too); a new one of max(pool_codes, 2 x minimum) codes when it runs low."""
    if run.pool_series is not None:
        series = await get_series(run.first.grpc_target, run.pool_series)
        run.pool_left = int(series.num_uploaded_non_issued)
        if run.pool_left >= minimum:
            return
    profile = run.profile
    size = max(profile.pool_codes, 2 * minimum)
    series_id = await create_series(run.first.grpc_target, "bench pool", uploaded=True)
    chunk = min(profile.upload_chunk, size)
    processes = min(run.clients.size, profile.upload_concurrency)
    await run.clients.run(
        [
            _pool_job(run, series_id, size // chunk, chunk, index, processes)
            for index in range(processes)
        ]
    )
    series = await get_series(run.first.grpc_target, series_id)
    run.pool_series, run.pool_left = series_id, int(series.num_uploaded_non_issued)
    print(f"  (UPLOADED pool: series {series_id}, {run.pool_left:,} codes)", flush=True)


def _pool_job(
    run: StoreRun, series_id: int, calls: int, chunk: int, index: int, processes: int
) -> Job:
    return Job(
        kind="upload",
        targets=(run.first.grpc_target,),
        concurrency=max(1, run.profile.upload_concurrency // processes),
        tickets=(index, calls, processes),
        time_cap_s=run.profile.big_cap_s * 2,
        series_ids=(series_id,),
        code_prefix=f"P{secrets.token_hex(4).upper()}",
        chunk=chunk,
    )


async def issue1m(run: StoreRun) -> None:
    profile = run.profile
    series_id = await create_series(
        run.first.grpc_target, "bench issue", alpha_numeric=True, code_length=12
    )
    result, answers = await run.measure(
        "issue1m",
        f"IssueMultiple {profile.big_label} as n=500",
        "coupons",
        kind="issue",
        concurrency=profile.big_issue_concurrency,
        calls=profile.big_codes // BATCH,
        time_cap_s=profile.big_cap_s,
        warmup=False,
        series_ids=(series_id,),
        count=BATCH,
        keep_codes=True,
    )
    result.extra["scale"] = profile.big_scale
    _duration(result, profile.big_codes)
    codes = [code for answer in answers for code in answer.codes]
    result.extra["codes_received"] = len(codes)
    result.extra["duplicates"] = len(codes) - len(set(codes))


async def rss(run: StoreRun) -> None:
    """Server RSS at start and after `soak_s` of IssueMultiple count=1 at c=16."""
    soak, _answers = await run.measure(
        "soak",
        "soak: n=1 GENERATED",
        "calls",
        kind="issue",
        concurrency=16,
        time_cap_s=run.profile.soak_s,
        series_ids=(GENERATED_DEMO_SERIES,),
    )
    after = run.first.rss_mb()
    start = run.rss_start_mb
    growth = None if after is None or start is None else after - start
    result = Result(
        run.store,
        "rss",
        f"server RSS growth, {run.profile.soak_s:.0f} s load",
        16,
        "MB",
        growth,
        calls=soak.calls,
        elapsed_s=soak.elapsed_s,
    )
    result.extra.update(
        rss_start_mb=start or 0.0, rss_after_mb=after or 0.0, soak_s=run.profile.soak_s
    )
    result.notes.append(f"VmRSS {start or 0:.0f} MB at start, {after or 0:.0f} MB after the soak")
    if run.profile.soak_s < 60:
        result.notes.append(f"quick run: {run.profile.soak_s:.0f} s of load, not 60 s")
    run.add(result)
