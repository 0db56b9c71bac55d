"""Builders for test data with unique identifiers, through the real use cases."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, datetime

from coupon_service.domain.model import (
    CodeSource,
    CouponValidity,
    Customer,
    CustomerRef,
    DiscountType,
    IdentifierType,
    Series,
    SeriesPolicy,
)
from coupon_service.service.customers import create_customer
from coupon_service.service.series import create_series, upload_codes
from coupon_service.service.unit_of_work import UnitOfWork

_mobiles = itertools.count(int(uuid.uuid4().int % 10**8) * 1000)
EPOCH = datetime.fromtimestamp(0, UTC)
# Every SeriesPolicy field away from its default, moments at whole seconds (as the wire keeps
# them): a conversion that drops or swaps a field cannot give this policy back.
EVERY_FIELD_CHOSEN = SeriesPolicy(
    description="every field",
    discount_code="DC-1",
    info="info",
    discount_type=DiscountType.PERC,
    discount_value=15,
    discount_upto=300,
    discount_on="ITEM",
    code_source=CodeSource.UPLOADED,
    random_code_length=12,
    alpha_numeric=True,
    code_prefix="PRE",
    code_suffix="SUF",
    generic_code="SHARED",
    valid_till=datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC),
    coupon_validity=CouponValidity.FIXED_DATE,
    fixed_expiry_date=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
    valid_days_after_issue=7,
    max_create=0,
    multiple_per_user_allowed=True,
    max_vouchers_per_user=3,
    do_not_resend_existing=True,
    externally_managed=True,
    redemption_valid_after_days=2,
    custom_properties={"channel": "POS"},
    max_redemptions_per_coupon=4,
    max_redemptions_per_customer=5,
    max_redemptions=6,
)


def unique_mobile() -> str:
    return f"91{next(_mobiles):011d}"


async def a_customer(uow: UnitOfWork, org_id: int, **fields: object) -> Customer:
    customer = Customer(
        id=0,
        first_name="Test",
        last_name="Customer",
        mobile=unique_mobile(),
        email=None,
        external_id=None,
        created_at=EPOCH,
        updated_at=EPOCH,
    )
    return await create_customer(uow, org_id, dataclasses.replace(customer, **fields))  # type: ignore[arg-type]


def by_mobile(customer: Customer) -> CustomerRef:
    return CustomerRef(IdentifierType.MOBILE, customer.mobile or "")


async def a_series(
    uow: UnitOfWork, org_id: int, codes: list[str] | None = None, **policy: object
) -> Series:
    """A series with the given policy fields; `codes` uploads a pool to an UPLOADED series."""
    defaults: dict[str, object] = {"description": "test series", "multiple_per_user_allowed": True}
    series = await create_series(uow, org_id, None, SeriesPolicy(**(defaults | policy)))  # type: ignore[arg-type]
    if codes:
        await upload_codes(uow, org_id, series.id, codes)
    return series


def unique_codes(count: int) -> list[str]:
    prefix = uuid.uuid4().hex[:10].upper()
    return [f"{prefix}{number:05d}" for number in range(count)]
