"""The issuing use cases (service/issuing.py) at their door, over the in-memory unit of work:
every refusal comes before a batch and writes nothing, and an accepted call stores its coupons
with the call's metadata, request id and time. How batches share a transaction is
tests/unit/test_issue_batch.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coupon_service.domain.errors import ErrorCode, InvalidRequest, NotFound
from coupon_service.domain.model import CustomerRef, IdentifierType, IssuanceMetadata
from coupon_service.service.issuing import (
    BulkIssueRequest,
    IssueRequest,
    bulk_issue,
    issue_multiple,
)
from tests.fakes import FakeDatabase, FakeUnitOfWork

ORG = 7
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MOBILE = "919900000001"
CUSTOMER = CustomerRef(IdentifierType.MOBILE, MOBILE)


@pytest.fixture
def db() -> FakeDatabase:
    database = FakeDatabase()
    database.add_series(ORG, 1)
    database.add_series(ORG, 2)
    database.add_customer(ORG, MOBILE)
    return database


@pytest.fixture
def uow(db: FakeDatabase) -> FakeUnitOfWork:
    return FakeUnitOfWork(db)


def assert_nothing_ran(db: FakeDatabase, uow: FakeUnitOfWork) -> None:
    assert not uow.started.is_set(), "a refused call reached a batch"
    assert db.commits == db.rollbacks == 0
    assert db.coupons(ORG) == [] and db.tables.requests == {}


@pytest.mark.parametrize(
    ("request_fields", "code", "field"),
    [
        pytest.param({"count": 0}, ErrorCode.MANDATORY_FIELD, "count", id="count-0"),
        pytest.param({"count": -1}, ErrorCode.MANDATORY_FIELD, "count", id="count-negative"),
        pytest.param({"count": 501}, ErrorCode.INVALID_COUNT, "count", id="count-501"),
        pytest.param({"series_ids": []}, ErrorCode.MANDATORY_FIELD, "seriesId", id="no-series"),
        pytest.param({"series_ids": [1, -2]}, ErrorCode.MANDATORY_FIELD, "seriesId", id="neg-id"),
        pytest.param(
            {"series_ids": list(range(1, 102))}, ErrorCode.INVALID_INPUT, "seriesId", id="101"
        ),
        pytest.param(
            {"series_ids": [1, 2, 3], "count": 400}, ErrorCode.INVALID_INPUT, "count", id="1200"
        ),
        pytest.param({"customer": None}, ErrorCode.MANDATORY_FIELD, "customer", id="no-customer"),
        pytest.param(
            {"customer": CustomerRef(IdentifierType.MOBILE, "  ")},
            ErrorCode.MANDATORY_FIELD,
            "customer",
            id="blank-customer",
        ),
        pytest.param(
            {"metadata": IssuanceMetadata(notes="n" * 251)},
            ErrorCode.INVALID_INPUT,
            "metadata.notes",
            id="long-notes",
        ),
        pytest.param(
            {"request_id": "r" * 129}, ErrorCode.INVALID_INPUT, "requestId", id="long-request-id"
        ),
    ],
)
async def test_issue_multiple_refuses_a_bad_request_before_any_batch(
    db: FakeDatabase,
    uow: FakeUnitOfWork,
    request_fields: dict[str, object],
    code: ErrorCode,
    field: str,
) -> None:
    values: dict[str, object] = {"series_ids": [1], "count": 1, "customer": CUSTOMER}
    request = IssueRequest(**(values | request_fields))  # type: ignore[arg-type]

    with pytest.raises(InvalidRequest) as refused:
        await issue_multiple(uow, ORG, request, now=NOW)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert_nothing_ran(db, uow)


@pytest.mark.parametrize(
    ("request_fields", "code", "field"),
    [
        pytest.param({"series_ids": []}, ErrorCode.MANDATORY_FIELD, "seriesIds", id="no-series"),
        pytest.param({"series_ids": [0]}, ErrorCode.MANDATORY_FIELD, "seriesIds", id="zero-id"),
        pytest.param(
            {"series_ids": list(range(1, 102))}, ErrorCode.INVALID_INPUT, "seriesIds", id="101"
        ),
        pytest.param({"customer": None}, ErrorCode.MANDATORY_FIELD, "customer", id="no-customer"),
        pytest.param(
            {"metadata": IssuanceMetadata(source_type="s" * 51)},
            ErrorCode.INVALID_INPUT,
            "metadata.sourceType",
            id="long-source-type",
        ),
        pytest.param(
            {"request_id": "r" * 129}, ErrorCode.INVALID_INPUT, "requestId", id="long-request-id"
        ),
    ],
)
async def test_bulk_issue_refuses_a_bad_request_before_any_batch(
    db: FakeDatabase,
    uow: FakeUnitOfWork,
    request_fields: dict[str, object],
    code: ErrorCode,
    field: str,
) -> None:
    values: dict[str, object] = {"series_ids": [1, 2], "customer": CUSTOMER}
    request = BulkIssueRequest(**(values | request_fields))  # type: ignore[arg-type]

    with pytest.raises(InvalidRequest) as refused:
        await bulk_issue(uow, ORG, request, now=NOW)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert_nothing_ran(db, uow)


async def test_a_count_left_out_issues_one_coupon(db: FakeDatabase, uow: FakeUnitOfWork) -> None:
    result = await issue_multiple(uow, ORG, IssueRequest([1], None, CUSTOMER), now=NOW)

    assert (result.total_count, result.success_count) == (1, 1)
    assert len(db.coupons(ORG, 1)) == 1


async def test_issued_coupons_are_stored_with_the_calls_metadata_request_id_and_time(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    metadata = IssuanceMetadata("POS", "store-7", "checkout", "a note", "welcome")
    request = IssueRequest([1, 2], 2, CUSTOMER, metadata=metadata, request_id="order-1")

    result = await issue_multiple(uow, ORG, request, now=NOW)

    (customer,) = db.tables.customers.values()
    assert result.customer == customer
    stored = sorted(db.coupons(ORG), key=lambda coupon: coupon.id)
    assert [c.id for c in stored] == [c.id for o in result.outcomes for c in o.coupons]
    assert [c.series_id for c in stored] == [1, 1, 2, 2]
    assert {(c.customer_id, c.issued_at, c.request_id) for c in stored} == {
        (customer.id, NOW, "order-1")
    }
    assert {c.metadata for c in stored} == {metadata}
    assert (db.num_issued(ORG, 1), db.num_issued(ORG, 2)) == (2, 2)
    assert db.tables.requests[ORG, "order-1"].outcome


async def test_bulk_issue_gives_one_coupon_of_each_series_or_that_series_error(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    result = await bulk_issue(uow, ORG, BulkIssueRequest([2, 999, 1], CUSTOMER), now=NOW)

    assert [entry.series_id for entry in result.entries] == [2, 999, 1]
    good, unknown, other = result.entries
    assert good.outcome is not None and len(good.outcome.coupons) == 1
    assert isinstance(unknown.error, NotFound) and unknown.error.code is ErrorCode.SERIES_INVALID
    assert other.outcome is not None and len(other.outcome.coupons) == 1
    assert result.failure_count == 1
    assert sorted(c.series_id for c in db.coupons(ORG)) == [1, 2]


async def test_an_unknown_customer_is_701_and_issues_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    nobody = CustomerRef(IdentifierType.MOBILE, "10000000000")

    with pytest.raises(NotFound) as missing:
        await issue_multiple(uow, ORG, IssueRequest([1], 1, nobody), now=NOW)

    assert missing.value.code is ErrorCode.CUSTOMER_NOT_FOUND
    assert db.coupons(ORG) == [] and db.num_issued(ORG, 1) == 0
