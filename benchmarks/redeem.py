"""The RedeemCoupon scenario: coupons issued beforehand through IssueMultiple, each redeemed once.

Before each point, this (the harness) process issues enough coupons for the point and its
warm-up, outside the measured window, from a series of the run's own (several coupons per
customer, one redemption per coupon): the echo's rate at the same concurrency and servers (the
ceiling no call beats) over the point's time, with a margin. The coupons are dealt over the 100
load customers in turn, so ticket t redeems a coupon held by customer t % 100, as the other n=1
scenarios spread their calls. Every ticket has a code of its own: a refusal (906 used up, …) is
the service's failure, counted as an error like any other. Should the coupons run out before
the time cap, the rate stands over the shorter window and a note says so.

After each point the answers must name distinct codes and distinct redemption ids, and GetCoupon
of a few of those codes must show each with exactly that one redemption.
"""

from __future__ import annotations

import asyncio
import itertools
import math

import grpc

from coupon.v1 import common_pb2, coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.demo import LOAD_CUSTOMER_MOBILES

from .calls import CALL_TIMEOUT_S, CHANNEL_OPTIONS, METADATA
from .fixtures import create_series
from .harness import Result
from .servers import ServerProcess
from .store_run import StoreRun

ISSUE_BATCH = 500  # IssueMultiple's largest count
ISSUE_IN_FLIGHT = 4
MARGIN = 1.25  # coupons prepared beyond the echo's rate times the point's time
FALLBACK_RATE = 5_000.0  # calls/s, when the echo did not run at this point (--only redeem)
READ_BACK = 5  # codes looked up with GetCoupon after each point


async def redeem(run: StoreRun) -> None:
    """RedeemCoupon at each point, every call on a coupon of its own."""
    if run.redeem_series is None:
        run.redeem_series = await create_series(run.first.grpc_target, "bench redeem")
    for servers, concurrency in run.points():
        await _point(run, run.redeem_series, servers, concurrency)


async def issue_coupons(target: str, series_id: int, total: int) -> list[tuple[str, str]]:
    """`total` new coupons of `series_id` as (code, holder's mobile), the holders in turn."""
    customers = len(LOAD_CUSTOMER_MOBILES)
    shares = [total // customers + (index < total % customers) for index in range(customers)]
    held: dict[str, list[str]] = {mobile: [] for mobile in LOAD_CUSTOMER_MOBILES}
    gate = asyncio.Semaphore(ISSUE_IN_FLIGHT)
    async with grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS) as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)

        async def issue(mobile: str, count: int) -> None:
            request = coupon_service_pb2.IssueMultipleRequest(
                seriesId=series_id, count=count, customer=common_pb2.CustomerRef(mobile=mobile)
            )
            async with gate:
                response = await stub.IssueMultiple(
                    request, timeout=CALL_TIMEOUT_S, metadata=METADATA
                )
            if response.successCount != count:
                errors = [error.code for error in response.errors]
                raise RuntimeError(f"issued {response.successCount} of {count}: {errors}")
            held[mobile].extend(coupon.code for coupon in response.coupons)

        await asyncio.gather(
            *(
                issue(mobile, min(ISSUE_BATCH, share - done))
                for mobile, share in zip(LOAD_CUSTOMER_MOBILES, shares, strict=True)
                for done in range(0, share, ISSUE_BATCH)
            )
        )
    rounds = itertools.zip_longest(*held.values())  # Each customer's first, then second, …
    return [
        (code, mobile)
        for codes in rounds
        for code, mobile in zip(codes, held, strict=True)
        if code is not None
    ]


def _expected_rate(run: StoreRun, servers: list[ServerProcess], concurrency: int) -> float:
    label = run.label(servers)
    echo = (
        r.rate
        for r in run.results
        if (r.store, r.key, r.concurrency) == (label, "echo", concurrency)
    )
    return next((rate for rate in echo if rate), FALLBACK_RATE)


async def _point(
    run: StoreRun, series_id: int, servers: list[ServerProcess], concurrency: int
) -> None:
    profile = run.profile
    rate = _expected_rate(run, servers, concurrency)
    warmup = math.ceil(rate * profile.warmup_s * MARGIN)
    measured = math.ceil(rate * profile.point_s * MARGIN)
    coupons = await issue_coupons(run.first.grpc_target, series_id, warmup + measured)
    result, answers = await run.measure(
        "redeem1",
        "RedeemCoupon n=1",
        "calls",
        kind="redeem",
        concurrency=concurrency,
        servers=servers,
        calls=measured,
        redemptions=tuple(coupons[warmup:]),
        warmup_redemptions=tuple(coupons[:warmup]),
        keep_codes=True,
    )
    codes = [code for answer in answers for code in answer.codes]
    ids = [number for answer in answers for number in answer.redemption_ids]
    result.extra.update(
        coupons_prepared=measured,
        codes_received=len(codes),
        duplicates=len(codes) - len(set(codes)),
        redemption_ids=len(ids),
        redemption_id_duplicates=len(ids) - len(set(ids)),
    )
    if not result.capped:
        result.notes.append(
            f"the {measured:,} coupons prepared ran out after {result.elapsed_s:.1f} s of the "
            f"{profile.point_s:g} s point: the rate is over that window"
        )
    redeemed = dict(zip(codes, ids, strict=True))
    await _read_back(run.first.grpc_target, result, redeemed)


async def _read_back(target: str, result: Result, redeemed: dict[str, int]) -> None:
    """GetCoupon of a few redeemed codes, spread over the point: one redemption each, the one
    RedeemCoupon answered with."""
    codes = list(redeemed)
    sample = codes[:: max(1, len(codes) // READ_BACK)][:READ_BACK]
    async with grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS) as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        found = [
            await stub.GetCoupon(
                coupon_service_pb2.GetCouponRequest(
                    coupon=coupon_service_pb2.CouponLookup(code=code)
                ),
                timeout=CALL_TIMEOUT_S,
                metadata=METADATA,
            )
            for code in sample
        ]
    once = [
        response.coupon.code
        for response in found
        if response.coupon.redemption_count == 1
        and [r.id for r in response.coupon.redemptions] == [redeemed[response.coupon.code]]
    ]
    result.extra.update(read_back=len(sample), read_back_redeemed_once=len(once))
    if len(once) < len(sample):
        others = sorted(set(sample) - set(once))
        result.notes.append(f"GetCoupon shows other than one redemption for {others}")
