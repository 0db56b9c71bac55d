"""The organisation use cases (service/orgs.py) over the in-memory unit of work."""

from __future__ import annotations

import pytest

from coupon_service.domain.errors import AlreadyExists, ErrorCode, InvalidRequest
from coupon_service.service.orgs import create_org, ensure_org
from tests.fakes import FakeDatabase, FakeUnitOfWork


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def uow(db: FakeDatabase) -> FakeUnitOfWork:
    return FakeUnitOfWork(db, transactions=True)


async def test_ensure_org_creates_an_org_on_first_use_and_finds_it_after(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    acme = await ensure_org(uow, "acme")
    again = await ensure_org(uow, "acme")
    other = await ensure_org(uow, "globex")

    assert acme == again != other
    assert db.tables.orgs == {"acme": acme, "globex": other}


async def test_create_org_refuses_a_name_already_taken(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    acme = await create_org(uow, "acme")

    with pytest.raises(AlreadyExists) as refused:
        await create_org(uow, "acme")

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "org")
    assert refused.value.message == "an organisation called 'acme' already exists"
    assert db.tables.orgs == {"acme": acme}
    assert await ensure_org(uow, "acme") == acme


async def test_names_differing_in_case_are_two_orgs(uow: FakeUnitOfWork) -> None:
    assert await create_org(uow, "acme") != await create_org(uow, "ACME")


@pytest.mark.parametrize("name", ["", "x" * 65, "line\nbreak", "tab\there"])
async def test_a_name_that_is_empty_too_long_or_unprintable_is_refused(
    db: FakeDatabase, uow: FakeUnitOfWork, name: str
) -> None:
    for use_case in (create_org, ensure_org):
        with pytest.raises(InvalidRequest) as refused:
            await use_case(uow, name)

        assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "org")
    assert db.tables.orgs == {} and db.commits == 0


async def test_a_name_of_64_characters_is_accepted(db: FakeDatabase, uow: FakeUnitOfWork) -> None:
    name = "é" * 64

    org_id = await create_org(uow, name)

    assert db.tables.orgs == {name: org_id}
