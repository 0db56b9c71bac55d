"""IssueMultiple against the limits over a real channel: per customer, per series and a drained
pool, each a partial success (5xxx) first and then nothing issued (6xx)."""

from __future__ import annotations

import grpc

from tests.e2e.helpers.demo import DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import (
    assert_failure,
    error_entries,
    issue,
    num_issued,
    rich_failure,
)

# --- limits: partial success (5xxx) and nothing issued (6xx) -----------------------------------


async def test_per_customer_limit_is_partial_then_621(coupons):
    first = await coupons.IssueMultiple(issue(700002, 3, mobile="919900000002"))
    second = await coupons.IssueMultiple(issue(700002, 3, mobile="919900000002"))

    assert first.successCount == 3
    assert (second.totalCount, second.successCount, second.failureCount) == (3, 2, 1)
    assert error_entries(second) == [(False, 5002, "max coupon per user exceeded", 700002)]

    failure = await rich_failure(coupons.IssueMultiple(issue(700002, 1, mobile="919900000002")))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        621,
        "MAX_COUPONS_PER_CUSTOMER_REACHED",
        message="max coupon per user exceeded",
        metadata={"seriesId": "700002"},
    )


async def _fill_demo_limited_series(coupons) -> list[str]:
    """Issues 48 of series 700002's 50 coupons: 5 each to nine customers, 3 to a tenth."""
    codes = []
    for number in range(1, 11):
        count = 5 if number < 10 else 3
        response = await coupons.IssueMultiple(issue(700002, count, mobile=f"9199000{number:05d}"))
        assert response.successCount == count
        codes += [coupon.code for coupon in response.coupons]
    return codes


async def test_series_limit_is_partial_then_626(coupons, series):
    codes = await _fill_demo_limited_series(coupons)

    partial = await coupons.IssueMultiple(issue(700002, 5, mobile="919900000011"))

    assert (partial.totalCount, partial.successCount, partial.failureCount) == (5, 2, 3)
    assert [(e.code, e.seriesId) for e in partial.errors] == [(5001, 700002)]
    assert partial.couponConfig.numTotal == 50
    assert len(set(codes + [c.code for c in partial.coupons])) == 50

    failure = await rich_failure(coupons.IssueMultiple(issue(700002, 1, mobile="919900000012")))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        626,
        "SERIES_LIMIT_REACHED",
        metadata={"seriesId": "700002"},
    )
    assert await num_issued(series, 700002) == 50


async def test_series_limit_reached_is_626_even_when_count_exceeds_the_per_customer_limit(
    coupons,
):
    await _fill_demo_limited_series(coupons)
    await coupons.IssueMultiple(issue(700002, 2, mobile="919900000011"))

    # The customer holds none, so the per-customer limit is not why nothing was issued.
    failure = await rich_failure(coupons.IssueMultiple(issue(700002, 10, mobile="919900000012")))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        626,
        "SERIES_LIMIT_REACHED",
        metadata={"seriesId": "700002"},
    )


async def test_drained_pool_is_partial_then_702(coupons, series):
    first = await coupons.IssueMultiple(issue(700001, 60, mobile=DEMO_MOBILE))
    second = await coupons.IssueMultiple(issue(700001, 50, mobile="919900000001"))

    assert first.successCount == 60
    assert (second.totalCount, second.successCount, second.failureCount) == (50, 40, 10)
    assert [(e.code, e.seriesId) for e in second.errors] == [(5005, 700001)]
    issued = [c.code for c in first.coupons] + [c.code for c in second.coupons]
    assert sorted(issued) == [f"DEMO{number:04d}" for number in range(1, 101)]
    assert (second.couponConfig.numUploadedTotal, second.couponConfig.numUploadedNonIssued) == (
        100,
        0,
    )

    failure = await rich_failure(coupons.IssueMultiple(issue(700001, 1, mobile=DEMO_MOBILE)))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        702,
        "SERIES_EXHAUSTED",
        metadata={"seriesId": "700001"},
    )
    assert await num_issued(series, 700001) == 100
