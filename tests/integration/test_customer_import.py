"""import_or_update_customers against real SQLite and PostgreSQL: a record finds its customer by
any identifier and updates it, never makes a second one; importing again changes nothing; a
record naming two customers, or an invalid one, is rejected alone."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from coupon_service.adapters.tables import customers
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import InvalidRequest
from coupon_service.domain.model import Customer, CustomerRef, IdentifierType
from coupon_service.service.customer_import import (
    IMPORT_CHUNK,
    CustomerRecord,
    ImportAction,
    find_for_import,
    import_changes,
    import_or_update_customers,
    match_for_import,
)
from coupon_service.service.customers import get_customer
from tests.factories import a_customer, unique_mobile

EPOCH = datetime.fromtimestamp(0, UTC)
CREATED, UPDATED, UNCHANGED, REJECTED = (
    ImportAction.CREATED,
    ImportAction.UPDATED,
    ImportAction.UNCHANGED,
    ImportAction.REJECTED,
)


def _email() -> str:
    return f"import-{uuid.uuid4().hex[:12]}@example.org"


async def _count(uow: SqlUnitOfWork, org_id: int) -> int:
    async with uow.engine.connect() as connection:
        query = select(func.count()).select_from(customers).where(customers.c.org_id == org_id)
        return int((await connection.execute(query)).scalar_one())


async def test_importing_the_same_records_twice_creates_them_once(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    records = [
        CustomerRecord(mobile=unique_mobile(), first_name="Ann"),
        CustomerRecord(email=_email(), last_name="Bee"),
        CustomerRecord(external_id=f"ext-{uuid.uuid4().hex[:8]}", first_name="Cy"),
    ]

    first = await import_or_update_customers(uow, org_id, records)
    again = await import_or_update_customers(uow, org_id, records)

    assert [outcome.action for outcome in first] == [CREATED] * 3
    assert [outcome.action for outcome in again] == [UNCHANGED] * 3
    assert [o.customer_id for o in again] == [o.customer_id for o in first]
    assert await _count(uow, org_id) == 3


async def test_a_record_finds_its_customer_by_any_identifier_and_fills_it_in(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    email = _email()
    known = await a_customer(uow, org_id, mobile=None, email=email, first_name="Old")
    mobile = unique_mobile()

    [outcome] = await import_or_update_customers(
        uow, org_id, [CustomerRecord(mobile=mobile, email=email, first_name="New")]
    )

    assert (outcome.action, outcome.customer_id) == (UPDATED, known.id)
    found = await get_customer(uow, org_id, CustomerRef(IdentifierType.MOBILE, mobile))
    assert (found.id, found.email, found.first_name, found.last_name) == (
        known.id,
        email,
        "New",
        known.last_name,  # Not in the record: left as it was.
    )
    assert await _count(uow, org_id) == 1


async def test_a_record_naming_two_customers_is_rejected_and_the_others_go_on(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    one = await a_customer(uow, org_id)
    other = await a_customer(uow, org_id, mobile=None, email=_email())
    fine = CustomerRecord(mobile=unique_mobile())

    outcomes = await import_or_update_customers(
        uow,
        org_id,
        [CustomerRecord(mobile=one.mobile, email=other.email, first_name="Both"), fine],
    )

    assert [outcome.action for outcome in outcomes] == [REJECTED, CREATED]
    assert str(one.id) in outcomes[0].reason and str(other.id) in outcomes[0].reason
    unchanged = await get_customer(uow, org_id, CustomerRef(IdentifierType.ID, str(one.id)))
    assert unchanged.first_name == one.first_name


@pytest.mark.parametrize(
    "record",
    [
        CustomerRecord(first_name="Nobody"),
        CustomerRecord(mobile="12"),
        CustomerRecord(email="not-an-email"),
        CustomerRecord(mobile=unique_mobile(), first_name="x" * 101),
    ],
)
async def test_an_invalid_record_is_rejected_with_the_reason(
    uow: SqlUnitOfWork, org_id: int, record: CustomerRecord
) -> None:
    outcomes = await import_or_update_customers(
        uow, org_id, [record, CustomerRecord(email=_email())]
    )

    assert [outcome.action for outcome in outcomes] == [REJECTED, CREATED]
    assert outcomes[0].reason
    assert await _count(uow, org_id) == 1


async def test_records_past_one_chunk_are_all_imported_in_order(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    records = [CustomerRecord(mobile=unique_mobile()) for _ in range(IMPORT_CHUNK + 20)]
    records[IMPORT_CHUNK + 5] = CustomerRecord(mobile="bad")

    outcomes = await import_or_update_customers(uow, org_id, records)

    actions = [outcome.action for outcome in outcomes]
    assert actions.count(CREATED) == IMPORT_CHUNK + 19
    assert actions[IMPORT_CHUNK + 5] is REJECTED
    assert await _count(uow, org_id) == IMPORT_CHUNK + 19


def test_a_record_changes_only_what_it_gives_and_differs() -> None:
    record = CustomerRecord(mobile="447700900123", first_name="Ann", last_name=None)
    customer = dataclasses.replace(_a_customer(), mobile="447700900123", first_name="Ann")

    assert import_changes(record, customer) is None
    changed = import_changes(dataclasses.replace(record, email="ann@example.org"), customer)
    assert changed is not None
    assert dataclasses.asdict(changed) == {
        "first_name": None,
        "last_name": None,
        "mobile": None,
        "email": "ann@example.org",
        "external_id": None,
    }


def test_identifiers_finding_two_customers_are_refused() -> None:
    one, other = _a_customer(), dataclasses.replace(_a_customer(), id=8)
    record = CustomerRecord(mobile="447700900123", email="ann@example.org")

    assert match_for_import(record, {IdentifierType.MOBILE: one, IdentifierType.EMAIL: None}) is one
    assert match_for_import(record, {IdentifierType.MOBILE: one, IdentifierType.EMAIL: one}) is one
    with pytest.raises(InvalidRequest):
        match_for_import(record, {IdentifierType.MOBILE: one, IdentifierType.EMAIL: other})


def _a_customer() -> Customer:
    return Customer(7, "Old", "Name", None, None, None, EPOCH, EPOCH)


async def test_an_identifier_the_found_customer_holds_is_not_looked_up_again() -> None:
    held = dataclasses.replace(_a_customer(), mobile="447700900123", email="ann@example.org")
    asked: list[CustomerRef] = []

    async def find(ref: CustomerRef) -> Customer | None:
        asked.append(ref)
        return held if ref.type is IdentifierType.MOBILE else None

    same = CustomerRecord(mobile="447700900123", email="ann@example.org", external_id="e-1")
    found = await find_for_import(same, find)

    assert found == {
        IdentifierType.MOBILE: held,
        IdentifierType.EMAIL: held,  # Held by the customer the mobile found: not asked.
        IdentifierType.EXTERNAL_ID: None,
    }
    assert [ref.type for ref in asked] == [IdentifierType.MOBILE, IdentifierType.EXTERNAL_ID]
