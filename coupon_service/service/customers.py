"""Use cases for customers: create, update, look up, and list the coupons they hold (imports:
customer_import.py)."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from ..domain import validation
from ..domain.errors import (
    AlreadyExists,
    ErrorCode,
    customer_not_found,
    invalid_input,
)
from ..domain.model import Coupon, Customer, CustomerRef, IdentifierType
from .clock import utcnow
from .paging import Page, page_after, page_size_or_default, read_page_token
from .unit_of_work import IdentifierTaken, Transaction, UnitOfWork

_MOBILE = re.compile(r"^\+?[0-9]{6,20}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
_EXTERNAL_ID = re.compile(r"^\S{1,64}$")
_MAX_NAME = 100


@dataclasses.dataclass(frozen=True)
class CustomerChanges:
    """Fields to change; None leaves a field as it is, "" removes an identifier."""

    first_name: str | None = None
    last_name: str | None = None
    mobile: str | None = None
    email: str | None = None
    external_id: str | None = None


def check_customer_fields(customer: Customer) -> None:
    """Refuses a customer with a malformed name or identifier, or with no identifier at all."""
    for field, text in (
        ("firstName", customer.first_name),
        ("lastName", customer.last_name),
        ("mobile", customer.mobile or ""),
        ("email", customer.email or ""),
        ("externalId", customer.external_id or ""),
    ):
        validation.check_printable(field, text)
    if len(customer.first_name) > _MAX_NAME or len(customer.last_name) > _MAX_NAME:
        raise invalid_input("firstName", f"names take at most {_MAX_NAME} characters")
    if not (customer.mobile or customer.email or customer.external_id):
        raise invalid_input("customer", "a customer needs a mobile, an email or an externalId")
    checks = (
        ("mobile", customer.mobile, _MOBILE),
        ("email", customer.email, _EMAIL),
        ("externalId", customer.external_id, _EXTERNAL_ID),
    )
    for field, value, pattern in checks:
        if value and not pattern.match(value):
            raise invalid_input(field, f"{field} is not valid")


async def find_customer(tx: Transaction, org_id: int, ref: CustomerRef) -> Customer:
    """The org's customer `ref` names; 701 when there is none."""
    customer = await tx.customers.find(org_id, ref)
    if customer is None:
        raise customer_not_found()
    return customer


async def create_customer(
    uow: UnitOfWork, org_id: int, customer: Customer, *, now: datetime | None = None
) -> Customer:
    validation.check_chosen_id("id", customer.id)
    stamp = now or utcnow()
    customer = dataclasses.replace(customer, created_at=stamp, updated_at=stamp)
    check_customer_fields(customer)
    try:
        async with uow.transaction() as tx:
            return await tx.customers.add(org_id, customer)
    except IdentifierTaken as taken:
        raise identifier_taken(taken) from None


async def update_customer(
    uow: UnitOfWork, org_id: int, customer_id: int, changes: CustomerChanges
) -> Customer:
    try:
        async with uow.transaction() as tx:
            found = await find_customer(
                tx, org_id, CustomerRef(IdentifierType.ID, str(customer_id))
            )
            values = {k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
            for identifier in ("mobile", "email", "external_id"):
                if values.get(identifier) == "":
                    values[identifier] = None
            updated = dataclasses.replace(found, **values, updated_at=utcnow())
            check_customer_fields(updated)
            return await tx.customers.update(org_id, updated)
    except IdentifierTaken as taken:
        raise identifier_taken(taken) from None


async def get_customer(uow: UnitOfWork, org_id: int, ref: CustomerRef | None) -> Customer:
    ref = validation.check_customer(ref)
    async with uow.transaction() as tx:
        return await find_customer(tx, org_id, ref)


async def list_customer_coupons(
    uow: UnitOfWork,
    org_id: int,
    ref: CustomerRef | None,
    series_id: int | None,
    page_size: int,
    page_token: str,
) -> Page[Coupon]:
    ref = validation.check_customer(ref)
    if series_id is not None and not validation.is_possible_id(series_id):
        raise invalid_input("seriesId", "Invalid input: seriesId must be a positive id")
    after_id, limit = read_page_token(page_token), page_size_or_default(page_size)
    async with uow.transaction() as tx:
        customer = await find_customer(tx, org_id, ref)
        found = await tx.coupons.of_customer(org_id, customer.id, series_id, after_id, limit + 1)
    return page_after(found, limit, key=lambda coupon: coupon.id)


def identifier_taken(taken: IdentifierTaken) -> AlreadyExists:
    """The refusal of a customer whose identifier another customer of the org holds."""
    return AlreadyExists(
        ErrorCode.INVALID_INPUT,
        f"another customer of the organisation already has this {taken.field}",
        field=taken.field,
    )
