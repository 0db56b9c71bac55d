"""A typed asynchronous client for coupon.v1, with deadlines, idempotent retries and rich errors.

async with CouponClient("127.0.0.1:50051", authorization="Basic ...") as client:
    response = await client.issue_multiple(
        415446, customer_ref(mobile="11223569865"), count=2
    )
"""

from __future__ import annotations

from .client import DEFAULT_TIMEOUT, CouponClient
from .errors import CouponError, FieldViolation
from .messages import CustomerRef, IssuanceMetadata, customer_ref, new_request_id
from .retry import NO_RETRY, RetryPolicy, call_with_retry

__all__ = [
    "DEFAULT_TIMEOUT",
    "NO_RETRY",
    "CouponClient",
    "CouponError",
    "CustomerRef",
    "FieldViolation",
    "IssuanceMetadata",
    "RetryPolicy",
    "call_with_retry",
    "customer_ref",
    "new_request_id",
]
