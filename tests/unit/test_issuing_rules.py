"""The issuing rules: plan_issue, check_still_valid, SeriesOutcome and coupon validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coupon_service.domain.errors import (
    AlreadyHasCoupon,
    ErrorCode,
    ErrorKind,
    Expired,
    NothingIssued,
)
from coupon_service.domain.issuing import (
    IssuePlan,
    SeriesOutcome,
    Shortfall,
    check_still_valid,
    plan_issue,
)
from coupon_service.domain.model import CodeSource, CouponValidity, Series, SeriesPolicy

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
SERIES_ID = 415446


def make_series(*, num_issued: int = 0, num_uploaded: int = 0, **policy: object) -> Series:
    return Series(
        id=SERIES_ID,
        policy=SeriesPolicy(**policy),  # type: ignore[arg-type]
        num_issued=num_issued,
        num_uploaded=num_uploaded,
    )


def assert_adds_up(plan: IssuePlan, requested: int) -> None:
    granted = 1 if plan.resend_held_coupon else plan.new_coupons
    assert sum(count for _, count in plan.shortfalls) == requested - granted


# --- one per customer (multiple vouchers per user not allowed) -------------------------------


@pytest.mark.parametrize(
    ("requested", "new_coupons", "shortfalls"),
    [
        (1, 1, ()),
        (2, 1, ((Shortfall.ONLY_ONE_PER_CUSTOMER, 1),)),
        (5, 1, ((Shortfall.ONLY_ONE_PER_CUSTOMER, 4),)),
    ],
)
@pytest.mark.parametrize("do_not_resend", [False, True])
def test_one_per_customer_holding_none_issues_exactly_one(
    requested: int,
    new_coupons: int,
    shortfalls: tuple[tuple[Shortfall, int], ...],
    do_not_resend: bool,
) -> None:
    series = make_series(multiple_per_user_allowed=False, do_not_resend_existing=do_not_resend)

    plan = plan_issue(series, requested=requested, held_by_customer=0)

    assert plan == IssuePlan(
        new_coupons=new_coupons, resend_held_coupon=False, shortfalls=shortfalls
    )
    assert_adds_up(plan, requested)


@pytest.mark.parametrize(
    ("requested", "shortfalls"),
    [
        (1, ()),
        (3, ((Shortfall.ONLY_ONE_PER_CUSTOMER, 2),)),
    ],
)
@pytest.mark.parametrize("held", [1, 2])
def test_one_per_customer_already_holding_resends_the_held_coupon(
    requested: int, shortfalls: tuple[tuple[Shortfall, int], ...], held: int
) -> None:
    series = make_series(multiple_per_user_allowed=False, do_not_resend_existing=False)

    plan = plan_issue(series, requested=requested, held_by_customer=held)

    assert plan == IssuePlan(new_coupons=0, resend_held_coupon=True, shortfalls=shortfalls)
    assert_adds_up(plan, requested)


def test_resending_the_held_coupon_ignores_exhausted_series_limits() -> None:
    # Handing back a coupon the customer holds issues nothing new, so no limit applies.
    series = make_series(
        multiple_per_user_allowed=False,
        max_create=10,
        num_issued=10,
    )

    plan = plan_issue(series, requested=1, held_by_customer=1)

    assert plan == IssuePlan(new_coupons=0, resend_held_coupon=True, shortfalls=())


@pytest.mark.parametrize(
    "code_source", [CodeSource.GENERATED, CodeSource.UPLOADED, CodeSource.GENERIC]
)
def test_a_held_coupon_that_was_revoked_is_neither_resent_nor_replaced(
    code_source: CodeSource,
) -> None:
    series = make_series(multiple_per_user_allowed=False, code_source=code_source, num_uploaded=100)

    with pytest.raises(AlreadyHasCoupon) as caught:
        plan_issue(series, requested=1, held_by_customer=1, held_all_revoked=True)

    assert (caught.value.code, caught.value.reason) == (709, "HELD_COUPON_REVOKED")
    assert plan_issue(series, requested=1, held_by_customer=0, held_all_revoked=False).new_coupons


@pytest.mark.parametrize("requested", [1, 4])
@pytest.mark.parametrize(
    "code_source", [CodeSource.GENERATED, CodeSource.UPLOADED, CodeSource.GENERIC]
)
def test_already_holding_with_do_not_resend_raises_709(
    requested: int, code_source: CodeSource
) -> None:
    series = make_series(
        multiple_per_user_allowed=False,
        do_not_resend_existing=True,
        code_source=code_source,
        num_uploaded=100,
    )

    with pytest.raises(AlreadyHasCoupon) as caught:
        plan_issue(series, requested=requested, held_by_customer=1)

    error = caught.value
    assert error.code == ErrorCode.ALREADY_HAS_COUPON == 709
    assert error.message == "Coupon processing failed: user already has a coupon"
    assert error.kind is ErrorKind.ALREADY_EXISTS
    assert error.metadata == {"seriesId": str(SERIES_ID)}
    assert error.reason == "ALREADY_HAS_COUPON"


def test_do_not_resend_is_irrelevant_when_multiple_per_user_allowed() -> None:
    series = make_series(multiple_per_user_allowed=True, do_not_resend_existing=True)

    plan = plan_issue(series, requested=3, held_by_customer=7)

    assert plan == IssuePlan(new_coupons=3, resend_held_coupon=False, shortfalls=())


# --- GENERIC series ----------------------------------------------------------------------------


@pytest.mark.parametrize("multiple_allowed", [False, True])
@pytest.mark.parametrize(
    ("requested", "new_coupons", "shortfalls"),
    [
        (1, 1, ()),
        (2, 1, ((Shortfall.ONE_GENERIC_CODE, 1),)),
        (500, 1, ((Shortfall.ONE_GENERIC_CODE, 499),)),
    ],
)
def test_generic_series_issues_at_most_one_code(
    multiple_allowed: bool,
    requested: int,
    new_coupons: int,
    shortfalls: tuple[tuple[Shortfall, int], ...],
) -> None:
    series = make_series(
        code_source=CodeSource.GENERIC,
        generic_code="SUMMER",
        multiple_per_user_allowed=multiple_allowed,
        max_vouchers_per_user=10,
    )

    plan = plan_issue(series, requested=requested, held_by_customer=0)

    assert plan == IssuePlan(
        new_coupons=new_coupons, resend_held_coupon=False, shortfalls=shortfalls
    )
    assert_adds_up(plan, requested)


@pytest.mark.parametrize("multiple_allowed", [False, True])
def test_generic_series_already_held_is_resent(multiple_allowed: bool) -> None:
    series = make_series(
        code_source=CodeSource.GENERIC,
        generic_code="SUMMER",
        multiple_per_user_allowed=multiple_allowed,
    )

    plan = plan_issue(series, requested=3, held_by_customer=1)

    assert plan == IssuePlan(
        new_coupons=0,
        resend_held_coupon=True,
        shortfalls=((Shortfall.ONE_GENERIC_CODE, 2),),
    )


@pytest.mark.parametrize(
    ("code_source", "message"),
    [
        (
            CodeSource.GENERATED,
            "Issue only one coupon. Since isAllowMultipleVouchersPerUser=false.",
        ),
        (
            CodeSource.UPLOADED,
            "Issue only one coupon. Since isAllowMultipleVouchersPerUser=false.",
        ),
        (CodeSource.GENERIC, "Cannot issue more than one GENERIC coupon code."),
    ],
)
def test_one_only_shortfall_message_follows_the_code_source(
    code_source: CodeSource, message: str
) -> None:
    series = make_series(
        code_source=code_source,
        multiple_per_user_allowed=False,
        max_create=10,
        num_issued=10,
        num_uploaded=10,
    )

    plan = plan_issue(series, requested=2, held_by_customer=0)

    (reason, count), (limit, limit_count) = plan.shortfalls
    assert (count, limit, limit_count) == (1, Shortfall.SERIES_LIMIT, 1)
    assert reason.message == message
    assert reason.partial_code == ErrorCode.PARTIAL_ONLY_ONE_PER_CUSTOMER
    error = SeriesOutcome(
        series=series, requested=2, coupons=(), shortfalls=plan.shortfalls
    ).nothing_issued()
    # The series limit took the one coupon that one-per-customer left: it is the reason.
    assert error.code == ErrorCode.SERIES_LIMIT_REACHED


def test_generic_shortfall_message_and_codes() -> None:
    assert Shortfall.ONE_GENERIC_CODE.message == "Cannot issue more than one GENERIC coupon code."
    assert Shortfall.ONE_GENERIC_CODE.partial_code == ErrorCode.PARTIAL_ONLY_ONE_PER_CUSTOMER
    assert Shortfall.ONE_GENERIC_CODE.none_issued_code == ErrorCode.ONLY_ONE_PER_CUSTOMER


# --- max vouchers per user -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_per_user", "held", "requested", "new_coupons", "short"),
    [
        (5, 0, 5, 5, 0),
        (5, 0, 6, 5, 1),
        (5, 2, 3, 3, 0),
        (5, 2, 10, 3, 7),
        (5, 4, 2, 1, 1),
        (5, 5, 3, 0, 3),
        (5, 8, 2, 0, 2),  # already over the limit: nothing, and no negative counts
        (1, 0, 1, 1, 0),
        (0, 0, 4, 0, 4),
    ],
)
def test_max_vouchers_per_user_caps_new_coupons(
    max_per_user: int, held: int, requested: int, new_coupons: int, short: int
) -> None:
    series = make_series(multiple_per_user_allowed=True, max_vouchers_per_user=max_per_user)

    plan = plan_issue(series, requested=requested, held_by_customer=held)

    expected = ((Shortfall.PER_CUSTOMER_LIMIT, short),) if short else ()
    assert plan == IssuePlan(new_coupons=new_coupons, resend_held_coupon=False, shortfalls=expected)
    assert_adds_up(plan, requested)


def test_multiple_per_user_without_a_limit_issues_everything() -> None:
    series = make_series(multiple_per_user_allowed=True, max_vouchers_per_user=None)

    plan = plan_issue(series, requested=500, held_by_customer=10_000)

    assert plan == IssuePlan(new_coupons=500, resend_held_coupon=False, shortfalls=())


# --- max create (series limit) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_create", "num_issued", "requested", "new_coupons", "short"),
    [
        (100, 0, 10, 10, 0),
        (100, 90, 10, 10, 0),
        (100, 95, 10, 5, 5),
        (100, 99, 3, 1, 2),
        (100, 100, 3, 0, 3),
        (100, 120, 2, 0, 2),  # counters past the limit must not yield negative grants
        (0, 0, 1, 0, 1),
    ],
)
def test_max_create_caps_new_coupons(
    max_create: int, num_issued: int, requested: int, new_coupons: int, short: int
) -> None:
    series = make_series(
        multiple_per_user_allowed=True, max_create=max_create, num_issued=num_issued
    )

    plan = plan_issue(series, requested=requested, held_by_customer=0)

    expected = ((Shortfall.SERIES_LIMIT, short),) if short else ()
    assert plan == IssuePlan(new_coupons=new_coupons, resend_held_coupon=False, shortfalls=expected)
    assert_adds_up(plan, requested)


def test_unlimited_series_ignores_num_issued() -> None:
    series = make_series(multiple_per_user_allowed=True, max_create=None, num_issued=10**9)

    plan = plan_issue(series, requested=500, held_by_customer=0)

    assert plan == IssuePlan(new_coupons=500, resend_held_coupon=False, shortfalls=())


def test_one_per_customer_with_series_limit_reached() -> None:
    series = make_series(multiple_per_user_allowed=False, max_create=10, num_issued=10)

    plan = plan_issue(series, requested=5, held_by_customer=0)

    assert plan == IssuePlan(
        new_coupons=0,
        resend_held_coupon=False,
        shortfalls=((Shortfall.ONLY_ONE_PER_CUSTOMER, 4), (Shortfall.SERIES_LIMIT, 1)),
    )
    assert_adds_up(plan, 5)


# --- uploaded pool -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num_uploaded", "num_issued", "requested", "new_coupons", "short"),
    [
        (10, 0, 10, 10, 0),
        (10, 0, 11, 10, 1),
        (10, 7, 5, 3, 2),
        (10, 9, 1, 1, 0),
        (10, 10, 2, 0, 2),
        (10, 12, 2, 0, 2),
        (0, 0, 1, 0, 1),
    ],
)
def test_uploaded_pool_caps_at_uploaded_minus_issued(
    num_uploaded: int, num_issued: int, requested: int, new_coupons: int, short: int
) -> None:
    series = make_series(
        code_source=CodeSource.UPLOADED,
        multiple_per_user_allowed=True,
        num_uploaded=num_uploaded,
        num_issued=num_issued,
    )

    plan = plan_issue(series, requested=requested, held_by_customer=0)

    expected = ((Shortfall.POOL_EMPTY, short),) if short else ()
    assert plan == IssuePlan(new_coupons=new_coupons, resend_held_coupon=False, shortfalls=expected)
    assert_adds_up(plan, requested)


@pytest.mark.parametrize(
    ("num_uploaded", "num_issued", "expected"),
    [(10, 3, 7), (10, 10, 0), (10, 15, 0), (0, 0, 0)],
)
def test_num_uploaded_non_issued(num_uploaded: int, num_issued: int, expected: int) -> None:
    series = make_series(
        code_source=CodeSource.UPLOADED, num_uploaded=num_uploaded, num_issued=num_issued
    )
    assert series.num_uploaded_non_issued == expected


@pytest.mark.parametrize("code_source", [CodeSource.GENERATED, CodeSource.GENERIC])
def test_pool_applies_only_to_uploaded_series(code_source: CodeSource) -> None:
    series = make_series(
        code_source=code_source,
        multiple_per_user_allowed=True,
        num_uploaded=0,
        num_issued=50,
    )

    assert series.num_uploaded_non_issued == 0
    plan = plan_issue(series, requested=1, held_by_customer=0)
    assert plan == IssuePlan(new_coupons=1, resend_held_coupon=False, shortfalls=())


# --- several caps together ---------------------------------------------------------------------


def test_every_cap_applies_in_order_and_shortfalls_add_up() -> None:
    series = make_series(
        code_source=CodeSource.UPLOADED,
        multiple_per_user_allowed=True,
        max_vouchers_per_user=10,  # customer holds 4: 6 left
        max_create=100,  # 97 issued: 3 left
        num_issued=97,
        num_uploaded=99,  # 2 codes left in the pool
    )

    plan = plan_issue(series, requested=10, held_by_customer=4)

    assert plan == IssuePlan(
        new_coupons=2,
        resend_held_coupon=False,
        shortfalls=(
            (Shortfall.PER_CUSTOMER_LIMIT, 4),
            (Shortfall.SERIES_LIMIT, 3),
            (Shortfall.POOL_EMPTY, 1),
        ),
    )
    assert_adds_up(plan, 10)


@pytest.mark.parametrize(
    ("max_per_user", "held", "max_create", "num_issued", "num_uploaded", "requested"),
    [
        (3, 0, 50, 48, 60, 5),
        (20, 5, 40, 30, 33, 17),
        (2, 2, 10, 0, 10, 4),
        (None, 0, 10, 10, 10, 3),
        (100, 0, None, 30, 31, 500),
        (None, 0, None, 0, 0, 1),
        (8, 1, 1000, 10, 11, 9),
    ],
)
def test_combined_shortfalls_sum_to_requested_minus_granted(
    max_per_user: int | None,
    held: int,
    max_create: int | None,
    num_issued: int,
    num_uploaded: int,
    requested: int,
) -> None:
    series = make_series(
        code_source=CodeSource.UPLOADED,
        multiple_per_user_allowed=True,
        max_vouchers_per_user=max_per_user,
        max_create=max_create,
        num_issued=num_issued,
        num_uploaded=num_uploaded,
    )

    plan = plan_issue(series, requested=requested, held_by_customer=held)

    limits = [requested, num_uploaded - num_issued]
    if max_per_user is not None:
        limits.append(max_per_user - held)
    if max_create is not None:
        limits.append(max_create - num_issued)
    assert plan.new_coupons == max(min(limits), 0)
    assert plan.resend_held_coupon is False
    assert all(count > 0 for _, count in plan.shortfalls)
    assert len({reason for reason, _ in plan.shortfalls}) == len(plan.shortfalls)
    assert_adds_up(plan, requested)


def test_first_cap_to_reach_zero_is_the_only_shortfall() -> None:
    series = make_series(
        code_source=CodeSource.UPLOADED,
        multiple_per_user_allowed=True,
        max_create=5,
        num_issued=5,
        num_uploaded=5,
    )

    plan = plan_issue(series, requested=3, held_by_customer=0)

    assert plan == IssuePlan(
        new_coupons=0, resend_held_coupon=False, shortfalls=((Shortfall.SERIES_LIMIT, 3),)
    )


# --- SeriesOutcome -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shortfall", "partial", "none_issued", "kind", "message"),
    [
        (
            Shortfall.ONLY_ONE_PER_CUSTOMER,
            5004,
            679,
            ErrorKind.FAILED_PRECONDITION,
            "Issue only one coupon. Since isAllowMultipleVouchersPerUser=false.",
        ),
        (
            Shortfall.ONE_GENERIC_CODE,
            5004,
            679,
            ErrorKind.FAILED_PRECONDITION,
            "Cannot issue more than one GENERIC coupon code.",
        ),
        (
            Shortfall.SERIES_LIMIT,
            5001,
            626,
            ErrorKind.RESOURCE_EXHAUSTED,
            "Maximum number of coupons for the series has been issued",
        ),
        (
            Shortfall.PER_CUSTOMER_LIMIT,
            5002,
            621,
            ErrorKind.RESOURCE_EXHAUSTED,
            "max coupon per user exceeded",
        ),
        (
            Shortfall.POOL_EMPTY,
            5005,
            702,
            ErrorKind.RESOURCE_EXHAUSTED,
            "Queue is empty for series: every uploaded code has been issued",
        ),
        (
            Shortfall.OTHER,
            5006,
            678,
            ErrorKind.ABORTED,
            "Unable to issue certain number of coupons",
        ),
    ],
)
def test_nothing_issued_carries_code_kind_and_message_of_each_shortfall(
    shortfall: Shortfall, partial: int, none_issued: int, kind: ErrorKind, message: str
) -> None:
    assert shortfall.partial_code == partial
    assert shortfall.none_issued_code == none_issued
    assert shortfall.kind is kind
    outcome = SeriesOutcome(
        series=make_series(), requested=3, coupons=(), shortfalls=((shortfall, 3),)
    )

    error = outcome.nothing_issued()

    assert isinstance(error, NothingIssued)
    assert error.code == none_issued
    assert error.kind is kind
    assert error.message == message
    assert str(error) == message
    assert error.metadata == {"seriesId": str(SERIES_ID)}
    assert outcome.failure_count == 3


def test_every_shortfall_is_a_distinct_member() -> None:
    # Equal values would make one member an alias of another, sharing its message.
    assert Shortfall.ONE_GENERIC_CODE is not Shortfall.ONLY_ONE_PER_CUSTOMER
    assert {s.name for s in Shortfall} == {
        "ONLY_ONE_PER_CUSTOMER",
        "ONE_GENERIC_CODE",
        "SERIES_LIMIT",
        "PER_CUSTOMER_LIMIT",
        "POOL_EMPTY",
        "OTHER",
    }


def test_nothing_issued_names_the_limit_that_left_nothing() -> None:
    # One per customer cut 5 to 1; the series limit then took the last one: that is why
    # nothing was issued.
    outcome = SeriesOutcome(
        series=make_series(),
        requested=5,
        coupons=(),
        shortfalls=((Shortfall.ONLY_ONE_PER_CUSTOMER, 4), (Shortfall.SERIES_LIMIT, 1)),
    )

    error = outcome.nothing_issued()

    assert error.code == ErrorCode.SERIES_LIMIT_REACHED
    assert error.kind is ErrorKind.RESOURCE_EXHAUSTED
    assert error.reason == "SERIES_LIMIT_REACHED"
    assert outcome.failure_count == 5


def test_nothing_issued_without_shortfalls_is_678_aborted() -> None:
    outcome = SeriesOutcome(series=make_series(), requested=1, coupons=(), shortfalls=())

    error = outcome.nothing_issued()

    assert error.code == ErrorCode.ISSUE_FAILED == 678
    assert error.kind is ErrorKind.ABORTED
    assert error.message == "Unable to issue certain number of coupons"
    assert outcome.failure_count == 0


def test_kind_is_per_instance_not_shared() -> None:
    exhausted = SeriesOutcome(
        series=make_series(), requested=1, coupons=(), shortfalls=((Shortfall.POOL_EMPTY, 1),)
    ).nothing_issued()
    one_only = SeriesOutcome(
        series=make_series(),
        requested=1,
        coupons=(),
        shortfalls=((Shortfall.ONLY_ONE_PER_CUSTOMER, 1),),
    ).nothing_issued()

    assert exhausted.kind is ErrorKind.RESOURCE_EXHAUSTED
    assert one_only.kind is ErrorKind.FAILED_PRECONDITION


# --- expiry ------------------------------------------------------------------------------------


def assert_expired(series: Series) -> None:
    with pytest.raises(Expired) as caught:
        check_still_valid(series, NOW)
    error = caught.value
    assert error.code == ErrorCode.EXPIRED == 713
    assert error.message == "Coupon has expired"
    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.metadata == {"seriesId": str(SERIES_ID)}


@pytest.mark.parametrize(
    "valid_till",
    [NOW - timedelta(days=365), NOW - timedelta(microseconds=1), NOW],
    ids=["a-year-ago", "just-now", "equal-to-now"],
)
@pytest.mark.parametrize("validity", list(CouponValidity))
def test_series_valid_till_not_after_now_raises_713(
    valid_till: datetime, validity: CouponValidity
) -> None:
    series = make_series(
        valid_till=valid_till,
        coupon_validity=validity,
        fixed_expiry_date=NOW + timedelta(days=30),
        valid_days_after_issue=10,
    )
    assert_expired(series)


@pytest.mark.parametrize(
    "valid_till", [None, NOW + timedelta(microseconds=1), NOW + timedelta(days=30)]
)
def test_series_valid_till_in_future_or_unset_passes(valid_till: datetime | None) -> None:
    check_still_valid(make_series(valid_till=valid_till), NOW)


@pytest.mark.parametrize(
    "fixed_expiry",
    [NOW - timedelta(days=1), NOW - timedelta(microseconds=1), NOW],
    ids=["yesterday", "just-now", "equal-to-now"],
)
def test_fixed_date_expiry_not_after_now_raises_713(fixed_expiry: datetime) -> None:
    series = make_series(
        valid_till=NOW + timedelta(days=30),
        coupon_validity=CouponValidity.FIXED_DATE,
        fixed_expiry_date=fixed_expiry,
    )
    assert_expired(series)


@pytest.mark.parametrize("valid_till", [None, NOW + timedelta(days=30)])
def test_fixed_date_expiry_in_future_passes(valid_till: datetime | None) -> None:
    series = make_series(
        valid_till=valid_till,
        coupon_validity=CouponValidity.FIXED_DATE,
        fixed_expiry_date=NOW + timedelta(seconds=1),
    )
    check_still_valid(series, NOW)


@pytest.mark.parametrize(
    "validity", [CouponValidity.SERIES_EXPIRY, CouponValidity.DAYS_AFTER_ISSUE]
)
def test_fixed_expiry_date_is_ignored_unless_validity_is_fixed_date(
    validity: CouponValidity,
) -> None:
    series = make_series(
        valid_till=NOW + timedelta(days=30),
        coupon_validity=validity,
        fixed_expiry_date=NOW - timedelta(days=1),
        valid_days_after_issue=5,
    )
    check_still_valid(series, NOW)


# --- coupon validity ---------------------------------------------------------------------------


@pytest.mark.parametrize("valid_till", [None, NOW + timedelta(days=90)])
def test_coupon_valid_till_series_expiry(valid_till: datetime | None) -> None:
    series = make_series(
        valid_till=valid_till,
        coupon_validity=CouponValidity.SERIES_EXPIRY,
        fixed_expiry_date=NOW + timedelta(days=5),
        valid_days_after_issue=7,
    )
    assert series.coupon_valid_till(NOW) == valid_till


def test_coupon_valid_till_fixed_date() -> None:
    fixed = NOW + timedelta(days=5)
    series = make_series(
        valid_till=NOW + timedelta(days=90),
        coupon_validity=CouponValidity.FIXED_DATE,
        fixed_expiry_date=fixed,
        valid_days_after_issue=7,
    )
    assert series.coupon_valid_till(NOW) == fixed
    assert series.coupon_valid_till(NOW + timedelta(days=2)) == fixed


@pytest.mark.parametrize(
    ("days", "valid_till", "expected"),
    [
        (7, None, NOW + timedelta(days=7)),
        (7, NOW + timedelta(days=90), NOW + timedelta(days=7)),
        (7, NOW + timedelta(days=7), NOW + timedelta(days=7)),
        (7, NOW + timedelta(days=3), NOW + timedelta(days=3)),  # capped at series valid_till
        (365, NOW + timedelta(hours=1), NOW + timedelta(hours=1)),
    ],
)
def test_coupon_valid_till_days_after_issue_is_capped_at_series_expiry(
    days: int, valid_till: datetime | None, expected: datetime
) -> None:
    series = make_series(
        valid_till=valid_till,
        coupon_validity=CouponValidity.DAYS_AFTER_ISSUE,
        valid_days_after_issue=days,
        fixed_expiry_date=NOW + timedelta(days=1000),
    )

    valid = series.coupon_valid_till(NOW)

    assert valid == expected
    assert valid is not None
    assert valid.tzinfo is not None
