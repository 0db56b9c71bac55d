"""Customers of one organisation, found by id, mobile, email or external id."""

from __future__ import annotations

from sqlalchemy import ScalarSelect, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Customer, CustomerRef, IdentifierType
from ..service.unit_of_work import IdentifierTaken
from ._convert import customer_from_row, customer_values
from .tables import customers

_COLUMN_OF = {
    IdentifierType.ID: customers.c.id,
    IdentifierType.MOBILE: customers.c.mobile,
    IdentifierType.EMAIL: customers.c.email,
    IdentifierType.EXTERNAL_ID: customers.c.external_id,
}
_FIND = {
    kind: select(customers).where(
        customers.c.org_id == bindparam("org_id"), column == bindparam("value")
    )
    for kind, column in _COLUMN_OF.items()
}


# A new customer without a chosen id gets the org's highest id plus one; a concurrent create may
# take the same one first, so it tries again.
_ID_ATTEMPTS = 5


def _next_id(org_id: int) -> ScalarSelect[int]:
    return (
        select(func.coalesce(func.max(customers.c.id), 0) + 1)
        .where(customers.c.org_id == org_id)
        .scalar_subquery()
    )


def _taken_field(error: IntegrityError) -> str:
    text = str(error.orig).lower()
    for field in ("mobile", "email", "external_id"):
        if field in text:
            return "externalId" if field == "external_id" else field
    return "id"


class SqlCustomerRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def find(self, org_id: int, ref: CustomerRef) -> Customer | None:
        value = ref.lookup_value()
        if value is None:
            return None
        result = await self._connection.execute(_FIND[ref.type], {"org_id": org_id, "value": value})
        row = result.first()
        return None if row is None else customer_from_row(row)

    async def add(self, org_id: int, customer: Customer) -> Customer:
        values = customer_values(customer) | {"org_id": org_id}
        for _ in range(_ID_ATTEMPTS):
            values["id"] = customer.id or _next_id(org_id)
            try:
                async with self._connection.begin_nested():
                    result = await self._connection.execute(
                        insert(customers).values(values).returning(customers)
                    )
                return customer_from_row(result.one())
            except IntegrityError as error:
                field = _taken_field(error)
                if customer.id or field != "id":
                    raise IdentifierTaken(field) from None
        raise IdentifierTaken("id")  # Concurrent creates kept taking the next free id.

    async def update(self, org_id: int, customer: Customer) -> Customer:
        values = customer_values(customer)
        values.pop("created_at")
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(
                    update(customers)
                    .where(customers.c.org_id == org_id, customers.c.id == customer.id)
                    .values(values)
                    .returning(customers)
                )
        except IntegrityError as error:
            raise IdentifierTaken(_taken_field(error)) from None
        return customer_from_row(result.one())
