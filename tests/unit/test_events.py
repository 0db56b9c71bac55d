"""The feed's rules without a database: which cursors a consumer may pass (domain/events.py),
and what an issuing batch records on the in-memory store: one ISSUED event per coupon it gave
out, in its transaction, so a batch whose append fails commits neither coupons nor events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coupon_service.domain.errors import ErrorCode, Expired, InvalidRequest, Unavailable
from coupon_service.domain.events import (
    EventType,
    FeedState,
    NewEvent,
    by_org,
    check_cursor,
    cursor_of,
    parse_cursor,
)
from coupon_service.domain.model import CodeSource, CustomerRef, IdentifierType
from coupon_service.service.issuing import IssueMultipleResult, IssueRequest, issue_multiple
from tests.answers import coupon_ids, together
from tests.fakes import FakeDatabase, FakeUnitOfWork

ORG = 7
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# --- cursors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cursor", "position"),
    [("", 0), ("0", 0), ("1", 1), ("42", 42), ("9" * 19, 10**19 - 1)],
)
def test_a_cursor_names_its_position_and_the_empty_one_the_start(
    cursor: str, position: int
) -> None:
    assert parse_cursor(cursor) == position


@pytest.mark.parametrize("position", [0, 1, 4096, 2**63 - 1])
def test_the_cursor_of_a_position_reads_back_as_it(position: int) -> None:
    assert parse_cursor(cursor_of(position)) == position


@pytest.mark.parametrize(
    "cursor",
    [
        *["1" * 20, " 1", "1 ", "+1", "-1", "1.0", "1e3", "0x1f", "abc", "\u0661", "\u00b2"],
        *["12\n", "01", "007", "00"],
    ],
)
def test_anything_but_a_number_as_cursor_of_writes_it_is_no_cursor(cursor: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_cursor(cursor)

    assert refused.value.code is ErrorCode.EVENT_CURSOR_INVALID
    assert refused.value.field == "after"


@pytest.mark.parametrize("position", [3, 4, 9, 10])
def test_a_cursor_from_the_pruning_mark_to_the_head_is_accepted(position: int) -> None:
    check_cursor(position, FeedState(head=10, pruned_through=3))


def test_a_cursor_ahead_of_the_head_is_not_this_feeds() -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_cursor(11, FeedState(head=10, pruned_through=3))

    assert refused.value.code is ErrorCode.EVENT_CURSOR_INVALID


def test_a_cursor_of_an_empty_feed_other_than_its_start_is_not_its() -> None:
    check_cursor(0, FeedState())
    with pytest.raises(InvalidRequest):
        check_cursor(1, FeedState())


@pytest.mark.parametrize("position", [0, 2])
def test_a_cursor_behind_the_pruning_mark_has_lost_events(position: int) -> None:
    with pytest.raises(Expired) as expired:
        check_cursor(position, FeedState(head=10, pruned_through=3))

    assert expired.value.code is ErrorCode.EVENT_CURSOR_EXPIRED
    assert expired.value.metadata == {"oldestCursor": "3"}


def test_events_are_grouped_by_org_in_org_order_each_in_its_own_order() -> None:
    def event(coupon_id: int) -> NewEvent:
        return NewEvent(EventType.ISSUED, coupon_id, NOW)

    pairs = [(9, event(1)), (2, event(2)), (9, event(3)), (2, event(4)), (5, event(5))]

    assert by_org(pairs) == [
        (2, [event(2), event(4)]),
        (5, [event(5)]),
        (9, [event(1), event(3)]),
    ]


# --- what a batch records -----------------------------------------------------------------------


def _issue(series_id: int, mobile: str, count: int, request_id: str | None = None) -> IssueRequest:
    return IssueRequest(
        [series_id], count, CustomerRef(IdentifierType.MOBILE, mobile), request_id=request_id
    )


async def test_a_batch_records_one_issued_event_per_coupon_in_call_order() -> None:
    db = FakeDatabase()
    uow = FakeUnitOfWork(db)
    series = db.add_series(ORG)
    people = [db.add_customer(ORG) for _ in range(3)]

    answers = await together(
        *(
            issue_multiple(uow, ORG, _issue(series.id, p.mobile or "", n + 1), now=NOW)
            for n, p in enumerate(people)
        )
    )

    issued = [coupon_id for answer in answers for coupon_id in coupon_ids(answer)]
    assert len(issued) == 6 and db.commits == 1
    assert db.tables.events == [
        (ORG, NewEvent(EventType.ISSUED, coupon_id, NOW)) for coupon_id in issued
    ]


async def test_a_resent_coupon_and_a_replayed_call_record_no_event() -> None:
    db = FakeDatabase()
    uow = FakeUnitOfWork(db)
    once = db.add_series(ORG, multiple_per_user_allowed=False)
    mobile = db.add_customer(ORG).mobile or ""
    await issue_multiple(uow, ORG, _issue(once.id, mobile, 1, request_id="k"), now=NOW)

    resent = await issue_multiple(uow, ORG, _issue(once.id, mobile, 1), now=NOW)
    replayed = await issue_multiple(uow, ORG, _issue(once.id, mobile, 1, request_id="k"), now=NOW)

    assert coupon_ids(resent) == coupon_ids(replayed)
    assert [event.coupon_id for _, event in db.tables.events] == coupon_ids(resent)


async def test_a_batch_whose_events_cannot_be_appended_commits_nothing() -> None:
    db = FakeDatabase()
    uow = FakeUnitOfWork(db)
    series = db.add_series(ORG)
    pool = db.add_series(ORG, code_source=CodeSource.UPLOADED)
    db.upload(ORG, pool.id, ["P1", "P2"])
    people = [db.add_customer(ORG).mobile or "" for _ in range(3)]
    calls = [
        _issue(series.id, people[0], 2, request_id="a"),
        _issue(pool.id, people[1], 2, request_id="b"),
        _issue(series.id, people[2], 1),
    ]
    before = db.tables.copy()
    db.fail("append_events")

    answers = await together(*(issue_multiple(uow, ORG, call, now=NOW) for call in calls))

    assert all(isinstance(answer, Unavailable) for answer in answers), answers
    assert (db.commits, db.rollbacks) == (0, 1)
    assert db.tables == before  # No coupon, pool code, counter, request id nor event.

    retried = await together(*(issue_multiple(uow, ORG, call, now=NOW) for call in calls))

    assert all(isinstance(answer, IssueMultipleResult) for answer in retried), retried
    issued = [c for answer in retried for c in coupon_ids(answer)]
    assert [event.coupon_id for _, event in db.tables.events] == issued and len(issued) == 5
