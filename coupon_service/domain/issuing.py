"""The issuing rules: how many of the requested coupons a series' policy allows, and why not more.

Pure functions over counts the store has read under the series lock; no I/O.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

from .errors import (
    ALREADY_HAS_COUPON_MESSAGE,
    EXPIRED_MESSAGE,
    AlreadyHasCoupon,
    ErrorCode,
    ErrorKind,
    Expired,
    NothingIssued,
)
from .model import CodeSource, CouponValidity, IssuedCoupon, Series

MAX_COUNT = 500


class Shortfall(enum.Enum):
    """Why some requested coupons were not issued: partial code, none-issued code, kind, message."""

    ONLY_ONE_PER_CUSTOMER = (
        ErrorCode.PARTIAL_ONLY_ONE_PER_CUSTOMER,
        ErrorCode.ONLY_ONE_PER_CUSTOMER,
        ErrorKind.FAILED_PRECONDITION,
        "Issue only one coupon. Since isAllowMultipleVouchersPerUser=false.",
    )
    ONE_GENERIC_CODE = (
        ErrorCode.PARTIAL_ONLY_ONE_PER_CUSTOMER,
        ErrorCode.ONLY_ONE_PER_CUSTOMER,
        ErrorKind.FAILED_PRECONDITION,
        "Cannot issue more than one GENERIC coupon code.",
    )
    SERIES_LIMIT = (
        ErrorCode.PARTIAL_SERIES_LIMIT_REACHED,
        ErrorCode.SERIES_LIMIT_REACHED,
        ErrorKind.RESOURCE_EXHAUSTED,
        "Maximum number of coupons for the series has been issued",
    )
    PER_CUSTOMER_LIMIT = (
        ErrorCode.PARTIAL_MAX_COUPONS_PER_CUSTOMER_REACHED,
        ErrorCode.MAX_COUPONS_PER_CUSTOMER_REACHED,
        ErrorKind.RESOURCE_EXHAUSTED,
        "max coupon per user exceeded",
    )
    POOL_EMPTY = (
        ErrorCode.PARTIAL_SERIES_EXHAUSTED,
        ErrorCode.SERIES_EXHAUSTED,
        ErrorKind.RESOURCE_EXHAUSTED,
        "Queue is empty for series: every uploaded code has been issued",
    )
    OTHER = (
        ErrorCode.PARTIAL_ISSUE_FAILED,
        ErrorCode.ISSUE_FAILED,
        ErrorKind.ABORTED,
        "Unable to issue certain number of coupons",
    )

    @property
    def partial_code(self) -> ErrorCode:
        return self.value[0]

    @property
    def none_issued_code(self) -> ErrorCode:
        return self.value[1]

    @property
    def kind(self) -> ErrorKind:
        return self.value[2]

    @property
    def message(self) -> str:
        return self.value[3]


@dataclasses.dataclass(frozen=True)
class IssuePlan:
    """What to do for one series: issue `new_coupons`, or hand back the held coupon."""

    new_coupons: int
    resend_held_coupon: bool
    shortfalls: tuple[tuple[Shortfall, int], ...]


def check_still_valid(series: Series, now: datetime) -> None:
    """Raises Expired (713) when the series, or the fixed coupon expiry, has passed."""
    policy = series.policy
    ended = policy.valid_till is not None and policy.valid_till <= now
    fixed = policy.coupon_validity is CouponValidity.FIXED_DATE
    if ended or (
        fixed and policy.fixed_expiry_date is not None and policy.fixed_expiry_date <= now
    ):
        raise Expired(ErrorCode.EXPIRED, EXPIRED_MESSAGE, metadata={"seriesId": str(series.id)})


def _one_per_customer(series: Series) -> bool:
    policy = series.policy
    return policy.code_source is CodeSource.GENERIC or not policy.multiple_per_user_allowed


def counts_holdings(series: Series) -> bool:
    """Whether the plan depends on how many coupons of the series the customer holds."""
    return _one_per_customer(series) or series.policy.max_vouchers_per_user is not None


def needs_series_lock(series: Series) -> bool:
    """Whether issuing reads counts that must not change until it commits.

    A pool needs no lock: claims skip rows other transactions hold, so the claim itself says
    how many codes were left.
    """
    return counts_holdings(series) or series.policy.max_create is not None


def plan_issue(
    series: Series,
    *,
    requested: int,
    held_by_customer: int,
    pool_left: int | None = None,
    held_all_revoked: bool = False,
) -> IssuePlan:
    """Decides how many of `requested` coupons to issue, given what the customer already holds.

    `pool_left` is how many uploaded codes the caller could reserve; by default the series'
    own count of codes not yet issued. `held_all_revoked`: every coupon the customer holds
    was revoked, so a one-per-customer series has none to resend, and issues no other (a
    revoked coupon is revoked for good, and still counts as the customer's one).
    """
    policy = series.policy
    shortfalls: list[tuple[Shortfall, int]] = []
    granted = requested

    def cap(limit: int, reason: Shortfall) -> None:
        nonlocal granted
        if granted > limit:
            shortfalls.append((reason, granted - max(limit, 0)))
            granted = max(limit, 0)

    if _one_per_customer(series):
        reason = (
            Shortfall.ONE_GENERIC_CODE
            if policy.code_source is CodeSource.GENERIC
            else Shortfall.ONLY_ONE_PER_CUSTOMER
        )
        if held_by_customer > 0:
            if policy.do_not_resend_existing or held_all_revoked:
                raise AlreadyHasCoupon(
                    ErrorCode.ALREADY_HAS_COUPON,
                    ALREADY_HAS_COUPON_MESSAGE,
                    metadata={"seriesId": str(series.id)},
                    reason="HELD_COUPON_REVOKED" if held_all_revoked else None,
                )
            cap(1, reason)
            return IssuePlan(0, True, tuple(shortfalls))
        cap(1, reason)
    elif policy.max_vouchers_per_user is not None:
        cap(policy.max_vouchers_per_user - held_by_customer, Shortfall.PER_CUSTOMER_LIMIT)
    if policy.max_create is not None:
        cap(policy.max_create - series.num_issued, Shortfall.SERIES_LIMIT)
    if policy.code_source is CodeSource.UPLOADED:
        cap(
            series.num_uploaded_non_issued if pool_left is None else pool_left,
            Shortfall.POOL_EMPTY,
        )
    return IssuePlan(granted, False, tuple(shortfalls))


@dataclasses.dataclass(frozen=True)
class SeriesOutcome:
    """What one series gave the customer in one call."""

    series: Series
    requested: int
    coupons: tuple[IssuedCoupon, ...]
    shortfalls: tuple[tuple[Shortfall, int], ...]

    @property
    def failure_count(self) -> int:
        return sum(count for _, count in self.shortfalls)

    def nothing_issued(self) -> NothingIssued:
        """The 6xx error for a call in which this series issued nothing.

        Limits apply in turn, each cutting what the one before left; the last one cut the
        count to zero, so it is the reason.
        """
        reason = self.shortfalls[-1][0] if self.shortfalls else Shortfall.OTHER
        return NothingIssued(
            reason.none_issued_code,
            reason.message,
            kind=reason.kind,
            metadata={"seriesId": str(self.series.id)},
        )
