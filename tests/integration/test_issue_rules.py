"""Every issuing rule through the use cases, against real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import (
    AlreadyHasCoupon,
    ErrorCode,
    Expired,
    NotFound,
    NothingIssued,
    RequestIdReused,
)
from coupon_service.domain.issuing import Shortfall
from coupon_service.domain.model import (
    CodeSource,
    CouponValidity,
    CustomerRef,
    IdentifierType,
    IssuanceMetadata,
)
from coupon_service.service.coupons import CouponLookup
from coupon_service.service.customers import list_customer_coupons
from coupon_service.service.issuing import (
    BulkIssueRequest,
    IssueRequest,
    bulk_issue,
    issue_multiple,
)
from coupon_service.service.orgs import ensure_org
from coupon_service.service.redemption import revoke_coupon
from coupon_service.service.series import get_series
from tests.factories import a_customer, a_series, by_mobile, unique_codes

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def test_issues_the_requested_count_with_metadata_kept_for_audit(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id, random_code_length=12, alpha_numeric=True)
    customer = await a_customer(uow, org_id)
    metadata = IssuanceMetadata("Journeys", "block-7", "Tier upgrade", "batch 3", "benefit")

    result = await issue_multiple(
        uow, org_id, IssueRequest([series.id], 3, by_mobile(customer), metadata), now=NOW
    )

    assert (result.total_count, result.success_count, result.failure_count) == (3, 3, 0)
    codes = [coupon.code for coupon in result.outcomes[0].coupons]
    assert len(set(codes)) == 3 and all(len(code) == 12 for code in codes)
    held = await list_customer_coupons(uow, org_id, by_mobile(customer), None, 0, "")
    assert [coupon.code for coupon in held.items] == codes
    assert {coupon.metadata for coupon in held.items} == {metadata}
    assert (await get_series(uow, org_id, series.id)).num_issued == 3


async def test_count_defaults_to_one(uow: SqlUnitOfWork, org_id: int) -> None:
    series = await a_series(uow, org_id)
    customer = await a_customer(uow, org_id)
    result = await issue_multiple(uow, org_id, IssueRequest([series.id], None, by_mobile(customer)))
    assert result.success_count == 1


@pytest.mark.parametrize(
    "identifier", [IdentifierType.MOBILE, IdentifierType.EMAIL, IdentifierType.EXTERNAL_ID]
)
async def test_finds_the_customer_by_any_identifier(
    uow: SqlUnitOfWork, org_id: int, identifier: IdentifierType
) -> None:
    series = await a_series(uow, org_id)
    customer = await a_customer(
        uow, org_id, email=f"{org_id}@example.com", external_id=f"ext-{org_id}"
    )
    value = {
        IdentifierType.MOBILE: customer.mobile,
        IdentifierType.EMAIL: customer.email,
        IdentifierType.EXTERNAL_ID: customer.external_id,
    }[identifier]
    ref = CustomerRef(identifier, value or "")
    result = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, ref))
    assert result.customer.id == customer.id


async def test_unknown_customer_and_series_are_not_found(uow: SqlUnitOfWork, org_id: int) -> None:
    series = await a_series(uow, org_id)
    customer = await a_customer(uow, org_id)
    nobody = CustomerRef(IdentifierType.MOBILE, "10000000000")
    with pytest.raises(NotFound) as missing_customer:
        await issue_multiple(uow, org_id, IssueRequest([series.id], 1, nobody))
    assert missing_customer.value.code is ErrorCode.CUSTOMER_NOT_FOUND
    with pytest.raises(NotFound) as missing_series:
        await issue_multiple(uow, org_id, IssueRequest([series.id + 10**9], 1, by_mobile(customer)))
    assert missing_series.value.code is ErrorCode.SERIES_INVALID


async def test_another_orgs_series_and_customer_look_like_they_do_not_exist(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    other_org = await ensure_org(uow, f"other-{org_id}")
    theirs = await a_series(uow, other_org)
    their_customer = await a_customer(uow, other_org)
    mine = await a_customer(uow, org_id)
    with pytest.raises(NotFound) as series_error:
        await issue_multiple(uow, org_id, IssueRequest([theirs.id], 1, by_mobile(mine)))
    assert series_error.value.code is ErrorCode.SERIES_INVALID
    with pytest.raises(NotFound) as customer_error:
        await issue_multiple(uow, org_id, IssueRequest([theirs.id], 1, by_mobile(their_customer)))
    assert customer_error.value.code is ErrorCode.CUSTOMER_NOT_FOUND
    assert (await get_series(uow, other_org, theirs.id)).num_issued == 0


async def test_externally_managed_series_cannot_be_issued(uow: SqlUnitOfWork, org_id: int) -> None:
    series = await a_series(uow, org_id, externally_managed=True)
    customer = await a_customer(uow, org_id)
    with pytest.raises(NotFound) as error:
        await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))
    assert error.value.code is ErrorCode.SERIES_INVALID


async def test_expired_series_and_fixed_expiry_refuse_with_713(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    ended = await a_series(uow, org_id, valid_till=NOW - timedelta(seconds=1))
    fixed = await a_series(
        uow,
        org_id,
        coupon_validity=CouponValidity.FIXED_DATE,
        fixed_expiry_date=NOW - timedelta(days=1),
    )
    customer = await a_customer(uow, org_id)
    for series in (ended, fixed):
        with pytest.raises(Expired) as error:
            await issue_multiple(
                uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)), now=NOW
            )
        assert error.value.code is ErrorCode.EXPIRED


async def test_coupon_validity_follows_the_series_policy(uow: SqlUnitOfWork, org_id: int) -> None:
    series_end = NOW + timedelta(days=30)
    days = await a_series(
        uow,
        org_id,
        valid_till=series_end,
        coupon_validity=CouponValidity.DAYS_AFTER_ISSUE,
        valid_days_after_issue=7,
    )
    plain = await a_series(uow, org_id, valid_till=series_end)
    customer = await a_customer(uow, org_id)
    request = IssueRequest([days.id, plain.id], 1, by_mobile(customer))
    result = await issue_multiple(uow, org_id, request, now=NOW)
    valid = [outcome.coupons[0].valid_till for outcome in result.outcomes]
    assert valid == [NOW + timedelta(days=7), series_end]


async def test_one_per_customer_issues_one_then_resends_it(uow: SqlUnitOfWork, org_id: int) -> None:
    series = await a_series(uow, org_id, multiple_per_user_allowed=False)
    customer = await a_customer(uow, org_id)
    first = await issue_multiple(uow, org_id, IssueRequest([series.id], 2, by_mobile(customer)))
    assert (first.success_count, first.failure_count) == (1, 1)
    assert first.outcomes[0].shortfalls == ((Shortfall.ONLY_ONE_PER_CUSTOMER, 1),)
    again = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))
    assert again.outcomes[0].coupons == first.outcomes[0].coupons
    assert (await get_series(uow, org_id, series.id)).num_issued == 1


@pytest.mark.parametrize("source", [CodeSource.GENERATED, CodeSource.GENERIC])
async def test_a_revoked_coupon_is_never_resent_nor_replaced(
    uow: SqlUnitOfWork, org_id: int, source: CodeSource
) -> None:
    generic = {"generic_code": f"REVOKED{org_id}"} if source is CodeSource.GENERIC else {}
    series = await a_series(
        uow, org_id, multiple_per_user_allowed=False, code_source=source, **generic
    )
    customer, other = await a_customer(uow, org_id), await a_customer(uow, org_id)
    issued = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))
    await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(other)))
    coupon = issued.outcomes[0].coupons[0]
    await revoke_coupon(uow, org_id, CouponLookup(coupon_id=coupon.id), "fraud")

    with pytest.raises(AlreadyHasCoupon) as refused:
        await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))
    resent = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(other)))

    assert (refused.value.code, refused.value.reason) == (709, "HELD_COUPON_REVOKED")
    assert resent.outcomes[0].coupons[0].id != coupon.id  # The other customer's own coupon.
    assert (await get_series(uow, org_id, series.id)).num_issued == 2


async def test_do_not_resend_refuses_a_second_issue_with_709(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(
        uow, org_id, multiple_per_user_allowed=False, do_not_resend_existing=True
    )
    customer = await a_customer(uow, org_id)
    await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))
    with pytest.raises(AlreadyHasCoupon) as error:
        await issue_multiple(uow, org_id, IssueRequest([series.id], 1, by_mobile(customer)))
    assert error.value.code is ErrorCode.ALREADY_HAS_COUPON


async def test_generic_series_gives_everyone_the_shared_code_once(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(
        uow, org_id, code_source=CodeSource.GENERIC, generic_code=f"SHARED{org_id}"
    )
    customers = [await a_customer(uow, org_id) for _ in range(3)]
    for customer in customers:
        result = await issue_multiple(
            uow, org_id, IssueRequest([series.id], 2, by_mobile(customer))
        )
        assert [c.code for c in result.outcomes[0].coupons] == [f"SHARED{org_id}"]
        assert result.outcomes[0].shortfalls == ((Shortfall.ONE_GENERIC_CODE, 1),)


@pytest.mark.parametrize(
    ("policy", "count", "partial", "none_code"),
    [
        ({"max_create": 3}, 5, Shortfall.SERIES_LIMIT, ErrorCode.SERIES_LIMIT_REACHED),
        (
            {"max_vouchers_per_user": 3},
            5,
            Shortfall.PER_CUSTOMER_LIMIT,
            ErrorCode.MAX_COUPONS_PER_CUSTOMER_REACHED,
        ),
        ({"code_source": CodeSource.UPLOADED}, 5, Shortfall.POOL_EMPTY, ErrorCode.SERIES_EXHAUSTED),
    ],
)
async def test_a_limit_gives_partial_success_then_fails_the_call(
    uow: SqlUnitOfWork,
    org_id: int,
    policy: dict[str, object],
    count: int,
    partial: Shortfall,
    none_code: ErrorCode,
) -> None:
    codes = unique_codes(3) if policy.get("code_source") is CodeSource.UPLOADED else None
    series = await a_series(uow, org_id, codes=codes, **policy)
    customer = await a_customer(uow, org_id)
    request = IssueRequest([series.id], count, by_mobile(customer))

    first = await issue_multiple(uow, org_id, request)
    assert (first.success_count, first.failure_count) == (3, 2)
    assert first.outcomes[0].shortfalls == ((partial, 2),)
    with pytest.raises(NothingIssued) as error:
        await issue_multiple(uow, org_id, request)
    assert error.value.code is none_code
    assert (await get_series(uow, org_id, series.id)).num_issued == 3


async def test_uploaded_codes_are_issued_in_upload_order(uow: SqlUnitOfWork, org_id: int) -> None:
    pool = unique_codes(5)
    series = await a_series(uow, org_id, codes=pool, code_source=CodeSource.UPLOADED)
    customer = await a_customer(uow, org_id)
    result = await issue_multiple(uow, org_id, IssueRequest([series.id], 2, by_mobile(customer)))
    assert [c.code for c in result.outcomes[0].coupons] == pool[:2]
    after = await get_series(uow, org_id, series.id)
    assert (after.num_uploaded, after.num_uploaded_non_issued) == (5, 3)


async def test_a_failing_series_in_the_list_form_writes_nothing(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    good = await a_series(uow, org_id)
    ended = await a_series(uow, org_id, valid_till=NOW - timedelta(days=1))
    customer = await a_customer(uow, org_id)
    with pytest.raises(Expired):
        await issue_multiple(
            uow, org_id, IssueRequest([good.id, ended.id], 2, by_mobile(customer)), now=NOW
        )
    assert (await get_series(uow, org_id, good.id)).num_issued == 0
    held = await list_customer_coupons(uow, org_id, by_mobile(customer), None, 0, "")
    assert held.items == []


async def test_bulk_issue_answers_each_series_on_its_own(uow: SqlUnitOfWork, org_id: int) -> None:
    good = await a_series(uow, org_id)
    ended = await a_series(uow, org_id, valid_till=NOW - timedelta(days=1))
    empty_pool = await a_series(uow, org_id, code_source=CodeSource.UPLOADED)
    one_only = await a_series(uow, org_id, max_vouchers_per_user=1)
    customer = await a_customer(uow, org_id)
    ids = [good.id, ended.id, empty_pool.id, one_only.id, one_only.id, 10**12]

    result = await bulk_issue(uow, org_id, BulkIssueRequest(ids, by_mobile(customer)), now=NOW)

    assert [entry.series_id for entry in result.entries] == ids
    codes = [None if entry.error is None else entry.error.code for entry in result.entries]
    assert codes == [
        None,
        ErrorCode.EXPIRED,
        ErrorCode.SERIES_EXHAUSTED,
        None,
        ErrorCode.MAX_COUPONS_PER_CUSTOMER_REACHED,
        ErrorCode.SERIES_INVALID,
    ]
    assert result.failure_count == 4
    assert (await get_series(uow, org_id, good.id)).num_issued == 1


async def test_bulk_issue_for_an_unknown_customer_fails_whole(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id)
    nobody = CustomerRef(IdentifierType.EXTERNAL_ID, "nobody")
    with pytest.raises(NotFound) as error:
        await bulk_issue(uow, org_id, BulkIssueRequest([series.id], nobody))
    assert error.value.code is ErrorCode.CUSTOMER_NOT_FOUND


async def test_a_retry_returns_the_same_coupons_and_a_changed_request_is_refused(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id)
    customer = await a_customer(uow, org_id)
    request = IssueRequest([series.id], 2, by_mobile(customer), request_id="order-42")
    first = await issue_multiple(uow, org_id, request)
    retry = await issue_multiple(uow, org_id, request)
    assert retry.outcomes[0].coupons == first.outcomes[0].coupons
    assert (await get_series(uow, org_id, series.id)).num_issued == 2
    changed = IssueRequest([series.id], 3, by_mobile(customer), request_id="order-42")
    with pytest.raises(RequestIdReused):
        await issue_multiple(uow, org_id, changed)
    bulk_retry = BulkIssueRequest([series.id], by_mobile(customer), request_id="bulk-1")
    once = await bulk_issue(uow, org_id, bulk_retry)
    twice = await bulk_issue(uow, org_id, bulk_retry)
    assert once.entries == twice.entries
    assert (await get_series(uow, org_id, series.id)).num_issued == 3
