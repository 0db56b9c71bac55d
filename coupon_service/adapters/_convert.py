"""Row <-> domain conversions shared by the repositories. The database keeps naive UTC."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, NamedTuple, overload

from sqlalchemy import Row

from ..domain.model import (
    ISSUANCE_FIELDS,
    CodeSource,
    Coupon,
    CouponValidity,
    Customer,
    DiscountType,
    IssuanceMetadata,
    Redemption,
    Series,
    SeriesPolicy,
)


def to_db(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None)


@overload
def from_db(moment: datetime) -> datetime: ...
@overload
def from_db(moment: None) -> None: ...
@overload
def from_db(moment: datetime | None) -> datetime | None: ...
def from_db(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def customer_from_row(row: Row[*tuple[Any, ...]]) -> Customer:
    return Customer(
        id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        mobile=row.mobile,
        email=row.email,
        external_id=row.external_id,
        created_at=from_db(row.created_at),
        updated_at=from_db(row.updated_at),
    )


def customer_values(customer: Customer) -> dict[str, Any]:
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "mobile": customer.mobile or None,
        "email": customer.email or None,
        "external_id": customer.external_id or None,
        "created_at": to_db(customer.created_at),
        "updated_at": to_db(customer.updated_at),
    }


def _same(value: Any) -> Any:
    return value


def _properties_text(properties: Mapping[str, str]) -> str:
    return json.dumps(dict(properties), sort_keys=True)


class _Column(NamedTuple):
    """How a SeriesPolicy attribute is kept in the series column of the same name."""

    stored: Callable[[Any], Any]
    read: Callable[[Any], Any]


_AS_IS = _Column(_same, _same)
_MOMENT = _Column(to_db, from_db)
_ENUM_VALUE = attrgetter("value")
# Every SeriesPolicy attribute, both ways; the ones not kept as they are say how.
_POLICY_COLUMNS = {field.name: _AS_IS for field in dataclasses.fields(SeriesPolicy)} | {
    "discount_type": _Column(_ENUM_VALUE, DiscountType),
    "code_source": _Column(_ENUM_VALUE, CodeSource),
    "coupon_validity": _Column(_ENUM_VALUE, CouponValidity),
    "valid_till": _MOMENT,
    "fixed_expiry_date": _MOMENT,
    "custom_properties": _Column(_properties_text, json.loads),
}


def policy_values(policy: SeriesPolicy) -> dict[str, Any]:
    return {name: column.stored(getattr(policy, name)) for name, column in _POLICY_COLUMNS.items()}


def series_from_row(row: Row[*tuple[Any, ...]]) -> Series:
    policy = SeriesPolicy(
        **{name: column.read(getattr(row, name)) for name, column in _POLICY_COLUMNS.items()}
    )
    return Series(
        id=row.id,
        policy=policy,
        num_issued=row.num_issued,
        num_uploaded=row.num_uploaded,
        latest_issued_at=from_db(row.latest_issued_at),
        created_at=from_db(row.created_at),
        num_redeemed=row.num_redeemed,
        latest_redeemed_at=from_db(row.latest_redeemed_at),
    )


def issuance_from_row(row: Row[*tuple[Any, ...]]) -> IssuanceMetadata:
    """A row holding the coupons table's issuance columns."""
    return IssuanceMetadata(
        **{field.attribute: getattr(row, field.attribute) for field in ISSUANCE_FIELDS}
    )


def coupon_from_row(row: Row[*tuple[Any, ...]]) -> Coupon:
    """A coupon row joined with its series' redemption limits (see coupon_repository)."""
    limits = SeriesPolicy(
        code_source=CodeSource(row.code_source),
        max_redemptions_per_coupon=row.max_redemptions_per_coupon,
        max_redemptions_per_customer=row.max_redemptions_per_customer,
    )
    return Coupon(
        id=row.id,
        code=row.code,
        series_id=row.series_id,
        customer_id=row.customer_id,
        issued_at=from_db(row.issued_at),
        valid_till=from_db(row.valid_till),
        redemption_count=row.redemption_count,
        metadata=issuance_from_row(row),
        request_id=row.request_id,
        uses_allowed=limits.uses_per_coupon,
        latest_redeemed_at=from_db(row.latest_redeemed_at),
        revoked_at=from_db(row.revoked_at),
        revoke_reason=row.revoke_reason,
    )


def redemption_from_row(row: Row[*tuple[Any, ...]]) -> Redemption:
    return Redemption(
        id=row.id,
        coupon_id=row.coupon_id,
        code=row.code,
        series_id=row.series_id,
        customer_id=row.customer_id,
        redeemed_at=from_db(row.redeemed_at),
        bill_number=row.bill_number,
        bill_amount=row.bill_amount,
        reversed_at=from_db(row.reversed_at),
        request_id=row.request_id,
    )
