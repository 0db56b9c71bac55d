"""WatchEvents over a real channel to a real server with the demo data: every change of a
coupon's life arrives once, in commit order, with the facts of its coupon; a consumer resumes
after any cursor it was sent; a cursor the feed never sent, or one past the retention window,
fails with its 9xx code; a stream ends with UNAVAILABLE when its replica shuts down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest

from coupon.v1 import common_pb2, coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.app import RunningService
from coupon_service.service.clock import utcnow
from coupon_service.service.events import prune_events
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.helpers.grpc_calls import assert_failure, rich_failure

DEMO = common_pb2.CustomerRef(mobile="11223569865")
AUTH = (("authorization", DEMO_AUTHORIZATION),)
_cs = coupon_service_pb2
ISSUED, REDEEMED, REVERSED, REVOKED = (
    _cs.COUPON_EVENT_TYPE_ISSUED,
    _cs.COUPON_EVENT_TYPE_REDEEMED,
    _cs.COUPON_EVENT_TYPE_REDEMPTION_REVERSED,
    _cs.COUPON_EVENT_TYPE_REVOKED,
)


async def _take(
    coupons: coupon_service_pb2_grpc.CouponServiceStub, count: int, **request: object
) -> list[coupon_service_pb2.CouponEvent]:
    """The first `count` events of a new stream; fails if they do not come within 10 s."""
    call = coupons.WatchEvents(_cs.WatchEventsRequest(**request), metadata=AUTH)  # type: ignore[arg-type]
    taken: list[coupon_service_pb2.CouponEvent] = []
    try:
        async with asyncio.timeout(10):
            async for event in call:
                taken.append(event)
                if len(taken) == count:
                    break
    finally:
        call.cancel()
    return taken


async def _life_of_a_coupon(coupons: coupon_service_pb2_grpc.CouponServiceStub) -> str:
    """Issues two coupons of series 415446 (one call), redeems the first, reverses that and
    revokes it: five changes."""
    issued = await coupons.IssueMultiple(
        _cs.IssueMultipleRequest(
            seriesId=415446,
            count=2,
            customer=DEMO,
            metadata=common_pb2.IssuanceMetadata(sourceType="POS", sourceId="till-9"),
        )
    )
    code = issued.coupons[0].code
    redeemed = await coupons.RedeemCoupon(
        _cs.RedeemCouponRequest(code=code, customer=DEMO, bill_number="B-1", bill_amount=500)
    )
    await coupons.ReverseRedemption(
        _cs.ReverseRedemptionRequest(redemption_id=redeemed.redemption.id)
    )
    await coupons.RevokeCoupon(
        _cs.RevokeCouponRequest(coupon=_cs.CouponLookup(code=code), reason="fraud")
    )
    return code


async def test_each_change_is_one_event_in_commit_order(
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
) -> None:
    code = await _life_of_a_coupon(coupons)

    events = await _take(coupons, 5)

    assert [e.type for e in events] == [ISSUED, ISSUED, REDEEMED, REVERSED, REVOKED]
    first = events[0]
    assert (first.code, first.series_id, first.issuance.sourceId) == (code, 415446, "till-9")
    assert events[1].code != code
    redeemed, reversed_, revoked = events[2:]
    assert (redeemed.code, redeemed.redemption.bill_number) == (code, "B-1")
    assert redeemed.redemption.bill_amount == 500
    assert not redeemed.redemption.HasField("reversed_at")  # As the event left it.
    assert reversed_.redemption.id == redeemed.redemption.id
    assert reversed_.redemption.reversed_at == reversed_.occurred_at
    assert (revoked.code, revoked.revoke_reason) == (code, "fraud")
    assert len({e.cursor for e in events}) == 5


async def test_a_consumer_resumes_after_its_cursor(
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
) -> None:
    await _life_of_a_coupon(coupons)
    events = await _take(coupons, 5)

    resumed = await _take(coupons, 3, after=events[1].cursor)

    assert resumed == events[2:]


async def test_a_stream_delivers_what_commits_after_it_caught_up(
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
) -> None:
    await _life_of_a_coupon(coupons)
    watching = asyncio.ensure_future(_take(coupons, 2, from_now=True))
    await asyncio.sleep(0.5)  # The stream has read the feed's head and waits.

    await _life_of_a_coupon(coupons)

    assert [e.type for e in await watching] == [ISSUED, ISSUED]


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "99999999", "1" * 20])
async def test_a_cursor_the_feed_never_sent_is_refused(
    coupons: coupon_service_pb2_grpc.CouponServiceStub, cursor: str
) -> None:
    call = coupons.WatchEvents(_cs.WatchEventsRequest(after=cursor), metadata=AUTH)

    failure = await rich_failure(_first(call))

    assert_failure(
        failure, grpc.StatusCode.INVALID_ARGUMENT, 911, "EVENT_CURSOR_INVALID", field="after"
    )


async def _first(call: AsyncIterator[object]) -> object:
    async for event in call:
        return event
    return None


async def test_a_cursor_past_the_retention_window_is_refused(
    service: RunningService, coupons: coupon_service_pb2_grpc.CouponServiceStub
) -> None:
    await _life_of_a_coupon(coupons)
    events = await _take(coupons, 5)
    # Two rounds of the pruner: the first notes the head, the second (a window later) prunes.
    await prune_events(service.uow, now=utcnow(), kept_for=timedelta(hours=1))
    removed = await prune_events(
        service.uow, now=utcnow() + timedelta(hours=2), kept_for=timedelta(hours=1)
    )
    assert removed == 5

    call = coupons.WatchEvents(_cs.WatchEventsRequest(after=events[2].cursor), metadata=AUTH)
    failure = await rich_failure(_first(call))

    assert_failure(
        failure,
        grpc.StatusCode.FAILED_PRECONDITION,
        910,
        "EVENT_CURSOR_EXPIRED",
        metadata={"oldestCursor": events[4].cursor},
    )
    # From the head of what was pruned, nothing is lost: the stream waits for new events.
    await _life_of_a_coupon(coupons)
    assert [e.type for e in await _take(coupons, 1, after=events[4].cursor)] == [ISSUED]


async def test_a_stream_ends_unavailable_when_its_replica_shuts_down(
    service: RunningService, coupons: coupon_service_pb2_grpc.CouponServiceStub
) -> None:
    call = coupons.WatchEvents(_cs.WatchEventsRequest(), metadata=AUTH)
    reading = asyncio.ensure_future(_first(call))
    await asyncio.sleep(0.3)

    async with asyncio.timeout(5):  # Not the grace period: the stream ends at once.
        await service.stop(grace_seconds=30)
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        await reading

    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
