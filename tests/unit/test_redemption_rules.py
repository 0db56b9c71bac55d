"""The redemption rules of the pure domain: a coupon's state, and check_redeemable's reasons."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from coupon_service.domain.errors import ErrorCode, ErrorKind, InvalidRequest
from coupon_service.domain.model import CodeSource, Coupon, IssuanceMetadata, SeriesPolicy
from coupon_service.domain.redemption import (
    CouponState,
    RedemptionCounts,
    check_redeemable,
    state_of,
)
from coupon_service.domain.validation import check_bill, check_coupon_code, check_policy_limits

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
CUSTOMER = 7
COUPON = Coupon(
    id=1,
    code="ABC123",
    series_id=3,
    customer_id=CUSTOMER,
    issued_at=NOW - timedelta(days=1),
    valid_till=NOW + timedelta(days=30),
    redemption_count=0,
    metadata=IssuanceMetadata(),
    request_id=None,
    uses_allowed=1,
)
POLICY = SeriesPolicy()
GENERIC = SeriesPolicy(code_source=CodeSource.GENERIC, generic_code="WELCOME")
NO_COUNTS = RedemptionCounts()


def _code(
    coupon: Coupon = COUPON,
    policy: SeriesPolicy = POLICY,
    customer: int = CUSTOMER,
    counts: RedemptionCounts = NO_COUNTS,
) -> tuple[ErrorCode, ErrorKind] | None:
    refusal = check_redeemable(coupon, policy, customer, NOW, counts)
    return None if refusal is None else (refusal.code, refusal.kind)


def test_a_fresh_coupon_is_issued_and_redeemable() -> None:
    assert state_of(COUPON, NOW) is CouponState.ISSUED
    assert _code() is None


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({"redemption_count": 1}, CouponState.REDEEMED),
        ({"revoked_at": NOW}, CouponState.REVOKED),
        ({"valid_till": NOW}, CouponState.EXPIRED),  # Validity ends at valid_till itself.
        ({"valid_till": None}, CouponState.ISSUED),
        ({"redemption_count": 2, "uses_allowed": 3}, CouponState.ISSUED),
        # A used-up coupon stays REDEEMED after its validity ends; a revoked one is REVOKED.
        ({"redemption_count": 1, "valid_till": NOW - timedelta(days=1)}, CouponState.REDEEMED),
        ({"redemption_count": 1, "revoked_at": NOW}, CouponState.REVOKED),
    ],
)
def test_the_state_is_derived_from_uses_revocation_and_validity(
    changes: dict[str, object], state: CouponState
) -> None:
    assert state_of(dataclasses.replace(COUPON, **changes), NOW) is state  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"customer_id": CUSTOMER + 1}, ErrorCode.COUPON_WRONG_CUSTOMER),
        ({"revoked_at": NOW - timedelta(hours=1)}, ErrorCode.COUPON_REVOKED),
        ({"valid_till": NOW - timedelta(seconds=1)}, ErrorCode.COUPON_EXPIRED),
        ({"redemption_count": 1}, ErrorCode.COUPON_USED_UP),
        # Whose coupon it is comes before anything about its state.
        ({"customer_id": 99, "revoked_at": NOW}, ErrorCode.COUPON_WRONG_CUSTOMER),
        ({"revoked_at": NOW, "redemption_count": 1}, ErrorCode.COUPON_REVOKED),
    ],
)
def test_each_reason_has_its_code(changes: dict[str, object], expected: ErrorCode) -> None:
    found = _code(dataclasses.replace(COUPON, **changes))  # type: ignore[arg-type]
    assert found is not None and found[0] is expected


def test_failure_kinds_follow_the_reason() -> None:
    assert _code(dataclasses.replace(COUPON, redemption_count=1)) == (
        ErrorCode.COUPON_USED_UP,
        ErrorKind.RESOURCE_EXHAUSTED,
    )
    assert _code(dataclasses.replace(COUPON, revoked_at=NOW)) == (
        ErrorCode.COUPON_REVOKED,
        ErrorKind.FAILED_PRECONDITION,
    )


def test_redemption_valid_after_days_holds_a_new_coupon_back() -> None:
    policy = SeriesPolicy(redemption_valid_after_days=2)
    fresh = dataclasses.replace(COUPON, issued_at=NOW - timedelta(days=2) + timedelta(seconds=1))
    refusal = check_redeemable(fresh, policy, CUSTOMER, NOW, RedemptionCounts())
    assert refusal is not None and refusal.code is ErrorCode.COUPON_NOT_YET_VALID
    assert refusal.metadata["redeemableFrom"] == (fresh.issued_at + timedelta(days=2)).isoformat()
    ready = dataclasses.replace(COUPON, issued_at=NOW - timedelta(days=2))
    assert _code(ready, policy) is None


def test_a_generic_series_limits_per_customer_and_in_total() -> None:
    per_customer = dataclasses.replace(GENERIC, max_redemptions_per_customer=2)
    assert per_customer.uses_per_coupon == 2
    assert GENERIC.uses_per_coupon == 1  # Unset: maxRedemptionsPerCoupon, 1 by default.
    held = dataclasses.replace(COUPON, uses_allowed=2, redemption_count=2)
    assert _code(held, per_customer) == (
        ErrorCode.CUSTOMER_REDEMPTION_LIMIT_REACHED,
        ErrorKind.RESOURCE_EXHAUSTED,
    )

    total = dataclasses.replace(GENERIC, max_redemptions=100)
    assert _code(COUPON, total, counts=RedemptionCounts(99)) is None
    assert _code(COUPON, total, counts=RedemptionCounts(100)) == (
        ErrorCode.SERIES_REDEMPTION_LIMIT_REACHED,
        ErrorKind.RESOURCE_EXHAUSTED,
    )


def test_lifecycle_codes_are_their_own_range() -> None:
    lifecycle = [code for code in ErrorCode if 900 <= code < 1000]
    assert [int(code) for code in lifecycle] == list(range(901, 912))  # 910-911: the feed.
    documented = {621, 626, 629, 677, 678, 679, 701, 702, 707, 709, 713, 756}
    assert documented | {5001, 5002, 5004, 5005, 5006} == {int(c) for c in ErrorCode} - set(
        lifecycle
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_redemptions_per_coupon": 0}, "maxRedemptionsPerCoupon"),
        ({"max_redemptions_per_coupon": 2**31}, "maxRedemptionsPerCoupon"),
        ({"max_redemptions_per_customer": 0}, "maxRedemptionsPerCustomer"),
        ({"max_redemptions": 0}, "maxRedemptions"),
        ({"max_redemptions": 2**63}, "maxRedemptions"),
    ],
)
def test_redemption_limits_are_checked(changes: dict[str, int], field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_policy_limits(dataclasses.replace(GENERIC, **changes))  # type: ignore[arg-type]
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("code", "bill_number", "bill_amount", "field"),
    [
        ("", "", None, "code"),
        ("   ", "", None, "code"),
        ("A" * 101, "", None, "code"),
        ("AB\x00", "", None, "code"),
        ("OK", "B" * 101, None, "billNumber"),
        ("OK", "\n", None, "billNumber"),
        ("OK", "", -1, "billAmount"),
        ("OK", "", 2**63, "billAmount"),
    ],
)
def test_redeem_input_is_checked(
    code: str, bill_number: str, bill_amount: int | None, field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_coupon_code("code", code)
        check_bill(bill_number, bill_amount)
    assert refused.value.field == field
