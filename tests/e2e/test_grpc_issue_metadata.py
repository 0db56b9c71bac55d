"""IssueMultiple's metadata over a real channel: stored and listed with each coupon, and each
field's length limit."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import json_format

from coupon.v1 import common_pb2, customer_service_pb2
from tests.e2e.helpers.demo import DEMO_CUSTOMER_ID, DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import assert_failure, issue, num_issued, rich_failure

# --- metadata ---------------------------------------------------------------------------------

FULL_METADATA = {
    "sourceType": "Journeys",
    "sourceId": "block-7",
    "sourceActivity": "Tier upgrade",
    "notes": "issued as part of a migration batch",
    "reason": "tier upgrade benefit",
}


async def test_metadata_is_stored_and_listed_with_each_coupon(coupons, customers):
    request = issue(415446, 2, mobile=DEMO_MOBILE)
    request.metadata.CopyFrom(common_pb2.IssuanceMetadata(**FULL_METADATA))
    issued = await coupons.IssueMultiple(request)
    await coupons.IssueMultiple(issue(535521, 1, mobile=DEMO_MOBILE))

    listed = await customers.ListCustomerCoupons(
        customer_service_pb2.ListCustomerCouponsRequest(
            customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE)
        )
    )

    assert [c.id for c in listed.coupons] == sorted(c.id for c in listed.coupons)
    assert [c.id for c in listed.coupons[:2]] == [c.couponId for c in issued.coupons]
    for coupon in listed.coupons[:2]:
        assert json_format.MessageToDict(coupon.metadata) == FULL_METADATA
        assert (coupon.series_id, coupon.customer_id) == (415446, DEMO_CUSTOMER_ID)
    assert listed.coupons[2].metadata == common_pb2.IssuanceMetadata()
    assert listed.coupons[2].series_id == 535521


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("sourceType", 50),
        ("sourceId", 50),
        ("sourceActivity", 50),
        ("notes", 250),
        ("reason", 250),
    ],
)
async def test_metadata_field_too_long_is_629_naming_the_field(coupons, series, field, limit):
    too_long = issue(415446, 1, mobile=DEMO_MOBILE)
    setattr(too_long.metadata, field, "x" * (limit + 1))

    failure = await rich_failure(coupons.IssueMultiple(too_long))

    assert_failure(
        failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field=f"metadata.{field}"
    )
    assert f"metadata.{field}" in failure.message
    assert await num_issued(series, 415446) == 0

    at_limit = issue(415446, 1, mobile=DEMO_MOBILE)
    setattr(at_limit.metadata, field, "é" * limit)
    assert (await coupons.IssueMultiple(at_limit)).successCount == 1
