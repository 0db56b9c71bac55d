"""The plain-Python pieces callers pass to the clients: customer references, metadata, fields."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

from coupon.v1.common_pb2 import CustomerRef, IssuanceMetadata

__all__ = [
    "CustomerChanges",
    "CustomerFields",
    "CustomerRef",
    "IssuanceMetadata",
    "SeriesFields",
    "customer_ref",
    "new_request_id",
]


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


class SeriesFields(TypedDict, total=False):
    """The settable fields of coupon.v1.Series, as keyword arguments of `create_series`.

    The enums take their short names ("UPLOADED", "PERC", "DAYS_AFTER_ISSUE") or their numbers;
    datetimes become Timestamps (a naive one is read as UTC).
    """

    id: int
    description: str
    discount_code: str
    info: str
    discount_type: str | int
    discount_value: int
    discount_upto: int
    discount_on: str
    code_source: str | int
    random_code_length: int
    alpha_numeric: bool
    code_prefix: str
    code_suffix: str
    generic_code: str
    valid_till: datetime
    coupon_validity: str | int
    fixed_expiry_date: datetime
    valid_days_after_issue: int
    max_create: int
    is_multiple_vouchers_per_user_allowed: bool
    max_vouchers_per_user: int
    do_not_resend_existing_voucher: bool
    externally_managed: bool
    redemption_valid_after_days: int
    custom_property_map: Mapping[str, str]
    max_redemptions_per_coupon: int
    max_redemptions_per_customer: int
    max_redemptions: int


class CustomerChanges(TypedDict, total=False):
    """The fields `update_customer` changes; an identifier set to "" is removed."""

    first_name: str
    last_name: str
    mobile: str
    email: str
    external_id: str


class CustomerFields(CustomerChanges, total=False):
    """The fields of a new customer, as keyword arguments of `create_customer`."""

    id: int
