"""Row <-> domain conversions shared by the repositories. The database keeps naive UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Row

from ..domain.model import (
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


def policy_values(policy: SeriesPolicy) -> dict[str, Any]:
    return {
        "description": policy.description,
        "discount_code": policy.discount_code,
        "info": policy.info,
        "discount_type": policy.discount_type.value,
        "discount_value": policy.discount_value,
        "discount_upto": policy.discount_upto,
        "discount_on": policy.discount_on,
        "code_source": policy.code_source.value,
        "random_code_length": policy.random_code_length,
        "alpha_numeric": policy.alpha_numeric,
        "code_prefix": policy.code_prefix,
        "code_suffix": policy.code_suffix,
        "generic_code": policy.generic_code,
        "valid_till": to_db(policy.valid_till),
        "coupon_validity": policy.coupon_validity.value,
        "fixed_expiry_date": to_db(policy.fixed_expiry_date),
        "valid_days_after_issue": policy.valid_days_after_issue,
        "max_create": policy.max_create,
        "multiple_per_user_allowed": policy.multiple_per_user_allowed,
        "max_vouchers_per_user": policy.max_vouchers_per_user,
        "do_not_resend_existing": policy.do_not_resend_existing_voucher,
        "externally_managed": policy.externally_managed,
        "redemption_valid_after_days": policy.redemption_valid_after_days,
        "custom_properties": json.dumps(dict(policy.custom_properties), sort_keys=True),
        "max_redemptions_per_coupon": policy.max_redemptions_per_coupon,
        "max_redemptions_per_customer": policy.max_redemptions_per_customer,
        "max_redemptions": policy.max_redemptions,
    }


def series_from_row(row: Row[*tuple[Any, ...]]) -> Series:
    policy = SeriesPolicy(
        description=row.description,
        discount_code=row.discount_code,
        info=row.info,
        discount_type=DiscountType(row.discount_type),
        discount_value=row.discount_value,
        discount_upto=row.discount_upto,
        discount_on=row.discount_on,
        code_source=CodeSource(row.code_source),
        random_code_length=row.random_code_length,
        alpha_numeric=row.alpha_numeric,
        code_prefix=row.code_prefix,
        code_suffix=row.code_suffix,
        generic_code=row.generic_code,
        valid_till=from_db(row.valid_till),
        coupon_validity=CouponValidity(row.coupon_validity),
        fixed_expiry_date=from_db(row.fixed_expiry_date),
        valid_days_after_issue=row.valid_days_after_issue,
        max_create=row.max_create,
        multiple_per_user_allowed=row.multiple_per_user_allowed,
        max_vouchers_per_user=row.max_vouchers_per_user,
        do_not_resend_existing_voucher=row.do_not_resend_existing,
        externally_managed=row.externally_managed,
        redemption_valid_after_days=row.redemption_valid_after_days,
        custom_properties=json.loads(row.custom_properties),
        max_redemptions_per_coupon=row.max_redemptions_per_coupon,
        max_redemptions_per_customer=row.max_redemptions_per_customer,
        max_redemptions=row.max_redemptions,
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
    """A row holding the coupons table's five issuance columns."""
    return IssuanceMetadata(
        source_type=row.source_type,
        source_id=row.source_id,
        source_activity=row.source_activity,
        notes=row.notes,
        reason=row.reason,
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
