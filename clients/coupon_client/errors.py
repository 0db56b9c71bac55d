"""The typed exceptions of the client: one class per documented code, arranged as a tree.

CouponError                  every failure; .code .status_code .reason .domain .message .metadata
├── InvalidRequest           INVALID_ARGUMENT 756 mandatory field, 677 count, 629 invalid input;
│   │                        .field_violations (google.rpc.BadRequest) names the fields
│   ├── RequestIdReused      FAILED_PRECONDITION 629: the requestId came with another request
│   └── EventCursorInvalid   911: WatchEvents' `after` is no cursor of the organisation's feed
├── NotFound                 NOT_FOUND
│   ├── CustomerNotFound     701: no such customer in the caller's organisation
│   ├── SeriesNotFound       707: no such series, or one managed elsewhere
│   ├── CouponNotFound       901: no coupon was issued with the code or id
│   └── RedemptionNotFound   909: no redemption has the id
├── AlreadyExists            ALREADY_EXISTS 629: a chosen id or a customer identifier is taken
├── CouponExpired            FAILED_PRECONDITION 713: the series or the coupon validity has ended
├── AlreadyHeld              ALREADY_EXISTS 709: one per customer, already held, no resending
├── LimitReached             the series' policy allowed none (raised) or fewer (a result's failures)
│   ├── SeriesLimitReached   RESOURCE_EXHAUSTED 626, partial 5001: maxCreate
│   ├── CustomerLimitReached RESOURCE_EXHAUSTED 621, partial 5002: maxVouchersPerUser
│   ├── OnlyOnePerCustomer   FAILED_PRECONDITION 679, partial 5004: one per customer, one GENERIC
│   └── PoolExhausted        RESOURCE_EXHAUSTED 702, partial 5005: every uploaded code is issued
├── IssueFailed              ABORTED 678, partial 5006: not issued for another reason
├── NotRedeemable            the coupon cannot be redeemed by this customer now (9xx)
│   ├── WrongCustomer        FAILED_PRECONDITION 902: issued to another customer
│   ├── NotYetRedeemable     FAILED_PRECONDITION 903: redemptionValidAfterDays not yet passed
│   ├── CouponNoLongerValid  FAILED_PRECONDITION 904: its validity has ended
│   ├── CouponRevoked        FAILED_PRECONDITION 905: revoked for good
│   ├── CouponUsedUp         RESOURCE_EXHAUSTED 906: maxRedemptionsPerCoupon taken
│   ├── CustomerRedemptionLimitReached   RESOURCE_EXHAUSTED 907: maxRedemptionsPerCustomer
│   └── SeriesRedemptionLimitReached     RESOURCE_EXHAUSTED 908: maxRedemptions in all
├── EventCursorExpired       FAILED_PRECONDITION 910: the feed no longer holds the events after
│                            the cursor (retention window); .oldest_cursor is where it starts
├── AccessDenied             no documented code: the ErrorInfo reason says why
│   ├── Unauthenticated      UNAUTHENTICATED: credentials missing, malformed, wrong or revoked
│   └── PermissionDenied     PERMISSION_DENIED: valid credentials without the scope needed
├── Unavailable              UNAVAILABLE 678 (the database; nothing was written) or no code (the
│                            network, or a server shutting down); .retry_after from
│                            google.rpc.RetryInfo, when sent
└── DeadlineExceeded         DEADLINE_EXCEEDED: no answer in time; the call may have been done

A code the client does not know becomes the class of its gRPC status (NOT_FOUND: NotFound,
ABORTED: IssueFailed, ...); a status no class stands for is CouponError itself (INTERNAL, or
RESOURCE_EXHAUSTED without a code, as gRPC answers an oversized message). The partial codes
(5xxx) are never raised: they arrive in an IssueResult's `failures`, as instances of the same
classes, with `code` the 5xxx number; so do a BulkResult's per-series errors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

import grpc

_S = grpc.StatusCode


@dataclasses.dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request, from google.rpc.BadRequest."""

    field: str
    description: str


