"""Batched issuing through the real use cases on an in-memory store: who shares a batch, what
each call of a batch sees of the others, and what a batch that cannot commit leaves behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from coupon_service.domain.errors import (
    AlreadyHasCoupon,
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    Expired,
    NotFound,
    NothingIssued,
    RequestIdReused,
    Unavailable,
)
from coupon_service.domain.issuing import Shortfall
from coupon_service.domain.model import CodeSource, Customer, CustomerRef, IdentifierType, Series
from coupon_service.service import coupon_writer
from coupon_service.service.batching import Batcher, BatchStats
from coupon_service.service.issuing import (
    MAX_BATCH_CALLS,
    MAX_BATCH_COUPONS,
    BulkIssueRequest,
    BulkIssueResult,
    IssueMultipleResult,
    IssueRequest,
    bulk_issue,
    issue_multiple,
    issuing_batcher,
)
from coupon_service.service.unit_of_work import StoreConflict
from tests.answers import codes, coupon_ids, together
from tests.fakes import FakeDatabase, FakeUnitOfWork, Tables

ORG = 7
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NO_SUCH_SERIES = 10**9


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def uow(db: FakeDatabase) -> FakeUnitOfWork:
    return FakeUnitOfWork(db)


def ref(customer: Customer) -> CustomerRef:
    return CustomerRef(IdentifierType.MOBILE, customer.mobile or "")


def stats(uow: FakeUnitOfWork) -> BatchStats:
    return issuing_batcher(uow).stats


def issue(
    uow: FakeUnitOfWork,
    series: Sequence[Series | int],
    customer: Customer | CustomerRef,
    count: int = 1,
    request_id: str | None = None,
) -> Awaitable[IssueMultipleResult]:
    ids = [s if isinstance(s, int) else s.id for s in series]
    who = customer if isinstance(customer, CustomerRef) else ref(customer)
    request = IssueRequest(ids, count, who, request_id=request_id)
    return issue_multiple(uow, ORG, request, now=NOW)


def bulk(
    uow: FakeUnitOfWork,
    series: Sequence[Series | int],
    customer: Customer,
    request_id: str | None = None,
) -> Awaitable[BulkIssueResult]:
    ids = [s if isinstance(s, int) else s.id for s in series]
    return bulk_issue(
        uow, ORG, BulkIssueRequest(ids, ref(customer), request_id=request_id), now=NOW
    )


def snapshot(db: FakeDatabase) -> Tables:
    return db.tables.copy()


def same_tables(a: Tables, b: Tables) -> bool:
    return (a.coupons, a.counters, a.requests, a.series) == (
        b.coupons,
        b.counters,
        b.requests,
        b.series,
    )


# --- who shares a batch ------------------------------------------------------------------------


async def test_a_lone_call_is_a_batch_of_one(db: FakeDatabase, uow: FakeUnitOfWork) -> None:
    series = db.add_series(ORG)
    customer = db.add_customer(ORG)

    result = await issue(uow, [series], customer, 2)

    assert result.success_count == 2
    assert (stats(uow).batches, stats(uow).calls, list(stats(uow).sizes)) == (1, 1, [1])
    assert len(db.held(ORG, customer.id)) == 2 and db.num_issued(ORG, series.id) == 2


async def test_concurrent_calls_share_one_batch_and_one_commit(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    customers = [db.add_customer(ORG) for _ in range(8)]

    results = await together(*(issue(uow, [series], c, 2) for c in customers))

    assert (stats(uow).batches, stats(uow).largest) == (1, 8)
    assert db.commits == 1
    issued = [code for result in results for code in codes(result)]
    assert len(issued) == len(set(issued)) == 16
    for customer, result in zip(customers, results, strict=True):
        assert isinstance(result, IssueMultipleResult) and result.customer == customer
        # Every call answers after the commit, with the series as the batch left it.
        assert result.outcomes[0].series.num_issued == 16
        assert result.outcomes[0].series.latest_issued_at == NOW
    assert db.num_issued(ORG, series.id) == 16


# --- two calls of one customer in one batch ----------------------------------------------------


async def test_max_vouchers_per_user_counts_the_earlier_calls_of_the_batch(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG, max_vouchers_per_user=3)
    customer = db.add_customer(ORG)

    first, second, third = await together(
        issue(uow, [series], customer, 2),
        issue(uow, [series], customer, 2),
        issue(uow, [series], customer, 1),
    )

    assert stats(uow).sizes[-1] == 3 and stats(uow).batches == 1
    assert isinstance(first, IssueMultipleResult) and isinstance(second, IssueMultipleResult)
    assert (first.success_count, first.failure_count) == (2, 0)
    assert (second.success_count, second.failure_count) == (1, 1)
    assert second.outcomes[0].shortfalls == ((Shortfall.PER_CUSTOMER_LIMIT, 1),)
    assert Shortfall.PER_CUSTOMER_LIMIT.partial_code == 5002
    assert isinstance(third, NothingIssued)
    assert third.code is ErrorCode.MAX_COUPONS_PER_CUSTOMER_REACHED
    assert len(db.held(ORG, customer.id)) == 3 and db.num_issued(ORG, series.id) == 3


async def test_one_per_customer_resends_the_coupon_an_earlier_call_of_the_batch_gave(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG, multiple_per_user_allowed=False)
    customer = db.add_customer(ORG)

    first, second, third = await together(
        issue(uow, [series], customer, 1),
        issue(uow, [series], customer, 2),
        bulk(uow, [series], customer),
    )

    assert stats(uow).batches == 1 and stats(uow).largest == 3
    assert isinstance(first, IssueMultipleResult) and isinstance(second, IssueMultipleResult)
    assert isinstance(third, BulkIssueResult)
    assert len(codes(first)) == 1
    assert codes(second) == codes(first) == codes(third)
    assert second.outcomes[0].shortfalls == ((Shortfall.ONLY_ONE_PER_CUSTOMER, 1),)
    assert len(db.held(ORG, customer.id)) == 1 and db.num_issued(ORG, series.id) == 1


async def test_one_per_customer_without_resending_refuses_the_second_call_with_709(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG, multiple_per_user_allowed=False, do_not_resend_existing=True)
    customer = db.add_customer(ORG)

    first, second = await together(
        issue(uow, [series], customer, 1, request_id="first"),
        issue(uow, [series], customer, 1, request_id="second"),
    )

    assert stats(uow).batches == 1
    assert isinstance(first, IssueMultipleResult) and len(codes(first)) == 1
    assert isinstance(second, AlreadyHasCoupon) and second.code is ErrorCode.ALREADY_HAS_COUPON
    assert len(db.held(ORG, customer.id)) == 1
    assert set(db.tables.requests) == {(ORG, "first")}


# --- a batch of calls that succeed, partly succeed and fail ------------------------------------


async def test_a_mixed_batch_gives_each_call_its_own_answer_and_failed_calls_write_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    plain = db.add_series(ORG)
    limited = db.add_series(ORG, max_create=3)
    per_user = db.add_series(ORG, max_vouchers_per_user=2)
    expired = db.add_series(ORG, valid_till=NOW - timedelta(days=1))
    pool = db.add_series(ORG, code_source=CodeSource.UPLOADED)
    db.upload(ORG, pool.id, ["POOL-A", "POOL-B"])
    people = [db.add_customer(ORG) for _ in range(9)]
    nobody = CustomerRef(IdentifierType.MOBILE, "10000000000")

    answers = await together(
        issue(uow, [limited], people[0], 2),  # 2
        issue(uow, [limited], people[1], 2),  # 1 of 2: 5001
        issue(uow, [limited], people[2], 1, request_id="r-626"),  # none left: 626
        issue(uow, [per_user], people[3], 3),  # 2 of 3: 5002
        issue(uow, [NO_SUCH_SERIES], people[4], 1, request_id="r-707"),  # 707
        issue(uow, [plain], nobody, 1, request_id="r-701"),  # 701
        # Takes both pool codes on its way, then fails on the expired series: 713.
        issue(uow, [pool, expired], people[5], 2, request_id="r-713"),
        issue(uow, [pool], people[6], 2),  # so the pool codes are this call's
        bulk(uow, [plain, expired, NO_SUCH_SERIES], people[7]),
        issue(uow, [plain], people[8], 1, request_id="r-ok"),
    )

    assert (stats(uow).batches, stats(uow).largest) == (1, 10)
    two, part_limit, none_left, part_user, no_series, no_customer, gone, pooled, each, ok = answers
    assert isinstance(two, IssueMultipleResult) and two.customer == people[0]
    assert (two.success_count, two.failure_count) == (2, 0)
    assert isinstance(part_limit, IssueMultipleResult) and part_limit.customer == people[1]
    assert part_limit.outcomes[0].shortfalls == ((Shortfall.SERIES_LIMIT, 1),)
    assert Shortfall.SERIES_LIMIT.partial_code == 5001
    assert part_limit.outcomes[0].series.num_issued == 3  # numTotal as committed
    assert isinstance(none_left, NothingIssued) and none_left.code == 626
    assert isinstance(part_user, IssueMultipleResult) and part_user.customer == people[3]
    assert part_user.outcomes[0].shortfalls == ((Shortfall.PER_CUSTOMER_LIMIT, 1),)
    assert isinstance(no_series, NotFound) and no_series.code == 707
    assert isinstance(no_customer, NotFound) and no_customer.code == 701
    assert isinstance(gone, Expired) and gone.code == 713
    assert isinstance(pooled, IssueMultipleResult) and codes(pooled) == ["POOL-A", "POOL-B"]
    assert isinstance(each, BulkIssueResult) and each.customer == people[7]
    assert [e.error.code if e.error else None for e in each.entries] == [None, 713, 707]
    assert isinstance(ok, IssueMultipleResult) and ok.customer == people[8]

    for failed in (people[2], people[4], people[5]):
        assert db.held(ORG, failed.id) == []
    held = {p.id: len(db.held(ORG, p.id)) for p in people}
    assert list(held.values()) == [2, 1, 0, 2, 0, 0, 2, 1, 1]
    issued = {s.id: db.num_issued(ORG, s.id) for s in (plain, limited, per_user, expired, pool)}
    assert issued == {plain.id: 2, limited.id: 3, per_user.id: 2, expired.id: 0, pool.id: 2}
    # Failed calls give their keys back, so a retry runs afresh; the others keep theirs.
    assert set(db.tables.requests) == {(ORG, "r-ok")}
    assert db.tables.requests[ORG, "r-ok"].outcome


async def test_a_list_call_with_one_exhausted_series_still_gets_the_others(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    # IssueMultiple over several series succeeds when any of them gives a coupon; the one that
    # gives none reports its shortfall (as the old path did). Nor may it disturb its batch.
    exhausted = db.add_series(ORG, max_create=1)
    plain = db.add_series(ORG)
    customer, bystander = db.add_customer(ORG), db.add_customer(ORG)
    await issue(uow, [exhausted], customer)

    answers = await asyncio.gather(
        issue(uow, [exhausted, plain], customer),
        issue(uow, [plain], bystander),
        return_exceptions=True,
    )

    assert [type(a).__name__ for a in answers] == ["IssueMultipleResult"] * 2, answers
    listed = answers[0]
    assert isinstance(listed, IssueMultipleResult)
    assert [len(o.coupons) for o in listed.outcomes] == [0, 1]
    assert listed.outcomes[0].shortfalls == ((Shortfall.SERIES_LIMIT, 1),)
    assert (listed.success_count, listed.failure_count) == (1, 1)
    assert db.num_issued(ORG, plain.id) == 2


async def test_pool_codes_in_one_batch_go_to_one_call_each_until_the_pool_is_empty(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    pool_codes = [f"CODE{i}" for i in range(5)]
    pool = db.add_series(ORG, code_source=CodeSource.UPLOADED)
    db.upload(ORG, pool.id, pool_codes)
    people = [db.add_customer(ORG) for _ in range(4)]

    answers = await together(*(issue(uow, [pool], p, 2) for p in people))

    assert stats(uow).batches == 1
    assert [codes(a) for a in answers[:3]] == [pool_codes[0:2], pool_codes[2:4], pool_codes[4:]]
    third = answers[2]
    assert isinstance(third, IssueMultipleResult)
    assert third.outcomes[0].shortfalls == ((Shortfall.POOL_EMPTY, 1),)  # 5005
    assert isinstance(answers[3], NothingIssued) and answers[3].code == 702
    assert db.free_pool(ORG, pool.id) == [] and db.num_issued(ORG, pool.id) == 5


async def test_calls_of_two_organisations_in_one_batch_never_see_each_other(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    other_org = ORG + 1
    # The same series id, customer id, mobile and request id in both organisations.
    for org_id in (ORG, other_org):
        db.add_series(org_id, series_id=500, max_vouchers_per_user=1)
        db.add_customer(org_id, mobile="919812345678", customer_id=42)
    who = CustomerRef(IdentifierType.MOBILE, "919812345678")

    def call(org_id: int) -> Awaitable[IssueMultipleResult]:
        request = IssueRequest([500], 1, who, request_id="same-key")
        return issue_multiple(uow, org_id, request, now=NOW)

    mine, theirs = await together(call(ORG), call(other_org))

    assert (stats(uow).batches, stats(uow).largest) == (1, 2)  # no key shared: nothing deferred
    assert isinstance(mine, IssueMultipleResult) and isinstance(theirs, IssueMultipleResult)
    assert mine.success_count == theirs.success_count == 1  # neither counts the other's coupon
    assert set(codes(mine)).isdisjoint(codes(theirs))
    assert [len(db.held(org_id, 42)) for org_id in (ORG, other_org)] == [1, 1]
    assert set(db.tables.requests) == {(ORG, "same-key"), (other_org, "same-key")}


# --- request ids -------------------------------------------------------------------------------


async def test_one_request_id_twice_in_one_batch_replays_the_first_in_the_next_batch(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    customer, other = db.add_customer(ORG), db.add_customer(ORG)

    first, again, unrelated = await together(
        issue(uow, [series], customer, 3, request_id="twice"),
        issue(uow, [series], customer, 3, request_id="twice"),
        issue(uow, [series], other, 1),
    )

    assert isinstance(first, IssueMultipleResult) and isinstance(again, IssueMultipleResult)
    assert len(coupon_ids(first)) == 3 and coupon_ids(again) == coupon_ids(first)
    assert codes(again) == codes(first)
    assert isinstance(unrelated, IssueMultipleResult)
    # The second had to see the first's commit: it went alone into the next batch.
    assert (stats(uow).batches, list(stats(uow).sizes)) == (2, [3, 1])
    assert len(db.held(ORG, customer.id)) == 3 and db.num_issued(ORG, series.id) == 4


async def test_one_request_id_across_batches_replays_for_both_operations(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    customer = db.add_customer(ORG)

    first = await issue(uow, [series], customer, 2, request_id="order-1")
    retry = await issue(uow, [series], customer, 2, request_id="order-1")
    once = await bulk(uow, [series, NO_SUCH_SERIES], customer, request_id="bulk-1")
    twice = await bulk(uow, [series, NO_SUCH_SERIES], customer, request_id="bulk-1")

    assert list(stats(uow).sizes) == [1, 1, 1, 1]
    assert coupon_ids(retry) == coupon_ids(first) and len(coupon_ids(first)) == 2
    assert codes(twice) == codes(once) and len(codes(once)) == 1
    assert [e.error.code if e.error else None for e in twice.entries] == [None, 707]
    assert db.num_issued(ORG, series.id) == 3 and len(db.held(ORG, customer.id)) == 3


async def test_one_request_id_with_another_request_is_refused_with_629(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    customer = db.add_customer(ORG)

    await issue(uow, [series], customer, 2, request_id="across")
    with pytest.raises(RequestIdReused) as across:
        await issue(uow, [series], customer, 3, request_id="across")
    first, changed = await together(
        issue(uow, [series], customer, 1, request_id="within"),
        issue(uow, [series], customer, 5, request_id="within"),
    )

    assert across.value.code == 629 and across.value.field == "requestId"
    assert isinstance(first, IssueMultipleResult)
    assert isinstance(changed, RequestIdReused) and changed.code == 629
    assert list(stats(uow).sizes) == [1, 1, 2, 1]
    assert db.num_issued(ORG, series.id) == 3


async def test_a_failed_call_gives_its_request_id_back_for_a_fresh_retry(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    not_yet = CustomerRef(IdentifierType.MOBILE, "919988776655")

    with pytest.raises(NotFound):
        await issue(uow, [series], not_yet, 1, request_id="later")
    assert (ORG, "later") not in db.tables.requests
    db.add_customer(ORG, mobile=not_yet.value)
    result = await issue(uow, [series], not_yet, 1, request_id="later")

    assert result.success_count == 1 and db.num_issued(ORG, series.id) == 1


# --- codes that collide ------------------------------------------------------------------------


async def test_codes_the_org_already_has_are_drawn_again(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    customers = [db.add_customer(ORG) for _ in range(4)]
    rejected: list[str] = []

    def first_five_collide(org_id: int, code: str) -> bool:
        if len(rejected) < 5:
            rejected.append(code)
            return True
        return False

    db.collides = first_five_collide
    results = await together(*(issue(uow, [series], c, 3) for c in customers))

    assert len(rejected) == 5 and stats(uow).batches == 1
    issued = [code for result in results for code in codes(result)]
    assert len(issued) == len(set(issued)) == 12
    assert not set(issued) & set(rejected)
    assert all(isinstance(r, IssueMultipleResult) and r.failure_count == 0 for r in results)
    assert db.num_issued(ORG, series.id) == 12


async def test_a_code_drawn_twice_in_one_batch_or_already_held_is_never_issued_twice(
    db: FakeDatabase, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    series = db.add_series(ORG, random_code_length=4)
    first, second, third = (db.add_customer(ORG) for _ in range(3))
    script: Iterator[str] = iter(["1111", "1111", "2222", "2222", "3333", "4444", "5555"])

    def scripted(count: int, **_: object) -> list[str]:
        return [next(script) for _ in range(count)]

    monkeypatch.setattr(coupon_writer, "generate_codes", scripted)
    held = await issue(uow, [series], first)  # 1111
    a, b = await together(issue(uow, [series], second, 2), issue(uow, [series], third, 2))

    assert codes(held) == ["1111"]
    # Draw 1: 1111 (held) and 2222 for one call, 2222 (drawn already) and 3333 for the other.
    assert sorted(codes(a) + codes(b)) == ["2222", "3333", "4444", "5555"]
    assert all(isinstance(r, IssueMultipleResult) and r.failure_count == 0 for r in (a, b))
    assert sorted(c.code for c in db.coupons(ORG)) == ["1111", "2222", "3333", "4444", "5555"]


async def test_collisions_that_never_stop_give_5006_then_678_and_write_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    hopeless = db.add_series(ORG, code_prefix="NO")
    one_only = db.add_series(ORG, code_prefix="ONE")
    plain = db.add_series(ORG)
    people = [db.add_customer(ORG) for _ in range(3)]
    accepted: dict[int, str] = {}  # One "ONE" code per run of the batch, by rollbacks before.

    def collides(org_id: int, code: str) -> bool:
        if code.startswith("ONE") and db.rollbacks not in accepted:
            accepted[db.rollbacks] = code
            return False
        return code.startswith(("NO", "ONE"))

    db.collides = collides
    failed, partial, each = await together(
        issue(uow, [hopeless], people[0], 3, request_id="hopeless"),
        issue(uow, [one_only], people[1], 3),
        bulk(uow, [hopeless, plain], people[2]),
    )

    # The first run counted coupons that got no code: it rolled back and ran draft by draft.
    assert stats(uow).batches == 1 and db.rollbacks == 1
    assert isinstance(failed, NothingIssued) and failed.code is ErrorCode.ISSUE_FAILED  # 678
    assert failed.kind is ErrorKind.ABORTED
    assert isinstance(partial, IssueMultipleResult) and codes(partial) == [accepted[1]]
    assert partial.outcomes[0].shortfalls == ((Shortfall.OTHER, 2),)
    assert Shortfall.OTHER.partial_code == 5006
    assert isinstance(each, BulkIssueResult)
    assert [e.error.code if e.error else None for e in each.entries] == [678, None]
    assert db.held(ORG, people[0].id) == [] and (ORG, "hopeless") not in db.tables.requests
    assert db.num_issued(ORG, hopeless.id) == 0 and db.coupons(ORG, hopeless.id) == []
    assert db.num_issued(ORG, one_only.id) == 1 and db.num_issued(ORG, plain.id) == 1


# --- a batch that cannot commit ----------------------------------------------------------------


@pytest.mark.parametrize(
    "step",
    [
        "claim_request_ids",
        "load_series",
        "reserve_pool",
        "insert_coupons",
        "assign_pool",
        "add_issued",
        "finish_requests",
    ],
)
async def test_a_store_failure_tells_every_caller_of_the_batch_to_retry_and_writes_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork, step: str
) -> None:
    plain = db.add_series(ORG)
    pool = db.add_series(ORG, code_source=CodeSource.UPLOADED)
    db.upload(ORG, pool.id, ["P1", "P2", "P3"])
    people = [db.add_customer(ORG) for _ in range(4)]

    def calls() -> list[Awaitable[IssueMultipleResult | BulkIssueResult]]:
        return [
            issue(uow, [plain], people[0], 2, request_id="a"),
            issue(uow, [pool], people[1], 2, request_id="b"),
            issue(uow, [plain, pool], people[2], 1, request_id="c"),
            bulk(uow, [plain, pool], people[3], request_id="d"),
        ]

    before = snapshot(db)
    db.fail(step)
    answers = await together(*calls())

    assert (stats(uow).batches, stats(uow).largest) == (1, 4)
    for answer in answers:
        assert isinstance(answer, Unavailable), answer
        assert answer.kind is ErrorKind.UNAVAILABLE
    assert same_tables(snapshot(db), before) and db.rollbacks == 1

    retried = await together(*calls())
    replayed = await together(*calls())

    assert stats(uow).batches == 3
    assert all(not isinstance(r, CouponServiceError) for r in retried), retried
    assert [codes(r) for r in replayed] == [codes(r) for r in retried]
    assert db.num_issued(ORG, plain.id) == 4 and db.num_issued(ORG, pool.id) == 3
    assert db.free_pool(ORG, pool.id) == [] and len(db.coupons(ORG, pool.id)) == 3


async def test_a_conflict_tells_every_caller_of_the_batch_to_retry_soon(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    people = [db.add_customer(ORG) for _ in range(3)]
    db.fail("add_issued", StoreConflict("deadlock detected"))

    answers = await together(*(issue(uow, [series], p) for p in people))

    assert stats(uow).batches == 1
    assert all(isinstance(a, Unavailable) and a.kind is ErrorKind.UNAVAILABLE for a in answers)
    assert {a.reason for a in answers if isinstance(a, Unavailable)} == {"TRANSACTION_CONFLICT"}
    assert db.coupons(ORG) == [] and db.num_issued(ORG, series.id) == 0
    assert (await issue(uow, [series], people[0])).success_count == 1


# --- the batcher's bounds and its callers who leave --------------------------------------------


async def test_the_batcher_bounds_each_batch_by_calls_and_by_weight() -> None:
    seen: list[list[int]] = []

    async def run(calls: Sequence[int]) -> list[int]:
        seen.append(list(calls))
        await asyncio.sleep(0)
        return [call * 10 for call in calls]

    by_calls = Batcher(run, max_calls=3, max_weight=100)
    answers = await asyncio.gather(*(by_calls.submit(i) for i in range(7)))
    assert answers == [0, 10, 20, 30, 40, 50, 60]
    assert seen == [[0, 1, 2], [3, 4, 5], [6]]
    assert (by_calls.stats.batches, by_calls.stats.largest) == (3, 3)

    seen.clear()
    by_weight = Batcher(run, max_calls=10, max_weight=10)
    weights = [4, 4, 4, 20, 1]
    await asyncio.gather(*(by_weight.submit(i, weight=w) for i, w in enumerate(weights)))
    # A call heavier than the bound goes alone, and never waits for a lighter batch to fill.
    assert seen == [[0, 1], [2], [3], [4]]


async def test_the_issuing_batcher_takes_at_most_64_calls_and_5000_coupons(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    customer = db.add_customer(ORG)
    assert (MAX_BATCH_CALLS, MAX_BATCH_COUPONS) == (64, 5_000)

    await together(*(issue(uow, [series], customer) for _ in range(MAX_BATCH_CALLS + 1)))
    assert list(stats(uow).sizes) == [64, 1]

    await together(*(issue(uow, [series], customer, 500) for _ in range(11)))
    assert list(stats(uow).sizes)[2:] == [10, 1]

    # The heaviest call there is (MAX_COUPONS_PER_CALL): five of them fill a batch.
    await together(*(issue(uow, [series] * 2, customer, 500) for _ in range(6)))
    assert list(stats(uow).sizes)[4:] == [5, 1]
    assert db.num_issued(ORG, series.id) == 65 + 5_500 + 6_000


async def test_a_caller_cancelled_while_queued_writes_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    first, leaving, staying = (db.add_customer(ORG) for _ in range(3))
    uow.gate = asyncio.Event()
    running = asyncio.ensure_future(issue(uow, [series], first))
    await uow.started.wait()  # The first batch has begun; the next calls queue behind it.
    left = asyncio.ensure_future(issue(uow, [series], leaving, 3, request_id="gone"))
    stays = asyncio.ensure_future(issue(uow, [series], staying, 2))
    await asyncio.sleep(0)

    left.cancel()
    uow.gate.set()

    assert (await running).success_count == 1 and (await stays).success_count == 2
    with pytest.raises(asyncio.CancelledError):
        await left
    assert db.held(ORG, leaving.id) == [] and (ORG, "gone") not in db.tables.requests
    assert (list(stats(uow).sizes), stats(uow).calls) == ([1, 1], 2)
    assert db.num_issued(ORG, series.id) == 3


async def test_a_caller_cancelled_once_its_batch_started_has_its_whole_call_written(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    series = db.add_series(ORG)
    customer, other = db.add_customer(ORG), db.add_customer(ORG)
    uow.gate = asyncio.Event()
    leaving = asyncio.ensure_future(issue(uow, [series], customer, 3))
    staying = asyncio.ensure_future(issue(uow, [series], other, 1))
    await uow.started.wait()

    leaving.cancel()
    uow.gate.set()

    assert (await staying).success_count == 1
    with pytest.raises(asyncio.CancelledError):
        await leaving
    await issuing_batcher(uow).drained()
    # A transaction is never cut in half: the batch committed all of the call.
    assert len(db.held(ORG, customer.id)) == 3 and db.num_issued(ORG, series.id) == 4
    assert list(stats(uow).sizes) == [2]
