"""Typed clients for coupon.v1, async and sync: deadlines, idempotent retries, typed errors,
and the event feed followed across reconnections.

async with CouponClient("127.0.0.1:50051", authorization=basic("demo", "demo-secret")) as client:
    result = await client.issue_multiple(415446, customer_ref(mobile="11223569865"), count=2)

with SyncCouponClient("127.0.0.1:50051", authorization=basic("demo", "demo-secret")) as client:
    result = client.issue_multiple(415446, customer_ref(mobile="11223569865"), count=2)
"""

from __future__ import annotations

from ._channel import DEFAULT_TIMEOUT
from ._translate import from_rpc_error
from .client import CouponClient
from .credentials import ClientTls, basic, bearer
from .errors import (
    AccessDenied,
    AlreadyExists,
    AlreadyHeld,
    CouponError,
    CouponExpired,
    CouponNoLongerValid,
    CouponNotFound,
    CouponRevoked,
    CouponUsedUp,
    CustomerLimitReached,
    CustomerNotFound,
    CustomerRedemptionLimitReached,
    DeadlineExceeded,
    EventCursorExpired,
    EventCursorInvalid,
    FieldViolation,
    InvalidRequest,
    IssueFailed,
    LimitReached,
    NotFound,
    NotRedeemable,
    NotYetRedeemable,
    OnlyOnePerCustomer,
    PermissionDenied,
    PoolExhausted,
    RedemptionNotFound,
    RequestIdReused,
    SeriesLimitReached,
    SeriesNotFound,
    SeriesRedemptionLimitReached,
    Unauthenticated,
    Unavailable,
    WrongCustomer,
)
from .events import CouponEvent, EventType, Redemption
from .messages import (
    CustomerChanges,
    CustomerFields,
    CustomerRef,
    IssuanceMetadata,
    SeriesFields,
    customer_ref,
    new_request_id,
)
from .results import BulkResult, IssueResult, SeriesFailure
from .retry import NO_RETRY, RetryPolicy, call_with_retry, call_with_retry_sync
from .sync_client import SyncCouponClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "NO_RETRY",
    "AccessDenied",
    "AlreadyExists",
    "AlreadyHeld",
    "BulkResult",
    "ClientTls",
    "CouponClient",
    "CouponError",
    "CouponEvent",
    "CouponExpired",
    "CouponNoLongerValid",
    "CouponNotFound",
    "CouponRevoked",
    "CouponUsedUp",
    "CustomerChanges",
    "CustomerFields",
    "CustomerLimitReached",
    "CustomerNotFound",
    "CustomerRedemptionLimitReached",
    "CustomerRef",
    "DeadlineExceeded",
    "EventCursorExpired",
    "EventCursorInvalid",
    "EventType",
    "FieldViolation",
    "InvalidRequest",
    "IssuanceMetadata",
    "IssueFailed",
    "IssueResult",
    "LimitReached",
    "NotFound",
    "NotRedeemable",
    "NotYetRedeemable",
    "OnlyOnePerCustomer",
    "PermissionDenied",
    "PoolExhausted",
    "Redemption",
    "RedemptionNotFound",
    "RequestIdReused",
    "RetryPolicy",
    "SeriesFailure",
    "SeriesFields",
    "SeriesLimitReached",
    "SeriesNotFound",
    "SeriesRedemptionLimitReached",
    "SyncCouponClient",
    "Unauthenticated",
    "Unavailable",
    "WrongCustomer",
    "basic",
    "bearer",
    "call_with_retry",
    "call_with_retry_sync",
    "customer_ref",
    "from_rpc_error",
    "new_request_id",
]
