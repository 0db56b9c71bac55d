"""The lifecycle after issuing over a real channel to a real server with the demo data: look a
coupon up, validate it, redeem it, reverse and revoke it, list a series' coupons; every refusal
a rich status with its 9xx code; reads and redeems under the issue scope, revocation under
manage."""

from __future__ import annotations

import asyncio
import pathlib
import shutil
import sqlite3
import uuid

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.domain.credentials import Scope
from coupon_service.service.auth import create_key
from tests.e2e.conftest import DEMO_AUTHORIZATION, WithAuthorization
from tests.e2e.helpers.grpc_calls import rich_failure

DEMO = common_pb2.CustomerRef(mobile="11223569865")
OTHER = common_pb2.CustomerRef(mobile="919900000001")
_cs = coupon_service_pb2


async def _issue(coupons: coupon_service_pb2_grpc.CouponServiceStub, series_id: int) -> str:
    reply = await coupons.IssueMultiple(
        _cs.IssueMultipleRequest(
            seriesId=series_id,
            customer=DEMO,
            metadata=common_pb2.IssuanceMetadata(sourceType="POS", sourceId="till-4"),
        )
    )
    return reply.coupons[0].code


async def test_a_coupon_from_issue_to_reversal(
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
) -> None:
    code = await _issue(coupons, 415446)

    found = await coupons.GetCoupon(
        _cs.GetCouponRequest(coupon=_cs.CouponLookup(code=code, customer=DEMO))
    )
    validation = await coupons.ValidateCoupon(_cs.ValidateCouponRequest(code=code, customer=DEMO))
    redeemed = await coupons.RedeemCoupon(
        _cs.RedeemCouponRequest(code=code, customer=DEMO, bill_number="B-77", bill_amount=99_900)
    )
    used_up = await rich_failure(
        coupons.RedeemCoupon(_cs.RedeemCouponRequest(code=code, customer=DEMO))
    )
    refused = await coupons.ValidateCoupon(_cs.ValidateCouponRequest(code=code, customer=DEMO))
    reversed_ = await coupons.ReverseRedemption(
        _cs.ReverseRedemptionRequest(redemption_id=redeemed.redemption.id)
    )
    after = await coupons.GetCoupon(
        _cs.GetCouponRequest(coupon=_cs.CouponLookup(coupon_id=found.coupon.id))
    )

    assert found.coupon.state == common_pb2.COUPON_STATE_ISSUED
    assert (found.coupon.redemptions_allowed, found.coupon.metadata.sourceId) == (1, "till-4")
    assert validation.redeemable and not validation.HasField("refusal")
    assert redeemed.coupon.state == common_pb2.COUPON_STATE_REDEEMED
    assert (redeemed.redemption.bill_number, redeemed.redemption.bill_amount) == ("B-77", 99_900)
    assert used_up.status is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (used_up.info.reason, used_up.info.metadata["code"]) == ("COUPON_USED_UP", "906")
    assert used_up.detail is not None and used_up.detail.code == 906
    assert not refused.redeemable
    assert (refused.refusal.code, refused.reason) == (906, "COUPON_USED_UP")
    assert reversed_.redemption.HasField("reversed_at")
    assert reversed_.coupon.state == common_pb2.COUPON_STATE_ISSUED
    assert after.coupon.redemption_count == 0
    assert [r.id for r in after.coupon.redemptions] == [redeemed.redemption.id]


async def test_refusals_carry_their_codes_and_statuses(
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
) -> None:
    code = await _issue(coupons, 535521)
    await coupons.RevokeCoupon(
        _cs.RevokeCouponRequest(coupon=_cs.CouponLookup(code=code), reason="leaked")
    )

    revoked = await rich_failure(
        coupons.RedeemCoupon(_cs.RedeemCouponRequest(code=code, customer=DEMO))
    )
    wrong = await rich_failure(
        coupons.RedeemCoupon(_cs.RedeemCouponRequest(code=code, customer=OTHER))
    )
    unknown = await rich_failure(
        coupons.GetCoupon(_cs.GetCouponRequest(coupon=_cs.CouponLookup(code="NO-SUCH")))
    )
    no_redemption = await rich_failure(
        coupons.ReverseRedemption(_cs.ReverseRedemptionRequest(redemption_id=2**63 - 1))
    )
    no_code = await rich_failure(coupons.RedeemCoupon(_cs.RedeemCouponRequest(customer=DEMO)))
    long_bill = await rich_failure(
        coupons.RedeemCoupon(
            _cs.RedeemCouponRequest(code=code, customer=DEMO, bill_number="9" * 101)
        )
    )
    reused = uuid.uuid4().hex
    generic = _cs.RedeemCouponRequest(code="DECATH10", customer=DEMO, request_id=reused)
    await coupons.IssueMultiple(_cs.IssueMultipleRequest(seriesId=18426, customer=DEMO))
    first = await coupons.RedeemCoupon(generic)
    replay = await coupons.RedeemCoupon(generic)
    changed = await rich_failure(
        coupons.RedeemCoupon(
            _cs.RedeemCouponRequest(
                code="DECATH10", customer=DEMO, request_id=reused, bill_amount=1
            )
        )
    )

    assert (revoked.status, revoked.info.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "COUPON_REVOKED",
    )
    assert (wrong.status, wrong.info.metadata["code"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "902",
    )
    assert (unknown.status, unknown.info.metadata["code"]) == (grpc.StatusCode.NOT_FOUND, "901")
    assert (no_redemption.status, no_redemption.info.metadata["code"]) == (
        grpc.StatusCode.NOT_FOUND,
        "909",
    )
    assert (no_code.status, no_code.info.metadata["code"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "756",
    )
    assert long_bill.bad_request is not None
    assert long_bill.bad_request.field_violations[0].field == "billNumber"
    assert replay.redemption == first.redemption
    assert (changed.status, changed.info.metadata["code"]) == (  # As issuing refuses it.
        grpc.StatusCode.FAILED_PRECONDITION,
        "629",
    )


async def test_a_series_coupons_filtered_and_paged(
    coupons: coupon_service_pb2_grpc.CouponServiceStub,
    series: series_service_pb2_grpc.SeriesServiceStub,
) -> None:
    created = await series.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(
                is_multiple_vouchers_per_user_allowed=True, max_redemptions_per_coupon=2
            )
        )
    )
    codes = [await _issue(coupons, created.id) for _ in range(3)]
    await coupons.RedeemCoupon(_cs.RedeemCouponRequest(code=codes[0], customer=DEMO))
    listed = series_service_pb2.ListSeriesCouponsRequest

    first = await series.ListSeriesCoupons(listed(series_id=created.id, page_size=2))
    rest = await series.ListSeriesCoupons(
        listed(series_id=created.id, page_size=2, page_token=first.next_page_token)
    )
    in_use = await series.ListSeriesCoupons(
        listed(series_id=created.id, state=common_pb2.COUPON_STATE_ISSUED, source_id="till-4")
    )
    none = await series.ListSeriesCoupons(
        listed(series_id=created.id, issued_before=Timestamp(seconds=1))
    )
    bad_state = await rich_failure(series.ListSeriesCoupons(listed(series_id=created.id, state=99)))

    assert created.max_redemptions_per_coupon == 2 and not created.HasField("max_redemptions")
    assert [c.code for c in [*first.coupons, *rest.coupons]] == codes
    assert rest.next_page_token == ""
    assert [c.redemption_count for c in in_use.coupons] == [1, 0, 0]
    assert list(none.coupons) == []
    assert bad_state.status is grpc.StatusCode.INVALID_ARGUMENT


