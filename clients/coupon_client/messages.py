"""Helpers that build the request pieces callers pass to CouponClient."""

from __future__ import annotations

import uuid

from coupon.v1.common_pb2 import CustomerRef, IssuanceMetadata

__all__ = ["CustomerRef", "IssuanceMetadata", "customer_ref", "new_request_id"]


def customer_ref(
    *,
    id: int | None = None,
    mobile: str | None = None,
    email: str | None = None,
    external_id: str | None = None,
) -> CustomerRef:
    """Names one customer by exactly one of its identifiers."""
    given = {
        name: value
        for name, value in (("id", id), ("mobile", mobile), ("email", email))
        if value is not None
    }
    if external_id is not None:
        given["externalId"] = external_id
    if len(given) != 1:
        raise ValueError("name the customer by exactly one of id, mobile, email, external_id")
    return CustomerRef(**given)  # type: ignore[arg-type]


def new_request_id() -> str:
    """A fresh idempotency key. Keep it with your own record to retry across restarts."""
    return str(uuid.uuid4())
