"""Counters that follow redemptions, over a real channel to a real server: GetSeries counts
them, IssueMultiple's couponConfig shows the latest one, and BulkIssue resending a redeemed
coupon says how often it was redeemed."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.adapters.tables import redemptions
from coupon_service.app import RunningService

DEMO = common_pb2.CustomerRef(mobile="11223569865")
_cs = coupon_service_pb2


async def _new_series(series: series_service_pb2_grpc.SeriesServiceStub, **fields: object) -> int:
    created = await series.CreateSeries(
        series_service_pb2.CreateSeriesRequest(series=series_service_pb2.Series(**fields))
    )
    return created.id


async def _stored_millis(service: RunningService, redemption_id: int) -> int:
    """When the redemption happened, to the millisecond: its answer gives whole seconds."""
    async with service.engine.connect() as connection:
        redeemed_at = (
            await connection.execute(
                select(redemptions.c.redeemed_at).where(redemptions.c.id == redemption_id)
            )
        ).scalar_one()
    return int(redeemed_at.replace(tzinfo=UTC).timestamp() * 1000)


async def test_a_redemption_shows_in_the_series_and_in_couponconfig(
    service: RunningService,
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
    series: series_service_pb2_grpc.SeriesServiceStub,
) -> None:
    series_id = await _new_series(series, is_multiple_vouchers_per_user_allowed=True)
    issue = _cs.IssueMultipleRequest(seriesId=series_id, customer=DEMO)
    first = await coupons.IssueMultiple(issue)

    redeemed = await coupons.RedeemCoupon(
        _cs.RedeemCouponRequest(code=first.coupons[0].code, customer=DEMO)
    )
    after_redeeming = await coupons.IssueMultiple(issue)
    counted = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=series_id))
    await coupons.ReverseRedemption(
        _cs.ReverseRedemptionRequest(redemption_id=redeemed.redemption.id)
    )
    after_reversing = await coupons.IssueMultiple(issue)
    uncounted = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=series_id))

    redeemed_ms = await _stored_millis(service, redeemed.redemption.id)
    assert redeemed_ms // 1000 == redeemed.redemption.redeemed_at.seconds
    assert first.couponConfig.latestRedemptionTime == 0  # Never redeemed yet.
    assert after_redeeming.couponConfig.latestRedemptionTime == redeemed_ms
    assert counted.num_redeemed == 1
    # The reversal takes the redemption off the count; that it happened stays.
    assert uncounted.num_redeemed == 0
    assert after_reversing.couponConfig.latestRedemptionTime == redeemed_ms


async def test_bulk_issue_resending_a_redeemed_coupon_gives_its_redemption_count(
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
    series: series_service_pb2_grpc.SeriesServiceStub,
) -> None:
    series_id = await _new_series(series, max_redemptions_per_coupon=3)  # One coupon per user.
    bulk = _cs.BulkIssueRequest(seriesIds=[series_id], customer=DEMO)
    new = (await coupons.BulkIssue(bulk)).response[0].result
    for _ in range(2):
        await coupons.RedeemCoupon(_cs.RedeemCouponRequest(code=new.code, customer=DEMO))

    resent = (await coupons.BulkIssue(bulk)).response[0].result

    assert new.redemptionCount == 0
    assert (resent.id, resent.redemptionCount) == (new.id, 2)
