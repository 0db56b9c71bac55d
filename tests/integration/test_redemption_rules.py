"""Lookup, validation, redemption, reversal and revocation through the use cases, on real SQLite
and PostgreSQL, with every count read back from the rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import (
    ErrorCode,
    InvalidRequest,
    NotFound,
    NotRedeemable,
    RequestIdReused,
)
from coupon_service.domain.model import (
    CodeSource,
    Coupon,
    CouponValidity,
    Customer,
    CustomerRef,
    IdentifierType,
)
from coupon_service.domain.redemption import CouponState
from coupon_service.service.coupons import (
    CouponLookup,
    SeriesCouponsQuery,
    get_coupon,
    list_customer_coupons,
    list_series_coupons,
)
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.orgs import ensure_org
from coupon_service.service.redemption import (
    RedeemRequest,
    redeem_coupon,
    reverse_redemption,
    revoke_coupon,
    validate_coupon,
)
from coupon_service.service.series import get_series
from tests.factories import a_customer, a_series, by_mobile, unique_codes
from tests.redemption_audit import coupon_audit, series_audit, series_counter

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


async def _issued(uow: SqlUnitOfWork, org_id: int, customer: Customer, **policy: object) -> Coupon:
    series = await a_series(uow, org_id, **policy)
    await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)), now=NOW)
    page = await list_customer_coupons(uow, org_id, by_mobile(customer), series.id, 0, "")
    return page.items[0].coupon


def _redeem(coupon: Coupon, customer: Customer, **fields: object) -> RedeemRequest:
    return RedeemRequest(coupon.code, by_mobile(customer), **fields)  # type: ignore[arg-type]


async def test_a_coupon_is_redeemed_once_and_then_used_up(uow: SqlUnitOfWork, org_id: int) -> None:
    customer = await a_customer(uow, org_id)
    coupon = await _issued(uow, org_id, customer)

    before = await validate_coupon(uow, org_id, coupon.code, by_mobile(customer), now=NOW)
    done = await redeem_coupon(
        uow, org_id, _redeem(coupon, customer, bill_number="B-1", bill_amount=129_950), now=NOW
    )
    with pytest.raises(NotRedeemable) as again:
        await redeem_coupon(uow, org_id, _redeem(coupon, customer), now=NOW)
    after = await validate_coupon(uow, org_id, coupon.code, by_mobile(customer), now=NOW)
    found = await get_coupon(uow, org_id, CouponLookup(code=coupon.code), now=NOW)

    assert before.redeemable and before.coupon is not None
    assert before.coupon.state is CouponState.ISSUED
    assert (done.redemption.bill_number, done.redemption.bill_amount) == ("B-1", 129_950)
    assert done.coupon.state is CouponState.REDEEMED and done.coupon.coupon.redemption_count == 1
    assert again.value.code is ErrorCode.COUPON_USED_UP
    assert not after.redeemable and after.refusal is not None
    assert after.refusal.code is ErrorCode.COUPON_USED_UP
    assert found.state is CouponState.REDEEMED and found.coupon.latest_redeemed_at == NOW
    assert [r.id for r in found.redemptions] == [done.redemption.id]
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (1, 1, 1)


async def test_max_redemptions_per_coupon_allows_exactly_that_many(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    customer = await a_customer(uow, org_id)
    coupon = await _issued(uow, org_id, customer, max_redemptions_per_coupon=3)

    done = [await redeem_coupon(uow, org_id, _redeem(coupon, customer), now=NOW) for _ in range(3)]
    with pytest.raises(NotRedeemable) as fourth:
        await redeem_coupon(uow, org_id, _redeem(coupon, customer), now=NOW)

    assert [d.coupon.coupon.redemption_count for d in done] == [1, 2, 3]
    assert [d.coupon.state for d in done][-1] is CouponState.REDEEMED
    assert fourth.value.code is ErrorCode.COUPON_USED_UP
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (3, 3, 3)
    assert (await get_series(uow, org_id, coupon.series_id)).policy.max_redemptions_per_coupon == 3


async def test_a_reversal_gives_exactly_one_use_back(uow: SqlUnitOfWork, org_id: int) -> None:
    customer = await a_customer(uow, org_id)
    coupon = await _issued(uow, org_id, customer)
    first = await redeem_coupon(uow, org_id, _redeem(coupon, customer), now=NOW)

    reversed_once = await reverse_redemption(uow, org_id, first.redemption.id, now=NOW)
    reversed_twice = await reverse_redemption(
        uow, org_id, first.redemption.id, now=NOW + timedelta(hours=1)
    )
    second = await redeem_coupon(uow, org_id, _redeem(coupon, customer), now=NOW)

    assert reversed_once.redemption.reversed_at == NOW
    assert reversed_once.coupon.state is CouponState.ISSUED
    assert reversed_twice.redemption.reversed_at == NOW  # The first reversal stays.
    assert second.coupon.coupon.redemption_count == 1
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (2, 1, 1)
    with pytest.raises(NotFound) as unknown:
        await reverse_redemption(uow, org_id, 2**63 - 1)
    assert unknown.value.code is ErrorCode.REDEMPTION_NOT_FOUND


async def test_a_revoked_coupon_is_never_redeemed(uow: SqlUnitOfWork, org_id: int) -> None:
    customer = await a_customer(uow, org_id)
    coupon = await _issued(uow, org_id, customer, max_redemptions_per_coupon=5)

    revoked = await revoke_coupon(uow, org_id, CouponLookup(coupon_id=coupon.id), "leaked", now=NOW)
    again = await revoke_coupon(
        uow, org_id, CouponLookup(code=coupon.code), "second", now=NOW + timedelta(hours=1)
    )
    with pytest.raises(NotRedeemable) as refused:
        await redeem_coupon(uow, org_id, _redeem(coupon, customer), now=NOW)
    validation = await validate_coupon(uow, org_id, coupon.code, by_mobile(customer), now=NOW)

    assert revoked.state is CouponState.REVOKED
    assert (again.coupon.revoked_at, again.coupon.revoke_reason) == (NOW, "leaked")
    assert refused.value.code is ErrorCode.COUPON_REVOKED
    assert validation.refusal is not None and validation.refusal.code is ErrorCode.COUPON_REVOKED
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (0, 0, 0)


async def test_validity_bounds_redemption(uow: SqlUnitOfWork, org_id: int) -> None:
    customer = await a_customer(uow, org_id)
    short = await _issued(
        uow,
        org_id,
        customer,
        coupon_validity=CouponValidity.DAYS_AFTER_ISSUE,
        valid_days_after_issue=1,
    )
    delayed = await _issued(uow, org_id, customer, redemption_valid_after_days=2)

    with pytest.raises(NotRedeemable) as expired:
        await redeem_coupon(uow, org_id, _redeem(short, customer), now=NOW + timedelta(days=1))
    with pytest.raises(NotRedeemable) as early:
        await redeem_coupon(uow, org_id, _redeem(delayed, customer), now=NOW + timedelta(days=1))
    late = await redeem_coupon(uow, org_id, _redeem(delayed, customer), now=NOW + timedelta(days=2))
    state = await get_coupon(uow, org_id, CouponLookup(coupon_id=short.id), now=NOW + timedelta(2))

    assert expired.value.code is ErrorCode.COUPON_EXPIRED
    assert early.value.code is ErrorCode.COUPON_NOT_YET_VALID
    assert late.coupon.state is CouponState.REDEEMED
    assert state.state is CouponState.EXPIRED
    assert await coupon_audit(uow.engine, org_id, short.id) == (0, 0, 0)


async def test_only_the_coupons_customer_redeems_it(uow: SqlUnitOfWork, org_id: int) -> None:
    holder, other = await a_customer(uow, org_id), await a_customer(uow, org_id)
    coupon = await _issued(uow, org_id, holder)
    other_org = await ensure_org(uow, f"other-{uuid.uuid4().hex[:12]}")

    with pytest.raises(NotRedeemable) as wrong:
        await redeem_coupon(uow, org_id, _redeem(coupon, other), now=NOW)
    with pytest.raises(NotFound) as unknown_code:
        await redeem_coupon(uow, org_id, RedeemRequest("NO-SUCH-CODE", by_mobile(holder)), now=NOW)
    with pytest.raises(NotFound) as unknown_customer:
        await redeem_coupon(
            uow, org_id, RedeemRequest(coupon.code, CustomerRef(IdentifierType.ID, "0"))
        )
    with pytest.raises(NotFound) as elsewhere:
        await get_coupon(uow, other_org, CouponLookup(coupon_id=coupon.id))
    with pytest.raises(NotFound) as by_other:
        await get_coupon(uow, other_org, CouponLookup(code=coupon.code))
    validation = await validate_coupon(uow, org_id, "NO-SUCH-CODE", by_mobile(holder))
    not_theirs = await validate_coupon(uow, org_id, coupon.code, by_mobile(other))

    assert wrong.value.code is ErrorCode.COUPON_WRONG_CUSTOMER
    assert unknown_code.value.code is ErrorCode.COUPON_NOT_FOUND
    assert unknown_customer.value.code is ErrorCode.CUSTOMER_NOT_FOUND
    assert elsewhere.value.code is by_other.value.code is ErrorCode.COUPON_NOT_FOUND
    assert validation.coupon is None and validation.refusal is not None
    assert validation.refusal.code is ErrorCode.COUPON_NOT_FOUND
    assert not_theirs.coupon is None and not_theirs.refusal is not None  # Not shown to others.
    assert not_theirs.refusal.code is ErrorCode.COUPON_WRONG_CUSTOMER
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (0, 0, 0)


async def test_an_uploaded_code_still_in_its_pool_is_no_coupon(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    customer = await a_customer(uow, org_id)
    pool = unique_codes(2)
    series = await a_series(uow, org_id, codes=pool, code_source=CodeSource.UPLOADED)
    await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))

    with pytest.raises(NotFound):
        await get_coupon(uow, org_id, CouponLookup(code=pool[1]))
    with pytest.raises(NotFound):
        await revoke_coupon(uow, org_id, CouponLookup(code=pool[1]), "never issued")
    issued = await get_coupon(uow, org_id, CouponLookup(code=pool[0]))
    await revoke_coupon(uow, org_id, CouponLookup(code=pool[0]), "leaked")

    # The revoked code is not back in the pool: the series issues the other code, then none.
    other = await a_customer(uow, org_id)
    result = await issue_multiple(uow, org_id, IssueRequest([series.id], 2, by_mobile(other)))
    assert issued.coupon.customer_id == customer.id
    assert [c.code for c in result.outcomes[0].coupons] == [pool[1]]


async def test_a_generic_code_limits_each_customer_and_the_total(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    code = f"GEN{uuid.uuid4().hex[:10].upper()}"
    policy = {
        "code_source": CodeSource.GENERIC,
        "generic_code": code,
        "max_redemptions_per_customer": 2,
        "max_redemptions": 3,
    }
    first, second, stranger = [await a_customer(uow, org_id) for _ in range(3)]
    coupon = await _issued(uow, org_id, first, **policy)
    await issue_multiple(
        uow, org_id, IssueRequest([coupon.series_id], 1, by_mobile(second)), now=NOW
    )

    done = [
        await redeem_coupon(uow, org_id, RedeemRequest(code, by_mobile(first)), now=NOW)
        for _ in "ab"
    ]
    with pytest.raises(NotRedeemable) as per_customer:
        await redeem_coupon(uow, org_id, RedeemRequest(code, by_mobile(first)), now=NOW)
    await redeem_coupon(uow, org_id, RedeemRequest(code, by_mobile(second)), now=NOW)
    with pytest.raises(NotRedeemable) as in_total:
        await redeem_coupon(uow, org_id, RedeemRequest(code, by_mobile(second)), now=NOW)
    with pytest.raises(NotRedeemable) as not_held:
        await redeem_coupon(uow, org_id, RedeemRequest(code, by_mobile(stranger)), now=NOW)
    with pytest.raises(InvalidRequest) as no_holder:
        await get_coupon(uow, org_id, CouponLookup(code=code))
    await reverse_redemption(uow, org_id, done[0].redemption.id, now=NOW)
    again = await redeem_coupon(uow, org_id, RedeemRequest(code, by_mobile(second)), now=NOW)

    assert per_customer.value.code is ErrorCode.CUSTOMER_REDEMPTION_LIMIT_REACHED
    assert in_total.value.code is ErrorCode.SERIES_REDEMPTION_LIMIT_REACHED
    assert not_held.value.code is ErrorCode.COUPON_WRONG_CUSTOMER
    assert no_holder.value.field == "customer"
    assert again.coupon.coupon.redemption_count == 2
    assert await series_audit(uow.engine, org_id, coupon.series_id) == (4, 3, 3)
    assert await series_counter(uow.engine, org_id, coupon.series_id) == 3


async def test_a_request_id_replays_its_redemption(uow: SqlUnitOfWork, org_id: int) -> None:
    customer = await a_customer(uow, org_id)
    coupon = await _issued(uow, org_id, customer, max_redemptions_per_coupon=5)
    key = f"redeem-{uuid.uuid4().hex}"

    first = await redeem_coupon(uow, org_id, _redeem(coupon, customer, request_id=key), now=NOW)
    replay = await redeem_coupon(uow, org_id, _redeem(coupon, customer, request_id=key), now=NOW)
    with pytest.raises(RequestIdReused) as reused:
        await redeem_coupon(uow, org_id, _redeem(coupon, customer, request_id=key, bill_amount=1))

    assert replay.redemption == first.redemption
    assert reused.value.code is ErrorCode.INVALID_INPUT and reused.value.field == "requestId"
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (1, 1, 1)


async def test_another_organisation_finds_nothing(uow: SqlUnitOfWork, org_id: int) -> None:
    customer = await a_customer(uow, org_id)
    coupon = await _issued(uow, org_id, customer, max_redemptions_per_coupon=2)
    done = await redeem_coupon(uow, org_id, _redeem(coupon, customer), now=NOW)
    other = await ensure_org(uow, f"other-{uuid.uuid4().hex[:12]}")
    mallory = await a_customer(uow, other)

    with pytest.raises(NotFound) as reversal:
        await reverse_redemption(uow, other, done.redemption.id)
    with pytest.raises(NotFound) as revocation:
        await revoke_coupon(uow, other, CouponLookup(coupon_id=coupon.id), "mine now")
    with pytest.raises(NotFound) as listing:
        await list_series_coupons(uow, other, SeriesCouponsQuery(coupon.series_id))
    with pytest.raises(NotFound) as redemption:
        await redeem_coupon(uow, other, RedeemRequest(coupon.code, by_mobile(mallory)))
    validation = await validate_coupon(uow, other, coupon.code, by_mobile(mallory))

    assert reversal.value.code is ErrorCode.REDEMPTION_NOT_FOUND
    assert revocation.value.code is redemption.value.code is ErrorCode.COUPON_NOT_FOUND
    assert listing.value.code is ErrorCode.SERIES_INVALID
    assert validation.refusal is not None
    assert validation.refusal.code is ErrorCode.COUPON_NOT_FOUND
    assert await coupon_audit(uow.engine, org_id, coupon.id) == (1, 1, 1)
