"""Idempotency keys (service/idempotency.py): what a request's fingerprint tells apart, how a
stored outcome reads back, and pruning the keys past their window a chunk at a time over the
in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coupon_service.domain.errors import (
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    NotFound,
    series_not_found,
)
from coupon_service.domain.issuing import SeriesOutcome, Shortfall
from coupon_service.domain.model import (
    CustomerRef,
    IdentifierType,
    IssuanceMetadata,
    IssuedCoupon,
    Series,
    SeriesPolicy,
)
from coupon_service.service import idempotency
from coupon_service.service.batch_store import StoredRequest
from coupon_service.service.idempotency import (
    decode_entries,
    decode_outcomes,
    encode_entries,
    encode_outcomes,
    fingerprint,
    prune_request_ids,
    request_id_reused,
    stored_references,
)
from coupon_service.service.inputs import BulkIssueRequest, IssueRequest
from coupon_service.service.results import BulkEntry
from coupon_service.service.unit_of_work import StoreUnavailable
from tests.fakes import FakeDatabase, FakeUnitOfWork

ORG = 7
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEPT_FOR = timedelta(hours=24)
ADA = CustomerRef(IdentifierType.MOBILE, "919900000001")
REQUEST = IssueRequest([1, 2], 2, ADA, IssuanceMetadata(notes="n"), request_id="order-1")


# --- fingerprints -----------------------------------------------------------------------------


def test_a_retry_with_another_key_has_the_same_fingerprint() -> None:
    retried = IssueRequest([1, 2], 2, ADA, IssuanceMetadata(notes="n"), request_id="other")

    assert fingerprint("IssueMultiple", REQUEST) == fingerprint("IssueMultiple", retried)


@pytest.mark.parametrize(
    "different",
    [
        pytest.param(IssueRequest([1, 2], 3, ADA, REQUEST.metadata), id="count"),
        pytest.param(IssueRequest([1], 2, ADA, REQUEST.metadata), id="series"),
        pytest.param(
            IssueRequest([1, 2], 2, CustomerRef(IdentifierType.EMAIL, "919900000001")),
            id="customer-kind",
        ),
        pytest.param(IssueRequest([1, 2], 2, ADA, IssuanceMetadata(notes="m")), id="metadata"),
        pytest.param(IssueRequest([1, 2], None, ADA, REQUEST.metadata), id="count-left-out"),
    ],
)
def test_a_different_request_has_a_different_fingerprint(different: IssueRequest) -> None:
    assert fingerprint("IssueMultiple", different) != fingerprint("IssueMultiple", REQUEST)


def test_the_operation_is_part_of_the_fingerprint() -> None:
    bulk = BulkIssueRequest([1, 2], ADA, request_id="order-1")

    assert fingerprint("BulkIssue", REQUEST) != fingerprint("IssueMultiple", REQUEST)
    assert fingerprint("BulkIssue", bulk) == fingerprint("BulkIssue", bulk)
    assert fingerprint("BulkIssue", bulk) != fingerprint("IssueMultiple", REQUEST)


def test_a_reused_key_names_the_key_as_the_caller_sent_it() -> None:
    grpc_door, rest_door = request_id_reused(), request_id_reused("Idempotency-Key")

    assert (grpc_door.code, grpc_door.field) == (ErrorCode.INVALID_INPUT, "requestId")
    assert grpc_door.message == "requestId was already used for a different request"
    assert rest_door.field == "Idempotency-Key"
    assert rest_door.message.startswith("Idempotency-Key was already used")


# --- stored outcomes --------------------------------------------------------------------------

SERIES = {
    1: Series(1, SeriesPolicy(description="one")),
    2: Series(2, SeriesPolicy(description="two")),
}
COUPONS = {
    10: IssuedCoupon(10, "CODE-10", 1, NOW, None),
    11: IssuedCoupon(11, "CODE-11", 1, NOW, NOW + timedelta(days=30), 1),
}
OUTCOMES = [
    SeriesOutcome(SERIES[1], 3, (COUPONS[10], COUPONS[11]), ((Shortfall.SERIES_LIMIT, 1),)),
    SeriesOutcome(SERIES[2], 3, (), ((Shortfall.ONLY_ONE_PER_CUSTOMER, 3),)),
]


def test_stored_outcomes_read_back_as_they_were_with_the_coupons_read_again() -> None:
    stored = encode_outcomes(OUTCOMES)

    assert decode_outcomes(stored, SERIES.get, COUPONS) == OUTCOMES
    assert stored_references(stored) == ([1, 2], [10, 11])


def test_a_stored_outcome_shows_only_the_coupons_still_found() -> None:
    decoded = decode_outcomes(encode_outcomes(OUTCOMES), SERIES.get, {10: COUPONS[10]})

    assert decoded[0].coupons == (COUPONS[10],)
    assert decoded[0].shortfalls == OUTCOMES[0].shortfalls


def test_a_stored_outcome_of_a_series_gone_is_707() -> None:
    with pytest.raises(NotFound) as missing:
        decode_outcomes(encode_outcomes(OUTCOMES), {1: SERIES[1]}.get, COUPONS)

    assert missing.value.metadata == {"seriesId": "2"}


def test_stored_bulk_entries_keep_each_series_error_with_its_kind() -> None:
    entries = [
        BulkEntry(1, OUTCOMES[0], None),
        BulkEntry(999, None, series_not_found(999)),
        BulkEntry(2, OUTCOMES[1], None),
    ]
    stored = encode_entries(entries)

    decoded = decode_entries(stored, SERIES.get, COUPONS)

    assert [(e.series_id, e.outcome) for e in decoded] == [
        (1, OUTCOMES[0]),
        (999, None),
        (2, OUTCOMES[1]),
    ]
    error = decoded[1].error
    assert isinstance(error, CouponServiceError)
    assert (error.code, error.message, error.kind) == (
        ErrorCode.SERIES_INVALID,
        "Coupon Series ID is invalid",
        ErrorKind.NOT_FOUND,
    )
    assert stored_references(stored) == ([1, 2], [10, 11])


# --- pruning ----------------------------------------------------------------------------------


def keep(db: FakeDatabase, request_id: str, stored_at: datetime) -> None:
    db.tables.requests[ORG, request_id] = StoredRequest("fingerprint", "[]")
    db.tables.request_times[ORG, request_id] = stored_at


async def test_pruning_removes_the_keys_past_their_window_a_chunk_per_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(idempotency, "PRUNE_CHUNK", 10)
    db = FakeDatabase()
    for n in range(25):
        keep(db, f"old-{n}", NOW - KEPT_FOR - timedelta(minutes=n + 1))
    keep(db, "just-inside", NOW - KEPT_FOR + timedelta(seconds=1))
    keep(db, "new", NOW)

    removed = await prune_request_ids(
        FakeUnitOfWork(db, transactions=True), now=NOW, kept_for=KEPT_FOR
    )

    assert removed == 25
    assert db.commits == 3  # 10, 10 and 5: a short chunk ends it.
    assert (
        set(db.tables.requests)
        == set(db.tables.request_times)
        == {
            (ORG, "just-inside"),
            (ORG, "new"),
        }
    )


async def test_pruning_oldest_first_leaves_the_newer_expired_keys_for_the_next_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(idempotency, "PRUNE_CHUNK", 2)
    db = FakeDatabase()
    for n in range(4):
        keep(db, f"old-{n}", NOW - KEPT_FOR - timedelta(hours=n + 1))
    db.fail("commit", skip=1)  # The second chunk cannot commit.
    uow = FakeUnitOfWork(db, transactions=True)

    with pytest.raises(StoreUnavailable):
        await prune_request_ids(uow, now=NOW, kept_for=KEPT_FOR)

    # The first chunk took the two oldest keys; the second left its keys in place.
    assert sorted(request_id for _, request_id in db.tables.requests) == ["old-0", "old-1"]
    assert await prune_request_ids(uow, now=NOW, kept_for=KEPT_FOR) == 2
    assert db.tables.requests == {}


async def test_pruning_with_nothing_to_remove_is_one_transaction() -> None:
    db = FakeDatabase()
    keep(db, "new", NOW)

    removed = await prune_request_ids(
        FakeUnitOfWork(db, transactions=True), now=NOW, kept_for=KEPT_FOR
    )

    assert (removed, db.commits) == (0, 1)
    assert set(db.tables.requests) == {(ORG, "new")}