class CouponError(Exception):
    """A call to the coupon service failed; the fields say how and why.

    `codes` lists the documented numbers a class stands for and `grpc_status` the status the
    service sends with them; `code` is 0 when the failure carried no documented number.
    """

    codes: ClassVar[tuple[int, ...]] = ()
    grpc_status: ClassVar[grpc.StatusCode] = _S.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        code: int = 0,
        status_code: grpc.StatusCode | None = None,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: tuple[FieldViolation, ...] = (),
        retry_after: float | None = None,
    ) -> None:
        self.status_code = self.grpc_status if status_code is None else status_code
        self.message = message
        self.code = code
        self.reason = reason
        self.domain = domain
        self.metadata = dict(metadata or {})
        self.field_violations = field_violations
        # Seconds the server asked callers to wait before trying again (google.rpc.RetryInfo).
        self.retry_after = retry_after
        numbered = f" {code}" if code else ""
        super().__init__(f"{self.status_code.name}{numbered}: {message}")

    @property
    def fields(self) -> list[str]:
        """The names of the invalid fields, for validation failures."""
        return [violation.field for violation in self.field_violations]


class InvalidRequest(CouponError):
    codes: ClassVar[tuple[int, ...]] = (756, 677, 629)
    grpc_status = _S.INVALID_ARGUMENT


class RequestIdReused(InvalidRequest):
    codes = (629,)
    grpc_status = _S.FAILED_PRECONDITION


class EventCursorInvalid(InvalidRequest):
    codes = (911,)


class NotFound(CouponError):
    grpc_status = _S.NOT_FOUND


class CustomerNotFound(NotFound):
    codes = (701,)


class SeriesNotFound(NotFound):
    codes = (707,)


class CouponNotFound(NotFound):
    codes = (901,)


class RedemptionNotFound(NotFound):
    codes = (909,)


class AlreadyExists(CouponError):
    codes = (629,)
    grpc_status = _S.ALREADY_EXISTS


class CouponExpired(CouponError):
    codes = (713,)
    grpc_status = _S.FAILED_PRECONDITION


class AlreadyHeld(CouponError):
    codes = (709,)
    grpc_status = _S.ALREADY_EXISTS


class LimitReached(CouponError):
    grpc_status = _S.RESOURCE_EXHAUSTED


class SeriesLimitReached(LimitReached):
    codes = (626, 5001)


class CustomerLimitReached(LimitReached):
    codes = (621, 5002)


class OnlyOnePerCustomer(LimitReached):
    codes = (679, 5004)
    grpc_status = _S.FAILED_PRECONDITION


class PoolExhausted(LimitReached):
    codes = (702, 5005)


class IssueFailed(CouponError):
    codes = (678, 5006)
    grpc_status = _S.ABORTED


class NotRedeemable(CouponError):
    grpc_status = _S.FAILED_PRECONDITION


class WrongCustomer(NotRedeemable):
    codes = (902,)


class NotYetRedeemable(NotRedeemable):
    codes = (903,)


class CouponNoLongerValid(NotRedeemable):
    codes = (904,)


class CouponRevoked(NotRedeemable):
    codes = (905,)


class CouponUsedUp(NotRedeemable):
    codes = (906,)
    grpc_status = _S.RESOURCE_EXHAUSTED


class CustomerRedemptionLimitReached(NotRedeemable):
    codes = (907,)
    grpc_status = _S.RESOURCE_EXHAUSTED


class SeriesRedemptionLimitReached(NotRedeemable):
    codes = (908,)
    grpc_status = _S.RESOURCE_EXHAUSTED


class EventCursorExpired(CouponError):
    """The events after the cursor were pruned: resynchronise from the source of truth, then
    follow the feed again from `oldest_cursor` (or from now)."""

    codes = (910,)
    grpc_status = _S.FAILED_PRECONDITION

    @property
    def oldest_cursor(self) -> str:
        """Where the feed now starts: the ErrorInfo's `oldestCursor`."""
        return self.metadata.get("oldestCursor", "")


class AccessDenied(CouponError):
    grpc_status = _S.PERMISSION_DENIED


class Unauthenticated(AccessDenied):
    grpc_status = _S.UNAUTHENTICATED


class PermissionDenied(AccessDenied):
    grpc_status = _S.PERMISSION_DENIED


class Unavailable(CouponError):
    codes = (678,)
    grpc_status = _S.UNAVAILABLE


class DeadlineExceeded(CouponError):
    grpc_status = _S.DEADLINE_EXCEEDED
