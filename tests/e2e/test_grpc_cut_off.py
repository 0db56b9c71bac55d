"""A call cut off by its deadline leaves nothing half-written: all its coupons, or none."""

from __future__ import annotations

import grpc

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)

CUT_CALLS = 40
COUNT = 200


async def test_calls_cut_off_mid_way_write_all_or_nothing(channel: grpc.aio.Channel) -> None:
    coupons = coupon_service_pb2_grpc.CouponServiceStub(channel)
    series_stub = series_service_pb2_grpc.SeriesServiceStub(channel)
    customers = customer_service_pb2_grpc.CustomerServiceStub(channel)
    series = await series_stub.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(
                description="cut off", is_multiple_vouchers_per_user_allowed=True
            )
        )
    )
    customer = await customers.CreateCustomer(
        customer_service_pb2.CreateCustomerRequest(
            customer=customer_service_pb2.Customer(mobile="447700900123")
        )
    )
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=series.id, count=COUNT, customer={"id": customer.id}
    )
    completed = cut_off = 0
    # Deadlines from far too short to long enough: calls die while authenticating, before,
    # during or after their transaction; whichever it is, the database must hold whole calls.
    for attempt in range(CUT_CALLS):
        try:
            await coupons.IssueMultiple(request, timeout=0.001 * (attempt + 1))
            completed += 1
        except grpc.aio.AioRpcError as error:
            assert error.code() is grpc.StatusCode.DEADLINE_EXCEEDED
            cut_off += 1
    assert cut_off > 0
    # Nothing was left holding the database: the next call goes through at once.
    after = await coupons.IssueMultiple(request, timeout=3)
    completed += 1
    assert after.successCount == COUNT

    stored = await series_stub.GetSeries(series_service_pb2.GetSeriesRequest(series_id=series.id))
    held = 0
    page_token = ""
    while True:
        page = await customers.ListCustomerCoupons(
            customer_service_pb2.ListCustomerCouponsRequest(
                customer={"id": customer.id}, page_size=1000, page_token=page_token
            )
        )
        held += len(page.coupons)
        if not (page_token := page.next_page_token):
            break
    assert held % COUNT == 0 and held >= completed * COUNT
    assert stored.num_issued == held
