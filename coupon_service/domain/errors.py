"""The documented coupon error codes and the exceptions that carry them.

CouponServiceError
├── InvalidRequest        756, 677, 629, 911: the request itself is wrong; nothing was read or
│                         written
├── NotFound              701 customer, 707 series, 901 coupon, 909 redemption: unknown in the
│                         caller's organisation
├── AlreadyExists         629: an id or identifier is already taken (management calls)
├── Expired               713: the series or the coupon's validity has ended; 910: an event
│                         cursor older than the feed's retention window
├── AlreadyHasCoupon      709: one per customer, already held, and resending is off
├── NothingIssued         6xx: the policy allowed none of the requested coupons
├── NotRedeemable         902-908: the coupon cannot be redeemed by this customer now
├── RequestIdReused       629: an idempotency key came back with a different request
└── Unavailable           678: the database could not do the work; nothing was written, retry

AccessDenied              who may call: the documents define no code for it, so none is sent
├── Unauthenticated       credentials missing, malformed, unknown, wrong, revoked or expired
└── PermissionDenied      valid credentials without the scope the call needs

Each error names its `kind`, which every transport maps to its own status in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class ErrorCode(enum.IntEnum):
    """The numbers of the documented API; values match `coupon.v1.ErrorCode`."""

    MAX_COUPONS_PER_CUSTOMER_REACHED = 621
    SERIES_LIMIT_REACHED = 626
    INVALID_INPUT = 629
    INVALID_COUNT = 677
    ISSUE_FAILED = 678
    ONLY_ONE_PER_CUSTOMER = 679
    CUSTOMER_NOT_FOUND = 701
    SERIES_EXHAUSTED = 702
    SERIES_INVALID = 707
    ALREADY_HAS_COUPON = 709
    EXPIRED = 713
    MANDATORY_FIELD = 756
    PARTIAL_SERIES_LIMIT_REACHED = 5001
    PARTIAL_MAX_COUPONS_PER_CUSTOMER_REACHED = 5002
    PARTIAL_ONLY_ONE_PER_CUSTOMER = 5004
    PARTIAL_SERIES_EXHAUSTED = 5005
    PARTIAL_ISSUE_FAILED = 5006
    # After issuing: the service's own range, which no document defines.
    COUPON_NOT_FOUND = 901
    COUPON_WRONG_CUSTOMER = 902
    COUPON_NOT_YET_VALID = 903
    COUPON_EXPIRED = 904
    COUPON_REVOKED = 905
    COUPON_USED_UP = 906
    CUSTOMER_REDEMPTION_LIMIT_REACHED = 907
    SERIES_REDEMPTION_LIMIT_REACHED = 908
    REDEMPTION_NOT_FOUND = 909
    EVENT_CURSOR_EXPIRED = 910
    EVENT_CURSOR_INVALID = 911


class ErrorKind(enum.Enum):
    """What kind of failure an error is, independent of any transport."""

    INVALID_ARGUMENT = "invalid_argument"
    NOT_FOUND = "not_found"
    ALREADY_EXISTS = "already_exists"
    FAILED_PRECONDITION = "failed_precondition"
    RESOURCE_EXHAUSTED = "resource_exhausted"
    ABORTED = "aborted"
    UNAVAILABLE = "unavailable"
    UNAUTHENTICATED = "unauthenticated"
    PERMISSION_DENIED = "permission_denied"


class CouponServiceError(Exception):
    """A failure the caller can act on, with its documented code and message."""

    kind: ErrorKind = ErrorKind.FAILED_PRECONDITION

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        field: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.metadata = dict(metadata or {})
        self.field = field
        # The UPPER_SNAKE_CASE reason used in google.rpc.ErrorInfo: the code's name, unless a
        # finer one says more (several failures share 629 and 678).
        self.reason = reason or code.name


class InvalidRequest(CouponServiceError):
    kind = ErrorKind.INVALID_ARGUMENT


class NotFound(CouponServiceError):
    kind = ErrorKind.NOT_FOUND


class AlreadyExists(CouponServiceError):
    kind = ErrorKind.ALREADY_EXISTS


class Expired(CouponServiceError):
    kind = ErrorKind.FAILED_PRECONDITION


class AlreadyHasCoupon(CouponServiceError):
    kind = ErrorKind.ALREADY_EXISTS


class NothingIssued(CouponServiceError):
    """No coupon could be issued; `kind` follows the reason."""

    def __init__(self, code: ErrorCode, message: str, *, kind: ErrorKind, **kwargs: object) -> None:
        super().__init__(code, message, **kwargs)  # type: ignore[arg-type]
        self.kind = kind


class NotRedeemable(CouponServiceError):
    """The coupon cannot be redeemed by this customer now; `kind` follows the reason: a limit
    reached is RESOURCE_EXHAUSTED, anything else about the coupon FAILED_PRECONDITION."""

    def __init__(self, code: ErrorCode, message: str, *, kind: ErrorKind, **kwargs: object) -> None:
        super().__init__(code, message, **kwargs)  # type: ignore[arg-type]
        self.kind = kind


class RequestIdReused(CouponServiceError):
    kind = ErrorKind.FAILED_PRECONDITION


class Unavailable(CouponServiceError):
    """Nothing was written and a retry may succeed; with the same request id it is always safe.

    `reason` says why (the database could not be reached, or gave up on the transaction);
    `retry_after_seconds` is how long a caller should wait before trying again.
    """

    kind = ErrorKind.UNAVAILABLE

    def __init__(self, message: str, *, reason: str, retry_after_seconds: float) -> None:
        super().__init__(ErrorCode.ISSUE_FAILED, message, reason=reason)
        self.retry_after_seconds = retry_after_seconds


CUSTOMER_NOT_FOUND_MESSAGE = (
    "The customer could not be found. Please check mobile, email, external id passed"
)
SERIES_INVALID_MESSAGE = "Coupon Series ID is invalid"
INVALID_COUNT_MESSAGE = "Invalid coupon count. Minimum 1 and Maximum 500."
EXPIRED_MESSAGE = "Coupon has expired"
ALREADY_HAS_COUPON_MESSAGE = "Coupon processing failed: user already has a coupon"


def customer_not_found() -> NotFound:
    return NotFound(ErrorCode.CUSTOMER_NOT_FOUND, CUSTOMER_NOT_FOUND_MESSAGE, field="customer")


def series_not_found(series_id: int) -> NotFound:
    return NotFound(
        ErrorCode.SERIES_INVALID, SERIES_INVALID_MESSAGE, metadata={"seriesId": str(series_id)}
    )


def coupon_not_found() -> NotFound:
    return NotFound(
        ErrorCode.COUPON_NOT_FOUND,
        "No coupon was issued with this code or id in the organisation",
        field="coupon",
    )


def redemption_not_found(redemption_id: int) -> NotFound:
    return NotFound(
        ErrorCode.REDEMPTION_NOT_FOUND,
        "No redemption has this id in the organisation",
        metadata={"redemptionId": str(redemption_id)},
        field="redemptionId",
    )


def store_unavailable(*, conflict: bool = False) -> Unavailable:
    """The database could not do the call's work: it was down, lost the connection, timed out,
    or gave up on the transaction (`conflict`: a deadlock or serialization failure)."""
    return Unavailable(
        "the database could not complete the call just now: nothing was written; retry the call"
        " (with the same requestId a retry never issues twice)",
        reason="TRANSACTION_CONFLICT" if conflict else "DATABASE_UNAVAILABLE",
        retry_after_seconds=0.1 if conflict else 1.0,
    )


def mandatory(field: str, message: str | None = None) -> InvalidRequest:
    return InvalidRequest(
        ErrorCode.MANDATORY_FIELD, message or f"{field} is mandatory to set", field=field
    )


def invalid_input(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(ErrorCode.INVALID_INPUT, message, field=field)


class AccessDenied(Exception):
    """The caller may not make this call. No documented numeric code exists for it, so it
    carries a reason instead, and the transports send no CouponErrorDetail with it."""

    kind: ErrorKind = ErrorKind.UNAUTHENTICATED
    reason: str = "UNAUTHENTICATED"

    def __init__(self, message: str, *, metadata: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.metadata = dict(metadata or {})


class Unauthenticated(AccessDenied):
    """Never says which part was wrong: an unknown key id and a wrong secret look the same."""

    kind = ErrorKind.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class PermissionDenied(AccessDenied):
    kind = ErrorKind.PERMISSION_DENIED
    reason = "PERMISSION_DENIED"
