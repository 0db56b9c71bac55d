"""Typed clients for coupon.v1, async and sync: deadlines, idempotent retries, typed errors.

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
    CustomerLimitReached,
    CustomerNotFound,
    DeadlineExceeded,
    FieldViolation,
    InvalidRequest,
    IssueFailed,
    LimitReached,
    NotFound,
    OnlyOnePerCustomer,
    PermissionDenied,
    PoolExhausted,
    RequestIdReused,
    SeriesLimitReached,
    SeriesNotFound,
    Unauthenticated,
    Unavailable,
)
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
    "CouponExpired",
    "CustomerChanges",
    "CustomerFields",
    "CustomerLimitReached",
    "CustomerNotFound",
    "CustomerRef",
    "DeadlineExceeded",
    "FieldViolation",
    "InvalidRequest",
    "IssuanceMetadata",
    "IssueFailed",
    "IssueResult",
    "LimitReached",
    "NotFound",
    "OnlyOnePerCustomer",
    "PermissionDenied",
    "PoolExhausted",
    "RequestIdReused",
    "RetryPolicy",
    "SeriesFailure",
    "SeriesFields",
    "SeriesLimitReached",
    "SeriesNotFound",
    "SyncCouponClient",
    "Unauthenticated",
    "Unavailable",
    "basic",
    "bearer",
    "call_with_retry",
    "call_with_retry_sync",
    "customer_ref",
    "from_rpc_error",
    "new_request_id",
]