async def test_generic_limits_are_set_on_generic_series_only(
    series: series_service_pb2_grpc.SeriesServiceStub,
) -> None:
    generic = await series.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(
                code_source=series_service_pb2.CODE_SOURCE_GENERIC,
                generic_code=f"G{uuid.uuid4().hex[:12]}",
                max_redemptions_per_customer=2,
                max_redemptions=100,
            )
        )
    )
    refused = await rich_failure(
        series.CreateSeries(
            series_service_pb2.CreateSeriesRequest(
                series=series_service_pb2.Series(max_redemptions=100)
            )
        )
    )
    assert (generic.max_redemptions_per_customer, generic.max_redemptions) == (2, 100)
    assert generic.max_redemptions_per_coupon == 1
    assert refused.bad_request is not None
    assert refused.bad_request.field_violations[0].field == "maxRedemptions"


async def test_an_issue_key_redeems_but_does_not_revoke(service: RunningService) -> None:
    key = await create_key(service.uow, "demo", [Scope.ISSUE])
    target = f"127.0.0.1:{service.grpc_port}"
    async with grpc.aio.insecure_channel(
        target, interceptors=[WithAuthorization(key.authorization)]
    ) as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        code = await _issue(stub, 415446)
        await stub.ValidateCoupon(_cs.ValidateCouponRequest(code=code, customer=DEMO))
        redeemed = await stub.RedeemCoupon(_cs.RedeemCouponRequest(code=code, customer=DEMO))
        await stub.ReverseRedemption(
            _cs.ReverseRedemptionRequest(redemption_id=redeemed.redemption.id)
        )
        await series_service_pb2_grpc.SeriesServiceStub(channel).ListSeriesCoupons(
            series_service_pb2.ListSeriesCouponsRequest(series_id=415446)
        )
        denied = await rich_failure(
            stub.RevokeCoupon(_cs.RevokeCouponRequest(coupon=_cs.CouponLookup(code=code)))
        )
    assert (denied.status, denied.info.reason) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "PERMISSION_DENIED",
    )


async def test_a_locked_database_is_unavailable_and_takes_no_use(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> None:
    database = tmp_path / "locked.db"
    shutil.copyfile(demo_database, database)
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}",
        grpc_port=0,
        http_port=0,
        metrics_port=0,
        sqlite_busy_timeout_seconds=0.2,
    )
    running = await start(settings)
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{running.grpc_port}", interceptors=[WithAuthorization(DEMO_AUTHORIZATION)]
        ) as channel:
            stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
            code = await _issue(stub, 415446)
            redeem = _cs.RedeemCouponRequest(code=code, customer=DEMO, request_id="till-9-42")
            # Another process's writer. Taken off the event loop: the server's own background
            # work (the pruner's first round) must be able to commit while this waits for it.
            other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
            await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")
            try:
                locked = await rich_failure(stub.RedeemCoupon(redeem, timeout=10))
            finally:
                other.execute("ROLLBACK")
                other.close()
            retried = await stub.RedeemCoupon(redeem, timeout=10)
            replayed = await stub.RedeemCoupon(redeem, timeout=10)
    finally:
        await running.stop(0)

    assert (locked.status, locked.info.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "DATABASE_UNAVAILABLE",
    )
    assert locked.info.metadata["code"] == "678"
    assert replayed.redemption == retried.redemption
    with sqlite3.connect(database) as db:
        (rows,) = db.execute("SELECT count(*) FROM redemptions").fetchone()
    assert rows == 1
