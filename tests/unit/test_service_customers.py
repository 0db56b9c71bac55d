"""The customer use cases (service/customers.py, customer_import.py) over the in-memory unit of
work: what they store, what they refuse before any transaction, and how they page a customer's
coupons."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from coupon_service.domain.errors import (
    AlreadyExists,
    ErrorCode,
    InvalidRequest,
    NotFound,
)
from coupon_service.domain.model import (
    MAX_CHOSEN_ID,
    CodeSource,
    Customer,
    CustomerRef,
    IdentifierType,
    IssuanceMetadata,
)
from coupon_service.service import customer_import
from coupon_service.service.customer_import import (
    CustomerRecord,
    ImportAction,
    import_customers,
    import_or_update_customers,
)
from coupon_service.service.customers import (
    CustomerChanges,
    create_customer,
    get_customer,
    list_customer_coupons,
    update_customer,
)
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.unit_of_work import StoreUnavailable
from tests.fakes import EPOCH, FakeDatabase, FakeUnitOfWork

ORG, OTHER_ORG = 7, 8
CREATED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)  # Before the real clock: updates are later.
ISSUED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def uow(db: FakeDatabase) -> FakeUnitOfWork:
    return FakeUnitOfWork(db, transactions=True)


def person(**fields: object) -> Customer:
    """A new customer with no identifier but those given; the use case stamps its times."""
    values: dict[str, object] = {
        "id": 0,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "mobile": None,
        "email": None,
        "external_id": None,
        "created_at": EPOCH,
        "updated_at": EPOCH,
    }
    return Customer(**(values | fields))  # type: ignore[arg-type]


def by_mobile(mobile: str) -> CustomerRef:
    return CustomerRef(IdentifierType.MOBILE, mobile)


def by_id(customer_id: int) -> CustomerRef:
    return CustomerRef(IdentifierType.ID, str(customer_id))


def stored(db: FakeDatabase, org_id: int = ORG) -> dict[int, Customer]:
    return {i: c for (org, i), c in db.tables.customers.items() if org == org_id}


# --- create and look up ---------------------------------------------------------------------


async def test_a_created_customer_is_stored_stamped_and_found_by_each_identifier(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    new = person(mobile="447700900001", email="ada@example.com", external_id="crm-1")

    created = await create_customer(uow, ORG, new, now=CREATED)

    assert created.id == 1  # The org's first: its highest id plus one.
    assert (created.created_at, created.updated_at) == (CREATED, CREATED)
    assert stored(db) == {1: created}
    for ref in (
        by_id(1),
        by_mobile("447700900001"),
        CustomerRef(IdentifierType.EMAIL, "ada@example.com"),
        CustomerRef(IdentifierType.EXTERNAL_ID, "crm-1"),
    ):
        assert await get_customer(uow, ORG, ref) == created


async def test_a_chosen_id_is_kept_and_the_next_new_customer_follows_it(
    uow: FakeUnitOfWork,
) -> None:
    chosen = await create_customer(uow, ORG, person(id=777, mobile="447700900777"))
    following = await create_customer(uow, ORG, person(mobile="447700900778"))

    assert (chosen.id, following.id) == (777, 778)


async def test_another_organisations_customer_is_not_found(uow: FakeUnitOfWork) -> None:
    await create_customer(uow, ORG, person(mobile="447700900002"))

    with pytest.raises(NotFound) as missing:
        await get_customer(uow, OTHER_ORG, by_mobile("447700900002"))

    assert missing.value.code is ErrorCode.CUSTOMER_NOT_FOUND


async def test_an_org_may_reuse_another_orgs_identifiers_and_ids(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    mine = await create_customer(uow, ORG, person(id=5, mobile="447700900003"))
    theirs = await create_customer(uow, OTHER_ORG, person(id=5, mobile="447700900003"))

    assert mine.id == theirs.id == 5
    assert stored(db, ORG) == {5: mine} and stored(db, OTHER_ORG) == {5: theirs}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"first_name": "No identifier"}, "customer", id="no-identifier"),
        pytest.param({"mobile": "12ab"}, "mobile", id="bad-mobile"),
        pytest.param({"email": "not-an-email"}, "email", id="bad-email"),
        pytest.param({"external_id": "has space"}, "externalId", id="bad-external-id"),
        pytest.param({"mobile": "447700900004", "first_name": "x" * 101}, "firstName", id="long"),
        pytest.param({"mobile": "447700900005", "id": MAX_CHOSEN_ID + 1}, "id", id="id-too-big"),
        pytest.param({"mobile": "447700900006", "last_name": "a\x00b"}, "lastName", id="nul"),
    ],
)
async def test_an_invalid_customer_is_refused_before_any_transaction(
    db: FakeDatabase, uow: FakeUnitOfWork, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await create_customer(uow, ORG, person(**fields))

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert db.commits == db.rollbacks == 0
    assert stored(db) == {}


@pytest.mark.parametrize(
    ("taken", "field"),
    [
        pytest.param({"mobile": "447700900010"}, "mobile", id="mobile"),
        pytest.param({"email": "first@example.com"}, "email", id="email"),
        pytest.param({"external_id": "crm-10"}, "externalId", id="externalId"),
        pytest.param({"id": 1, "mobile": "447700900011"}, "id", id="id"),
    ],
)
async def test_a_taken_identifier_is_already_exists_and_writes_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork, taken: dict[str, object], field: str
) -> None:
    first = await create_customer(
        uow, ORG, person(mobile="447700900010", email="first@example.com", external_id="crm-10")
    )

    with pytest.raises(AlreadyExists) as refused:
        await create_customer(uow, ORG, person(**taken))

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert refused.value.message == (
        f"another customer of the organisation already has this {field}"
    )
    assert stored(db) == {first.id: first}
    assert db.rollbacks == 1


@pytest.mark.parametrize("ref", [None, CustomerRef(IdentifierType.MOBILE, "   ")])
async def test_get_customer_without_an_identifier_is_756(
    uow: FakeUnitOfWork, ref: CustomerRef | None
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await get_customer(uow, ORG, ref)

    assert (refused.value.code, refused.value.field) == (ErrorCode.MANDATORY_FIELD, "customer")


async def test_an_id_no_customer_can_have_finds_nobody(uow: FakeUnitOfWork) -> None:
    await create_customer(uow, ORG, person(mobile="447700900012"))

    for impossible in ("x1", "1.0", str(2**63)):
        with pytest.raises(NotFound):
            await get_customer(uow, ORG, CustomerRef(IdentifierType.ID, impossible))


# --- update -----------------------------------------------------------------------------------


async def test_an_update_changes_only_what_is_set_and_an_empty_identifier_is_removed(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    created = await create_customer(
        uow, ORG, person(mobile="447700900020", email="ada2@example.com"), now=CREATED
    )

    updated = await update_customer(
        uow, ORG, created.id, CustomerChanges(first_name="Augusta", email="")
    )

    assert (updated.first_name, updated.last_name) == ("Augusta", "Lovelace")
    assert (updated.mobile, updated.email) == ("447700900020", None)
    assert updated.created_at == CREATED < updated.updated_at
    assert stored(db) == {created.id: updated}
    # The removed email is free for another customer now.
    other = await create_customer(uow, ORG, person(email="ada2@example.com"))
    assert other.id != created.id


async def test_an_update_removing_the_last_identifier_is_refused(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    created = await create_customer(uow, ORG, person(mobile="447700900021"))

    with pytest.raises(InvalidRequest) as refused:
        await update_customer(uow, ORG, created.id, CustomerChanges(mobile=""))

    assert refused.value.field == "customer"
    assert stored(db) == {created.id: created}


async def test_an_update_to_a_taken_mobile_is_already_exists_and_changes_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    first = await create_customer(uow, ORG, person(mobile="447700900022"))
    second = await create_customer(uow, ORG, person(mobile="447700900023"))

    with pytest.raises(AlreadyExists) as refused:
        await update_customer(uow, ORG, second.id, CustomerChanges(mobile="447700900022"))

    assert refused.value.field == "mobile"
    assert stored(db) == {first.id: first, second.id: second}


@pytest.mark.parametrize("customer_id", [999, 0, -1])
async def test_an_update_of_an_unknown_customer_is_701(
    uow: FakeUnitOfWork, customer_id: int
) -> None:
    await create_customer(uow, OTHER_ORG, person(id=999, mobile="447700900024"))

    with pytest.raises(NotFound) as missing:
        await update_customer(uow, ORG, customer_id, CustomerChanges(first_name="X"))

    assert missing.value.code is ErrorCode.CUSTOMER_NOT_FOUND


# --- imports ----------------------------------------------------------------------------------


async def test_import_customers_creates_the_mobiles_the_org_does_not_know_in_one_transaction(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    known = await create_customer(uow, ORG, person(mobile="447700900030", first_name="Known"))
    commits = db.commits
    listed = [
        person(mobile="447700900030", first_name="Again"),
        person(mobile="447700900031"),
        person(mobile="447700900032"),
    ]

    created = await import_customers(uow, ORG, listed, now=CREATED)
    again = await import_customers(uow, ORG, listed, now=CREATED)

    assert (created, again) == (2, 0)
    assert db.commits == commits + 2
    mobiles = {c.mobile: c for c in stored(db).values()}
    assert set(mobiles) == {"447700900030", "447700900031", "447700900032"}
    assert mobiles["447700900030"] == known  # Not overwritten by the list's "Again".
    assert mobiles["447700900031"].created_at == CREATED


async def test_an_import_that_takes_an_identifier_creates_none_of_its_customers(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    await create_customer(uow, ORG, person(email="taken@example.com"))
    before = stored(db)

    with pytest.raises(AlreadyExists) as refused:
        await import_customers(
            uow,
            ORG,
            [
                person(mobile="447700900033"),
                person(mobile="447700900034", email="taken@example.com"),
            ],
        )

    assert refused.value.field == "email"
    assert stored(db) == before


async def test_an_invalid_customer_in_an_import_refuses_the_whole_list_up_front(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidRequest):
        await import_customers(uow, ORG, [person(mobile="447700900035"), person(mobile="12ab")])

    assert stored(db) == {} and db.commits == 0


async def test_import_or_update_gives_one_outcome_per_record_in_order(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    ada = await create_customer(uow, ORG, person(mobile="447700900040", email="ada@example.com"))
    bob = await create_customer(uow, ORG, person(mobile="447700900041", first_name="Bob"))
    records = [
        CustomerRecord(mobile="447700900042", first_name="Cy"),
        CustomerRecord(email="ada@example.com", first_name="Augusta"),
        CustomerRecord(mobile="447700900041", first_name="Bob"),
        CustomerRecord(mobile="12ab"),
        CustomerRecord(mobile="447700900041", email="ada@example.com"),
        CustomerRecord(mobile="447700900040", email="nobody@example.com", external_id="x-1"),
    ]

    outcomes = await import_or_update_customers(uow, ORG, records, now=CREATED)

    assert [o.action for o in outcomes] == [
        ImportAction.CREATED,
        ImportAction.UPDATED,
        ImportAction.UNCHANGED,
        ImportAction.REJECTED,
        ImportAction.REJECTED,
        ImportAction.UPDATED,
    ]
    created_id = outcomes[0].customer_id
    assert [o.customer_id for o in outcomes] == [created_id, ada.id, bob.id, 0, 0, ada.id]
    assert outcomes[3].reason == "mobile is not valid"
    assert outcomes[4].reason == (
        f"the record names two customers: its mobile is customer {bob.id},"
        f" its email is customer {ada.id}"
    )
    now_stored = stored(db)
    assert now_stored[created_id].first_name == "Cy"
    assert now_stored[created_id].created_at == CREATED
    changed = now_stored[ada.id]
    assert (changed.first_name, changed.mobile) == ("Augusta", "447700900040")
    assert (changed.email, changed.external_id) == ("nobody@example.com", "x-1")
    assert (changed.created_at, changed.updated_at) == (ada.created_at, CREATED)
    assert now_stored[bob.id] == bob
    assert len(now_stored) == 3


async def test_import_or_update_of_the_same_records_again_changes_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    records = [
        CustomerRecord(mobile="447700900050", email="e50@example.com", first_name="Ed"),
        CustomerRecord(external_id="crm-51", last_name="Ng"),
    ]
    first = await import_or_update_customers(uow, ORG, records, now=CREATED)
    after_first = stored(db)

    again = await import_or_update_customers(uow, ORG, records, now=ISSUED)

    assert [o.action for o in first] == [ImportAction.CREATED] * 2
    assert [o.action for o in again] == [ImportAction.UNCHANGED] * 2
    assert [o.customer_id for o in again] == [o.customer_id for o in first]
    assert stored(db) == after_first


async def test_import_or_update_commits_a_transaction_per_chunk_of_records(
    db: FakeDatabase, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_import, "IMPORT_CHUNK", 2)
    records = [CustomerRecord(mobile=f"4477009006{n:02d}") for n in range(5)]
    db.fail("commit", skip=1)  # The second chunk's transaction cannot commit.

    with pytest.raises(StoreUnavailable):
        await import_or_update_customers(uow, ORG, records, now=CREATED)

    # The first chunk stays committed; the second left nothing; the third never started.
    assert sorted(c.mobile or "" for c in stored(db).values()) == ["447700900600", "447700900601"]
    assert (db.commits, db.rollbacks) == (1, 1)
    outcomes = await import_or_update_customers(uow, ORG, records, now=CREATED)
    assert [o.action for o in outcomes] == [ImportAction.UNCHANGED] * 2 + [ImportAction.CREATED] * 3
    assert db.commits == 4


# --- a customer's coupons ---------------------------------------------------------------------


async def issued(
    uow: FakeUnitOfWork, series_id: int, mobile: str, count: int, **metadata: str
) -> list[int]:
    request = IssueRequest(
        [series_id], count, by_mobile(mobile), metadata=IssuanceMetadata(**metadata)
    )
    result = await issue_multiple(uow, ORG, request, now=ISSUED)
    return [coupon.id for outcome in result.outcomes for coupon in outcome.coupons]


async def test_a_customers_coupons_are_listed_page_by_page_in_id_order(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    first, second = db.add_series(ORG), db.add_series(ORG)
    ada, bob = db.add_customer(ORG), db.add_customer(ORG)
    mobile = ada.mobile or ""
    mine = await issued(uow, first.id, mobile, 3, source_type="POS")
    await issued(uow, first.id, bob.mobile or "", 2)
    mine += await issued(uow, second.id, mobile, 2)

    walked, token, pages = [], "", 0
    while True:
        page = await list_customer_coupons(uow, ORG, by_mobile(mobile), None, 2, token)
        walked += page.items
        token, pages = page.next_page_token, pages + 1
        if not token:
            break

    assert [c.id for c in walked] == mine == sorted(mine)
    assert pages == 3
    assert {c.customer_id for c in walked} == {ada.id}
    assert [c.series_id for c in walked] == [first.id] * 3 + [second.id] * 2
    assert {c.metadata.source_type for c in walked[:3]} == {"POS"}
    assert walked[3].metadata == IssuanceMetadata()
    assert all(c.issued_at == ISSUED and c.redemption_count == 0 for c in walked)


async def test_a_customers_coupons_filtered_by_series_leave_pool_codes_out(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    pool = db.add_series(ORG, code_source=CodeSource.UPLOADED)
    db.upload(ORG, pool.id, ["POOL-1", "POOL-2", "POOL-3"])
    other = db.add_series(ORG)
    ada = db.add_customer(ORG)
    from_pool = await issued(uow, pool.id, ada.mobile or "", 2)
    await issued(uow, other.id, ada.mobile or "", 1)

    page = await list_customer_coupons(uow, ORG, by_id(ada.id), pool.id, 0, "")

    assert [c.id for c in page.items] == from_pool
    assert sorted(c.code for c in page.items) == ["POOL-1", "POOL-2"]
    assert page.next_page_token == ""


async def test_a_customer_without_coupons_lists_none(db: FakeDatabase, uow: FakeUnitOfWork) -> None:
    ada = db.add_customer(ORG)

    page = await list_customer_coupons(uow, ORG, by_id(ada.id), None, 0, "")

    assert (page.items, page.next_page_token) == ([], "")


async def test_listing_the_coupons_of_an_unknown_customer_is_701(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound) as missing:
        await list_customer_coupons(uow, ORG, by_mobile("19999999999"), None, 0, "")

    assert missing.value.code is ErrorCode.CUSTOMER_NOT_FOUND


@pytest.mark.parametrize(
    ("series_id", "page_size", "page_token", "field"),
    [
        pytest.param(-1, 0, "", "seriesId", id="negative-series"),
        pytest.param(None, 1001, "", "pageSize", id="page-over-1000"),
        pytest.param(None, -1, "", "pageSize", id="negative-page"),
        pytest.param(None, 0, "%%%", "pageToken", id="bad-token"),
    ],
)
async def test_bad_listing_arguments_are_629_before_any_transaction(
    db: FakeDatabase,
    uow: FakeUnitOfWork,
    series_id: int | None,
    page_size: int,
    page_token: str,
    field: str,
) -> None:
    ada = db.add_customer(ORG)
    commits = db.commits

    with pytest.raises(InvalidRequest) as refused:
        await list_customer_coupons(uow, ORG, by_id(ada.id), series_id, page_size, page_token)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert (db.commits, db.rollbacks) == (commits, 0)


def test_a_customer_record_names_each_identifier_it_gives() -> None:
    record = CustomerRecord(mobile="447700900070", external_id="crm-70", first_name="Flo")

    assert record.refs() == [
        by_mobile("447700900070"),
        CustomerRef(IdentifierType.EXTERNAL_ID, "crm-70"),
    ]
    assert dataclasses.replace(record, mobile="").refs() == [
        CustomerRef(IdentifierType.EXTERNAL_ID, "crm-70")
    ]
