"""The typed client's lifecycle methods, both flavours, against a real server with the demo data:
each builds its request right and answers the server's message; a redeem retried by the client
keeps its made-up requestId, so it never takes two uses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from coupon_client import CouponClient, CouponRevoked, SyncCouponClient, customer_ref

from coupon.v1 import common_pb2
from coupon_service.app import RunningService
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.helpers.clients import FAST_RETRY, FLAVOURS, Threaded

DEMO = customer_ref(mobile="11223569865")


@pytest.fixture(params=FLAVOURS)
async def client(service: RunningService, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    target = f"127.0.0.1:{service.grpc_port}"
    kwargs: dict[str, Any] = {"authorization": DEMO_AUTHORIZATION, "retry": FAST_RETRY}
    if request.param == "async":
        async with CouponClient(target, **kwargs) as opened:
            yield opened
    else:
        threaded = Threaded(SyncCouponClient(target, **kwargs))
        yield threaded
        await threaded.close()


async def test_every_lifecycle_call_of_the_client(client: Any) -> None:
    issued = await client.issue_multiple(415446, DEMO, metadata={"sourceId": "client-test"})
    code = issued.coupons[0].code

    found = await client.get_coupon(code)
    validation = await client.validate_coupon(code, DEMO)
    redeemed = await client.redeem_coupon(code, DEMO, bill_number="B-1", bill_amount=500)
    reversed_ = await client.reverse_redemption(redeemed.redemption.id)
    revoked = await client.revoke_coupon(found.coupon.id, reason="test")
    listed = await client.list_series_coupons(
        415446,
        state="REVOKED",
        source_id="client-test",
        issued_after=datetime.now(UTC) - timedelta(hours=1),
    )

    assert found.coupon.state == common_pb2.COUPON_STATE_ISSUED
    assert validation.redeemable
    assert redeemed.redemption.request_id  # Made up by the client, so a retry is safe.
    assert redeemed.redemption.bill_amount == 500
    assert reversed_.coupon.redemption_count == 0
    assert revoked.coupon.state == common_pb2.COUPON_STATE_REVOKED
    assert [c.code for c in listed.coupons] == [code]
    with pytest.raises(CouponRevoked) as refused:
        await client.redeem_coupon(code, DEMO, request_id=uuid.uuid4().hex)
    assert (refused.value.code, refused.value.reason) == (905, "COUPON_REVOKED")


async def test_a_generic_code_is_looked_up_with_its_customer(client: Any) -> None:
    await client.issue_multiple(18426, DEMO)
    found = await client.get_coupon("DECATH10", customer=DEMO)
    assert (found.coupon.code, found.coupon.customer_id) == ("DECATH10", 555567088)
    with pytest.raises(ValueError, match="CouponState"):
        await client.list_series_coupons(18426, state="USED")
