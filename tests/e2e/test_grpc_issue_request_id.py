"""IssueMultiple's requestId over a real channel: a retry replays the first answer, concurrent
retries issue once, a different request with the same id is refused, a failure uses up nothing."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from coupon.v1 import common_pb2, coupon_service_pb2, customer_service_pb2
from tests.e2e.helpers.demo import DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import (
    DOCUMENTED_EXTERNAL_ID_BODY,
    assert_failure,
    error_entries,
    issue,
    num_issued,
    parse_issue,
    rich_failure,
)

# --- request_id -------------------------------------------------------------------------------


async def test_retry_with_the_same_request_id_returns_the_same_coupons(coupons, customers):
    request = issue(415446, 2, mobile=DEMO_MOBILE)
    request.requestId = "order-42"

    first = await coupons.IssueMultiple(request)
    retried = await coupons.IssueMultiple(request)

    assert [(c.couponId, c.code) for c in retried.coupons] == [
        (c.couponId, c.code) for c in first.coupons
    ]
    assert (retried.totalCount, retried.successCount, retried.failureCount) == (2, 2, 0)
    assert retried.couponConfig.numTotal == 2
    listed = await customers.ListCustomerCoupons(
        customer_service_pb2.ListCustomerCouponsRequest(
            customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE)
        )
    )
    assert [c.id for c in listed.coupons] == [c.couponId for c in first.coupons]
    assert {c.request_id for c in listed.coupons} == {"order-42"}


async def test_concurrent_retries_with_one_request_id_issue_once(coupons, series):
    request = issue(700001, 3, mobile=DEMO_MOBILE)
    request.requestId = "burst-1"

    responses = await asyncio.gather(*(coupons.IssueMultiple(request) for _ in range(10)))

    answers = {tuple(c.code for c in response.coupons) for response in responses}
    assert len(answers) == 1
    assert len(next(iter(answers))) == 3
    assert await num_issued(series, 700001) == 3


async def test_partial_outcome_is_replayed_with_its_errors(coupons):
    request = parse_issue(DOCUMENTED_EXTERNAL_ID_BODY)
    request.requestId = "generic-1"

    first = await coupons.IssueMultiple(request)
    retried = await coupons.IssueMultiple(request)

    assert retried.coupons == first.coupons
    assert error_entries(retried) == error_entries(first)
    assert (retried.successCount, retried.failureCount) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"count": 3}, id="other-count"),
        pytest.param({"seriesId": 535521}, id="other-series"),
        pytest.param(
            {"customer": common_pb2.CustomerRef(mobile="919900000001")}, id="other-customer"
        ),
    ],
)
async def test_same_request_id_with_a_different_request_is_refused(coupons, series, change):
    request = issue(415446, 2, mobile=DEMO_MOBILE)
    request.requestId = "order-43"
    await coupons.IssueMultiple(request)
    different = coupon_service_pb2.IssueMultipleRequest()
    different.CopyFrom(request)
    for name, value in change.items():
        if isinstance(value, common_pb2.CustomerRef):
            getattr(different, name).CopyFrom(value)
        else:
            setattr(different, name, value)

    failure = await rich_failure(coupons.IssueMultiple(different))

    # The service refuses with FAILED_PRECONDITION (the key is in a state that forbids this
    # request), code 629, and no BadRequest.
    assert_failure(
        failure,
        grpc.StatusCode.FAILED_PRECONDITION,
        629,
        "INVALID_INPUT",
        message="requestId was already used for a different request",
    )
    assert await num_issued(series, 415446) == 2
    assert await num_issued(series, 535521) == 0


async def test_a_failed_call_does_not_use_up_its_request_id(coupons):
    invalid = issue(415446, 501, mobile=DEMO_MOBILE)
    invalid.requestId = "order-44"
    await rich_failure(coupons.IssueMultiple(invalid))
    unknown_customer = issue(415446, 2, mobile="19999999999")
    unknown_customer.requestId = "order-44"
    await rich_failure(coupons.IssueMultiple(unknown_customer))

    valid = issue(415446, 2, mobile=DEMO_MOBILE)
    valid.requestId = "order-44"
    response = await coupons.IssueMultiple(valid)

    assert response.successCount == 2
