"""Values at the edges of their types against real SQLite and PostgreSQL: what is refused never
reaches a statement, and what is accepted is stored, read back and issued from on both."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import ErrorCode, Expired, InvalidRequest
from coupon_service.domain.model import (
    MAX_CHOSEN_ID,
    MAX_ID,
    MAX_INT32,
    CouponValidity,
    SeriesPolicy,
)
from coupon_service.domain.validation import EARLIEST_MOMENT, LATEST_MOMENT, MAX_VALIDITY_DAYS
from coupon_service.service.customers import list_customer_coupons
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.series import create_series, get_series, list_series
from tests.factories import a_customer, a_series, by_mobile

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = SeriesPolicy(description="edge", multiple_per_user_allowed=True)
PAST_INT64 = base64.urlsafe_b64encode(f"after:{2**63}".encode()).decode()


@pytest.mark.parametrize("days", [2**31 - 1, 3_000_000, MAX_VALIDITY_DAYS + 1])
async def test_a_series_that_could_never_issue_is_refused_at_creation(
    uow: SqlUnitOfWork, org_id: int, days: int
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await a_series(
            uow,
            org_id,
            coupon_validity=CouponValidity.DAYS_AFTER_ISSUE,
            valid_days_after_issue=days,
        )

    assert (caught.value.code, caught.value.field) == (
        ErrorCode.INVALID_INPUT,
        "validDaysAfterIssue",
    )
    assert (await list_series(uow, org_id, 0, "")).items == []


async def test_the_longest_validity_is_issued_and_stored(uow: SqlUnitOfWork, org_id: int) -> None:
    series = await a_series(
        uow,
        org_id,
        coupon_validity=CouponValidity.DAYS_AFTER_ISSUE,
        valid_days_after_issue=MAX_VALIDITY_DAYS,
    )
    customer = await a_customer(uow, org_id)

    result = await issue_multiple(
        uow, org_id, IssueRequest([series.id], 2, by_mobile(customer)), now=NOW
    )
    held = await list_customer_coupons(uow, org_id, by_mobile(customer), None, 0, "")

    ends = NOW + timedelta(days=MAX_VALIDITY_DAYS)
    assert [coupon.valid_till for coupon in result.outcomes[0].coupons] == [ends, ends]
    assert [coupon.valid_till for coupon in held.items] == [ends, ends]


async def test_every_number_at_its_largest_is_stored_and_issued_from(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    created = await a_series(
        uow,
        org_id,
        random_code_length=20,
        max_create=MAX_ID,
        max_vouchers_per_user=MAX_INT32,
        discount_value=MAX_INT32,
        discount_upto=MAX_INT32,
        redemption_valid_after_days=MAX_VALIDITY_DAYS,
        valid_till=LATEST_MOMENT,
        coupon_validity=CouponValidity.FIXED_DATE,
        fixed_expiry_date=LATEST_MOMENT,
    )
    customer = await a_customer(uow, org_id)

    result = await issue_multiple(
        uow, org_id, IssueRequest([created.id], 3, by_mobile(customer)), now=NOW
    )
    found = await get_series(uow, org_id, created.id)

    assert result.success_count == 3
    assert {coupon.valid_till for coupon in result.outcomes[0].coupons} == {LATEST_MOMENT}
    assert found.policy == created.policy
    assert found.num_issued == 3


async def test_a_series_that_ended_at_the_earliest_date_is_713(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id, valid_till=EARLIEST_MOMENT)
    customer = await a_customer(uow, org_id)

    with pytest.raises(Expired):
        await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))

    assert (await get_series(uow, org_id, series.id)).policy.valid_till == EARLIEST_MOMENT


async def test_after_the_largest_chosen_id_the_next_is_numbered_on(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    largest = await create_series(uow, org_id, MAX_CHOSEN_ID, POLICY)
    following = await create_series(uow, org_id, None, POLICY)

    assert (largest.id, following.id) == (MAX_CHOSEN_ID, MAX_CHOSEN_ID + 1)
    with pytest.raises(InvalidRequest):
        await create_series(uow, org_id, MAX_ID, POLICY)


async def test_page_tokens_past_int64_never_reach_the_database(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    customer = await a_customer(uow, org_id)

    with pytest.raises(InvalidRequest) as listed_series:
        await list_series(uow, org_id, 0, PAST_INT64)
    with pytest.raises(InvalidRequest) as listed_coupons:
        await list_customer_coupons(uow, org_id, by_mobile(customer), None, 0, PAST_INT64)

    assert listed_series.value.field == listed_coupons.value.field == "pageToken"
