"""The documented single-series example answers as documented over a real channel."""

from __future__ import annotations

import grpc

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc


async def test_issue_multiple_documented_example(channel: grpc.aio.Channel) -> None:
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=415446, count=2, customer={"mobile": "11223569865"}
    )
    response = await stub.IssueMultiple(request, timeout=10)
    assert (response.totalCount, response.successCount, response.failureCount) == (2, 2, 0)
    assert [len(c.code) for c in response.coupons] == [10, 10]
    assert all(c.code.isdigit() for c in response.coupons)
    assert response.couponConfig.description == "IKEA - 500KW Voucher "
    assert response.customer.id == 555567088
