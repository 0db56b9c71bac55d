"""Concurrent redemptions through the use cases, on real SQLite and PostgreSQL (whose pool lets
the calls run at once): limits hold exactly, one request id makes one redemption, and reversals
racing redemptions leave the counts exact. Counted in the database."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import CouponServiceError, ErrorCode
from coupon_service.domain.model import Coupon
from coupon_service.service.coupons import list_customer_coupons
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.redemption import (
    RedeemRequest,
    redeem_coupon,
    reverse_redemption,
)
from tests.factories import a_customer, a_series, by_mobile
from tests.redemption_audit import coupon_audit


async def _coupon(uow: SqlUnitOfWork, org_id: int, uses: int) -> tuple[Coupon, RedeemRequest]:
    customer = await a_customer(uow, org_id)
    series = await a_series(uow, org_id, max_redemptions_per_coupon=uses)
    await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))
    coupon = (await list_customer_coupons(uow, org_id, by_mobile(customer), None, 0, "")).items[0]
    return coupon.coupon, RedeemRequest(coupon.coupon.code, by_mobile(customer))


async def _outcomes(*calls: object) -> Counter[int]:
    """0 for each success, the error code for each refusal."""
    answers = await asyncio.gather(*calls, return_exceptions=True)  # type: ignore[call-overload]
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, CouponServiceError):
            raise answer
    return Counter(int(a.code) if isinstance(a, CouponServiceError) else 0 for a in answers)


async def test_64_callers_share_3_uses_exactly(uow: SqlUnitOfWork, org_id: int) -> None:
    coupon, request = await _coupon(uow, org_id, uses=3)

    outcomes = await _outcomes(*(redeem_coupon(uow, org_id, request) for _ in range(64)))

    assert outcomes == Counter({0: 3, int(ErrorCode.COUPON_USED_UP): 61})
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (3, 3, 3)


async def test_one_request_id_sent_10_times_at_once_redeems_once(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    coupon, request = await _coupon(uow, org_id, uses=5)
    keyed = RedeemRequest(request.code, request.customer, request_id=uuid.uuid4().hex)

    answers = await asyncio.gather(*(redeem_coupon(uow, org_id, keyed) for _ in range(10)))

    assert len({answer.redemption.id for answer in answers}) == 1
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (1, 1, 1)


async def test_reversals_racing_redemptions_leave_the_counts_exact(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    coupon, request = await _coupon(uow, org_id, uses=4)
    first = [await redeem_coupon(uow, org_id, request) for _ in range(4)]

    reversals = [reverse_redemption(uow, org_id, done.redemption.id) for done in first[:2]]
    twice = [reverse_redemption(uow, org_id, first[0].redemption.id) for _ in range(3)]
    outcomes = await _outcomes(
        *reversals, *twice, *(redeem_coupon(uow, org_id, request) for _ in range(8))
    )

    audit = await coupon_audit(uow.engine, org_id, coupon.id)
    # However they interleaved: uses taken never exceed 4, the counter matches the rows, and
    # every reversal (repeated or not) gave back at most one use.
    assert audit.counted == audit.standing <= 4
    assert audit.redemption_rows - 2 == audit.standing
    assert outcomes[0] == 5 + (audit.redemption_rows - 4)
    assert set(outcomes) <= {0, int(ErrorCode.COUPON_USED_UP)}
