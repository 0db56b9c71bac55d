"""Builders for test data with unique identifiers, through the real use cases."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, datetime

from coupon_service.domain.model import Customer, CustomerRef, IdentifierType, Series, SeriesPolicy
from coupon_service.service.customers import create_customer
from coupon_service.service.series import create_series, upload_codes
from coupon_service.service.unit_of_work import UnitOfWork

_mobiles = itertools.count(int(uuid.uuid4().int % 10**8) * 1000)
EPOCH = datetime.fromtimestamp(0, UTC)


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
