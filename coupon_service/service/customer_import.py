"""Importing customers: the demo's list, and the operator's records, each created or matched to a
customer by any of its identifiers and updated, a chunk of records per transaction."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

from ..domain.errors import InvalidRequest, invalid_input
from ..domain.model import Customer, CustomerRef, IdentifierType
from .clock import utcnow
from .customers import CustomerChanges, check_customer_fields, identifier_taken
from .unit_of_work import IdentifierTaken, Transaction, UnitOfWork


async def import_customers(
    uow: UnitOfWork, org_id: int, new_customers: list[Customer], *, now: datetime | None = None
) -> int:
    """Creates, in one transaction, those customers whose mobile the org does not know yet.

    Returns how many were created. Loading the same list again creates nothing.
    """
    stamp = now or utcnow()
    stamped = [dataclasses.replace(c, created_at=stamp, updated_at=stamp) for c in new_customers]
    for customer in stamped:
        check_customer_fields(customer)
    created = 0
    try:
        async with uow.transaction() as tx:
            for customer in stamped:
                ref = CustomerRef(IdentifierType.MOBILE, customer.mobile or "")
                if customer.mobile and await tx.customers.find(org_id, ref) is not None:
                    continue
                await tx.customers.add(org_id, customer)
                created += 1
    except IdentifierTaken as taken:
        raise identifier_taken(taken) from None
    return created


@dataclasses.dataclass(frozen=True)
class CustomerRecord:
    """One customer to import: the values it gives; None (or "") leaves a field as it is."""

    mobile: str | None = None
    email: str | None = None
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def refs(self) -> list[CustomerRef]:
        """Its identifiers: each finds the customer it may already be."""
        given = (
            (IdentifierType.MOBILE, self.mobile),
            (IdentifierType.EMAIL, self.email),
            (IdentifierType.EXTERNAL_ID, self.external_id),
        )
        return [CustomerRef(kind, value) for kind, value in given if value]


class ImportAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclasses.dataclass(frozen=True)
class ImportOutcome:
    """What importing one record did: the customer it created or matched, or why it could not."""

    action: ImportAction
    customer_id: int = 0
    reason: str = ""


IMPORT_CHUNK = 500  # Records per transaction: short transactions, a few statements each.
_RECORD_FIELDS = ("mobile", "email", "external_id", "first_name", "last_name")


def check_record(record: CustomerRecord) -> None:
    """Refuses a record no customer could be made of, by the rules of check_customer_fields."""
    check_customer_fields(_customer_of(record, utcnow()))


_HELD_AS = {
    IdentifierType.MOBILE: "mobile",
    IdentifierType.EMAIL: "email",
    IdentifierType.EXTERNAL_ID: "external_id",
}


async def find_for_import(
    record: CustomerRecord, find: Callable[[CustomerRef], Awaitable[Customer | None]]
) -> dict[IdentifierType, Customer | None]:
    """The customer each of the record's identifiers finds, through `find`. An identifier that
    a customer found by an earlier one holds already is not looked up again: identifiers are
    unique, so it can find no other (re-importing a file costs one lookup per record)."""
    found: dict[IdentifierType, Customer | None] = {}
    for ref in record.refs():
        holder = next(
            (c for c in found.values() if c and getattr(c, _HELD_AS[ref.type]) == ref.value),
            None,
        )
        found[ref.type] = holder or await find(ref)
    return found


def match_for_import(
    record: CustomerRecord, found: Mapping[IdentifierType, Customer | None]
) -> Customer | None:
    """The one customer the record's identifiers found (`found`: by each of `record.refs()`),
    None when they found nobody. Identifiers finding two different customers are refused."""
    named = {kind: customer for kind, customer in found.items() if customer is not None}
    if len({customer.id for customer in named.values()}) > 1:
        which = ", ".join(f"its {kind.value} is customer {c.id}" for kind, c in named.items())
        raise invalid_input("customer", f"the record names two customers: {which}")
    return next(iter(named.values()), None)


def import_changes(record: CustomerRecord, customer: Customer) -> CustomerChanges | None:
    """What the record changes of `customer`; None when the customer holds every value given."""
    changes = {
        name: value
        for name in _RECORD_FIELDS
        if (value := getattr(record, name)) and value != getattr(customer, name)
    }
    return CustomerChanges(**changes) if changes else None


async def import_or_update_customers(
    uow: UnitOfWork,
    org_id: int,
    records: Sequence[CustomerRecord],
    *,
    now: datetime | None = None,
) -> list[ImportOutcome]:
    """Creates or updates one customer per record, IMPORT_CHUNK records per transaction; the
    outcomes are in the records' order.

    A record is matched to an existing customer by any of its identifiers and updates it, so
    importing the same records again creates nothing and changes nothing. A record that cannot
    be imported (invalid, or naming two customers) is rejected alone; the others go on.
    """
    outcomes: list[ImportOutcome] = []
    for start in range(0, len(records), IMPORT_CHUNK):
        stamp = now or utcnow()
        async with uow.transaction() as tx:
            for record in records[start : start + IMPORT_CHUNK]:
                outcomes.append(await _import_one(tx, org_id, record, stamp))
    return outcomes


async def _import_one(
    tx: Transaction, org_id: int, record: CustomerRecord, stamp: datetime
) -> ImportOutcome:
    try:
        check_record(record)
        found = await find_for_import(record, lambda ref: tx.customers.find(org_id, ref))
        existing = match_for_import(record, found)
        if existing is None:
            created = await tx.customers.add(org_id, _customer_of(record, stamp))
            return ImportOutcome(ImportAction.CREATED, created.id)
        changes = import_changes(record, existing)
        if changes is None:
            return ImportOutcome(ImportAction.UNCHANGED, existing.id)
        given = {k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
        updated = dataclasses.replace(existing, **given, updated_at=stamp)
        check_customer_fields(updated)
        await tx.customers.update(org_id, updated)
        return ImportOutcome(ImportAction.UPDATED, existing.id)
    except InvalidRequest as refused:
        return ImportOutcome(ImportAction.REJECTED, reason=refused.message)
    except IdentifierTaken as taken:  # Another writer took an identifier since it was looked up.
        return ImportOutcome(ImportAction.REJECTED, reason=identifier_taken(taken).message)


def _customer_of(record: CustomerRecord, stamp: datetime) -> Customer:
    return Customer(
        id=0,
        first_name=record.first_name or "",
        last_name=record.last_name or "",
        mobile=record.mobile,
        email=record.email,
        external_id=record.external_id,
        created_at=stamp,
        updated_at=stamp,
    )
