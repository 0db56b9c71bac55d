"""What an issued coupon can still do: its state, and whether a customer may redeem it now.

Validate and Redeem ask `check_redeemable` alike, so they can never disagree on a rule. The
store holds the limits themselves (guarded updates): when one of them refuses a redemption that
the check allowed, the coupon read again after it tells why.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime, timedelta

from .errors import ErrorCode, ErrorKind, NotRedeemable
from .model import CodeSource, Coupon, SeriesPolicy


class CouponState(enum.Enum):
    ISSUED = "ISSUED"
    REDEEMED = "REDEEMED"  # No use left.
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"  # Its validity ended with uses left.


def has_expired(coupon: Coupon, now: datetime) -> bool:
    return coupon.valid_till is not None and coupon.valid_till <= now


def state_of(coupon: Coupon, now: datetime) -> CouponState:
    """The state at `now`: a revocation outranks everything, and a used-up coupon stays
    REDEEMED when its validity ends later."""
    if coupon.revoked_at is not None:
        return CouponState.REVOKED
    if coupon.redemption_count >= coupon.uses_allowed:
        return CouponState.REDEEMED
    if has_expired(coupon, now):
        return CouponState.EXPIRED
    return CouponState.ISSUED


def redeemable_from(coupon: Coupon, policy: SeriesPolicy) -> datetime:
    return coupon.issued_at + timedelta(days=policy.redemption_valid_after_days)


@dataclasses.dataclass(frozen=True)
class RedemptionCounts:
    """What the store counted beyond the coupon: the series' redemptions not reversed, counted
    only for a series with a total limit (maxRedemptions)."""

    series_redeemed: int = 0


def check_redeemable(
    coupon: Coupon,
    policy: SeriesPolicy,
    customer_id: int,
    now: datetime,
    counts: RedemptionCounts,
) -> NotRedeemable | None:
    """Why `customer_id` may not redeem `coupon` at `now`, or None when it may. Whose coupon it
    is comes first, so a customer learns nothing about another's coupon."""
    ids = {"couponId": str(coupon.id), "seriesId": str(coupon.series_id)}
    if coupon.customer_id != customer_id:
        return wrong_customer()
    if coupon.revoked_at is not None:
        return _refused(ErrorCode.COUPON_REVOKED, "The coupon was revoked", ids)
    if has_expired(coupon, now):
        return _refused(ErrorCode.COUPON_EXPIRED, "The coupon has expired", ids)
    starts = redeemable_from(coupon, policy)
    if now < starts:
        return _refused(
            ErrorCode.COUPON_NOT_YET_VALID,
            f"The coupon can be redeemed from {starts:%Y-%m-%d %H:%M:%S} UTC",
            ids | {"redeemableFrom": starts.isoformat()},
        )
    if coupon.redemption_count >= coupon.uses_allowed:
        return used_up(coupon, policy)
    if policy.max_redemptions is not None and counts.series_redeemed >= policy.max_redemptions:
        return series_limit_reached(coupon.series_id, policy.max_redemptions)
    return None


def wrong_customer() -> NotRedeemable:
    return _refused(
        ErrorCode.COUPON_WRONG_CUSTOMER, "The coupon was not issued to this customer", {}
    )


def used_up(coupon: Coupon, policy: SeriesPolicy) -> NotRedeemable:
    ids = {"couponId": str(coupon.id), "seriesId": str(coupon.series_id)}
    times = f"{coupon.uses_allowed} time{'s' if coupon.uses_allowed != 1 else ''}"
    if policy.code_source is CodeSource.GENERIC and policy.max_redemptions_per_customer is not None:
        return _refused(
            ErrorCode.CUSTOMER_REDEMPTION_LIMIT_REACHED,
            f"The customer has redeemed this code as often as allowed ({times})",
            ids,
            ErrorKind.RESOURCE_EXHAUSTED,
        )
    return _refused(
        ErrorCode.COUPON_USED_UP,
        f"The coupon has been redeemed as often as it may be ({times})",
        ids,
        ErrorKind.RESOURCE_EXHAUSTED,
    )


def series_limit_reached(series_id: int, limit: int) -> NotRedeemable:
    return _refused(
        ErrorCode.SERIES_REDEMPTION_LIMIT_REACHED,
        f"The code has been redeemed as often as the series allows in all ({limit} times)",
        {"seriesId": str(series_id)},
        ErrorKind.RESOURCE_EXHAUSTED,
    )


def _refused(
    code: ErrorCode,
    message: str,
    metadata: dict[str, str],
    kind: ErrorKind = ErrorKind.FAILED_PRECONDITION,
) -> NotRedeemable:
    return NotRedeemable(code, message, kind=kind, metadata=metadata)
