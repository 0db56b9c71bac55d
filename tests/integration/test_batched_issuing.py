"""Batched issuing against real SQLite and PostgreSQL: calls that share a batch see each other,
a batch commits whole or not at all, and two replicas together break no count or limit."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.postgres_batch import PostgresBatchStore
from coupon_service.adapters.sqlite_batch import SqliteBatchStore
from coupon_service.adapters.tables import coupons, issue_requests
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import (
    AlreadyHasCoupon,
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    Expired,
    NotFound,
    NothingIssued,
    Unavailable,
)
from coupon_service.domain.issuing import Shortfall
from coupon_service.domain.model import CodeSource, Customer, CustomerRef, IdentifierType, Series
from coupon_service.service.batching import BatchStats
from coupon_service.service.issuing import (
    BulkIssueRequest,
    BulkIssueResult,
    IssueMultipleResult,
    IssueRequest,
    bulk_issue,
    issue_multiple,
    issuing_batcher,
)
from coupon_service.service.orgs import ensure_org
from coupon_service.service.series import get_series
from tests.answers import codes, coupon_ids, together
from tests.factories import a_customer, a_series, by_mobile, unique_codes, unique_mobile

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NO_SUCH_SERIES = 10**12
CALLERS = 64

Answer = IssueMultipleResult | BulkIssueResult | CouponServiceError


def stats(uow: SqlUnitOfWork) -> BatchStats:
    return issuing_batcher(uow).stats


def issue(
    uow: SqlUnitOfWork,
    org_id: int,
    series: Sequence[Series | int],
    customer: Customer | CustomerRef,
    count: int = 1,
    request_id: str | None = None,
) -> Awaitable[IssueMultipleResult]:
    ids = [s if isinstance(s, int) else s.id for s in series]
    who = by_mobile(customer) if isinstance(customer, Customer) else customer
    return issue_multiple(
        uow, org_id, IssueRequest(ids, count, who, request_id=request_id), now=NOW
    )


@asynccontextmanager
async def replicas(db_url: str, count: int = 2) -> AsyncIterator[list[SqlUnitOfWork]]:
    """Independent engines on one database, as separate server replicas would have."""
    units = [SqlUnitOfWork(create_engine(db_url)) for _ in range(count)]
    try:
        yield units
    finally:
        for unit in units:
            await unit.engine.dispose()


async def _count(uow: SqlUnitOfWork, table: Any, *where: Any) -> int:
    async with uow.engine.connect() as connection:
        counted = await connection.scalar(select(func.count()).select_from(table).where(*where))
    return int(counted or 0)


async def rows_of_series(uow: SqlUnitOfWork, org_id: int, series_id: int) -> tuple[int, int]:
    """(coupon rows of the series, rows no customer holds yet)."""
    of_series = (coupons.c.org_id == org_id, coupons.c.series_id == series_id)
    return (
        await _count(uow, coupons, *of_series),
        await _count(uow, coupons, *of_series, coupons.c.customer_id.is_(None)),
    )


async def held(uow: SqlUnitOfWork, org_id: int, customer: Customer) -> int:
    return await _count(
        uow, coupons, coupons.c.org_id == org_id, coupons.c.customer_id == customer.id
    )


async def stored_requests(uow: SqlUnitOfWork, org_id: int) -> int:
    return await _count(uow, issue_requests, issue_requests.c.org_id == org_id)


# --- two calls of one customer in one batch ----------------------------------------------------


async def test_max_vouchers_per_user_counts_the_earlier_call_of_the_batch(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id, max_vouchers_per_user=3)
    customer = await a_customer(uow, org_id)

    first, second = await together(
        issue(uow, org_id, [series], customer, 2), issue(uow, org_id, [series], customer, 2)
    )

    assert (stats(uow).batches, stats(uow).largest) == (1, 2)
    assert isinstance(first, IssueMultipleResult) and isinstance(second, IssueMultipleResult)
    assert (first.success_count, second.success_count, second.failure_count) == (2, 1, 1)
    assert second.outcomes[0].shortfalls == ((Shortfall.PER_CUSTOMER_LIMIT, 1),)  # 5002
    assert len(set(codes(first) + codes(second))) == 3
    assert await held(uow, org_id, customer) == 3
    assert (await get_series(uow, org_id, series.id)).num_issued == 3


@pytest.mark.parametrize("resend", [True, False])
async def test_one_per_customer_in_one_batch_resends_or_refuses_with_709(
    uow: SqlUnitOfWork, org_id: int, resend: bool
) -> None:
    series = await a_series(
        uow, org_id, multiple_per_user_allowed=False, do_not_resend_existing=not resend
    )
    customer = await a_customer(uow, org_id)

    first, second = await together(
        issue(uow, org_id, [series], customer, 1), issue(uow, org_id, [series], customer, 2)
    )

    assert (stats(uow).batches, stats(uow).largest) == (1, 2)
    assert isinstance(first, IssueMultipleResult) and len(codes(first)) == 1
    if resend:
        assert isinstance(second, IssueMultipleResult)
        assert coupon_ids(second) == coupon_ids(first)
        assert second.outcomes[0].shortfalls == ((Shortfall.ONLY_ONE_PER_CUSTOMER, 1),)
    else:
        assert isinstance(second, AlreadyHasCoupon) and second.code == 709
    assert await held(uow, org_id, customer) == 1
    assert (await get_series(uow, org_id, series.id)).num_issued == 1


async def test_a_call_naming_a_one_per_customer_series_twice_hands_back_its_own_coupon(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id, multiple_per_user_allowed=False)
    customer = await a_customer(uow, org_id)

    answer = await issue(uow, org_id, [series, series], customer, 1)

    assert isinstance(answer, IssueMultipleResult)
    first, second = answer.outcomes
    assert len(first.coupons) == 1 and second.coupons == first.coupons
    assert await held(uow, org_id, customer) == 1


# --- a batch of calls that succeed, partly succeed and fail ------------------------------------


async def test_a_mixed_batch_gives_each_call_its_own_answer_and_failed_calls_write_nothing(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    plain = await a_series(uow, org_id)
    limited = await a_series(uow, org_id, max_create=3)
    per_user = await a_series(uow, org_id, max_vouchers_per_user=2)
    expired = await a_series(uow, org_id, valid_till=NOW - timedelta(days=1))
    pool_codes = unique_codes(2)
    pool = await a_series(uow, org_id, codes=pool_codes, code_source=CodeSource.UPLOADED)
    people = [await a_customer(uow, org_id) for _ in range(9)]
    nobody = CustomerRef(IdentifierType.MOBILE, "10000000000")
    bulk = BulkIssueRequest([plain.id, expired.id, NO_SUCH_SERIES], by_mobile(people[7]))

    answers = await together(
        issue(uow, org_id, [limited], people[0], 2),  # 2
        issue(uow, org_id, [limited], people[1], 2),  # 1 of 2: 5001
        issue(uow, org_id, [limited], people[2], 1, request_id="r-626"),  # 626
        issue(uow, org_id, [per_user], people[3], 3),  # 2 of 3: 5002
        issue(uow, org_id, [NO_SUCH_SERIES], people[4], 1, request_id="r-707"),  # 707
        issue(uow, org_id, [plain], nobody, 1, request_id="r-701"),  # 701
        issue(uow, org_id, [pool, expired], people[5], 2, request_id="r-713"),  # 713
        issue(uow, org_id, [pool], people[6], 2),  # the pool codes the 713 did not take
        bulk_issue(uow, org_id, bulk, now=NOW),
        issue(uow, org_id, [plain], people[8], 1, request_id="r-ok"),
    )

    assert (stats(uow).batches, stats(uow).largest) == (1, 10)
    two, part_limit, none_left, part_user, no_series, no_customer, gone, pooled, each, ok = answers
    assert isinstance(two, IssueMultipleResult) and two.customer.id == people[0].id
    assert (two.success_count, two.failure_count) == (2, 0)
    assert isinstance(part_limit, IssueMultipleResult) and part_limit.customer.id == people[1].id
    assert part_limit.outcomes[0].shortfalls == ((Shortfall.SERIES_LIMIT, 1),)
    assert part_limit.outcomes[0].series.num_issued == 3
    assert isinstance(none_left, NothingIssued) and none_left.code == 626
    assert isinstance(part_user, IssueMultipleResult)
    assert part_user.outcomes[0].shortfalls == ((Shortfall.PER_CUSTOMER_LIMIT, 1),)
    assert isinstance(no_series, NotFound) and no_series.code == 707
    assert isinstance(no_customer, NotFound) and no_customer.code == 701
    assert isinstance(gone, Expired) and gone.code == 713
    assert isinstance(pooled, IssueMultipleResult) and codes(pooled) == pool_codes
    assert isinstance(each, BulkIssueResult) and each.customer.id == people[7].id
    assert [e.error.code if e.error else None for e in each.entries] == [None, 713, 707]
    assert isinstance(ok, IssueMultipleResult) and ok.customer.id == people[8].id

    assert [await held(uow, org_id, p) for p in people] == [2, 1, 0, 2, 0, 0, 2, 1, 1]
    issued = [(await get_series(uow, org_id, s.id)).num_issued for s in (plain, limited, per_user)]
    assert issued == [2, 3, 2]
    assert await rows_of_series(uow, org_id, pool.id) == (2, 0)
    assert await stored_requests(uow, org_id) == 1  # r-ok; the failed calls gave theirs back


async def test_a_list_call_with_one_exhausted_series_still_gets_the_others(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    exhausted = await a_series(uow, org_id, max_create=1)
    plain = await a_series(uow, org_id)
    customer, bystander = await a_customer(uow, org_id), await a_customer(uow, org_id)
    await issue(uow, org_id, [exhausted], customer)

    answers = await asyncio.gather(
        issue(uow, org_id, [exhausted, plain], customer),
        issue(uow, org_id, [plain], bystander),
        return_exceptions=True,
    )

    assert [type(a).__name__ for a in answers] == ["IssueMultipleResult"] * 2, answers
    listed = answers[0]
    assert isinstance(listed, IssueMultipleResult)
    assert [len(o.coupons) for o in listed.outcomes] == [0, 1]
    assert listed.outcomes[0].shortfalls == ((Shortfall.SERIES_LIMIT, 1),)
    assert (await get_series(uow, org_id, plain.id)).num_issued == 2


async def test_calls_of_two_organisations_in_one_batch_never_see_each_other(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    orgs = (org_id, await ensure_org(uow, f"other-{org_id}-{uuid.uuid4().hex[:8]}"))
    mobile = unique_mobile()
    # Ids are an organisation's own: both orgs' first series and customer get the same ids.
    series = [await a_series(uow, o, max_vouchers_per_user=1) for o in orgs]
    people = [await a_customer(uow, o, mobile=mobile) for o in orgs]
    assert series[0].id == series[1].id and people[0].id == people[1].id

    answers = await together(
        *(
            issue(uow, o, [s], p, 1, "same-key")
            for o, s, p in zip(orgs, series, people, strict=True)
        )
    )

    assert (stats(uow).batches, stats(uow).largest) == (1, 2)  # no key shared: nothing deferred
    assert [len(codes(a)) for a in answers] == [1, 1]
    assert [await held(uow, o, p) for o, p in zip(orgs, people, strict=True)] == [1, 1]
    assert [await stored_requests(uow, o) for o in orgs] == [1, 1]


# --- request ids -------------------------------------------------------------------------------


async def test_one_request_id_twice_in_one_batch_and_again_later_issues_once(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id)
    customer = await a_customer(uow, org_id)

    first, again = await together(
        issue(uow, org_id, [series], customer, 3, request_id="twice"),
        issue(uow, org_id, [series], customer, 3, request_id="twice"),
    )
    later = await issue(uow, org_id, [series], customer, 3, request_id="twice")

    assert len(coupon_ids(first)) == 3
    assert coupon_ids(again) == coupon_ids(first) == coupon_ids(later)
    assert list(stats(uow).sizes) == [2, 1, 1]  # the second waited for the first's commit
    assert await held(uow, org_id, customer) == 3
    assert (await get_series(uow, org_id, series.id)).num_issued == 3
    assert await stored_requests(uow, org_id) == 1


async def test_one_request_id_on_two_replicas_at_once_issues_once(
    org_id: int, uow: SqlUnitOfWork, db_url: str
) -> None:
    series = await a_series(uow, org_id)
    customer = await a_customer(uow, org_id)

    async with replicas(db_url) as (one, two):
        answers = await together(
            *(issue(r, org_id, [series], customer, 3, request_id="everywhere") for r in [one, two]),
            *(issue(r, org_id, [series], customer, 3, request_id="everywhere") for r in [one, two]),
        )
        sizes = [list(stats(one).sizes), list(stats(two).sizes)]

    assert len({tuple(coupon_ids(a)) for a in answers}) == 1 and len(coupon_ids(answers[0])) == 3
    assert sizes == [[2, 1], [2, 1]]
    assert (await get_series(uow, org_id, series.id)).num_issued == 3
    assert await rows_of_series(uow, org_id, series.id) == (3, 0)


# --- a caller whose deadline passes ------------------------------------------------------------


async def _batch_started(uow: SqlUnitOfWork) -> None:
    """Returns in the loop iteration after the first batch took its calls."""
    for _ in range(100):  # The batcher signals nothing; the drain starts within a few turns.
        if stats(uow).batches:
            return
        await asyncio.sleep(0)
    raise AssertionError("no batch started")


@pytest.mark.parametrize("waiting", ["in its running batch", "queued behind a batch"])
async def test_a_caller_whose_deadline_passes_gets_all_of_its_call_or_none(
    uow: SqlUnitOfWork, org_id: int, waiting: str
) -> None:
    series = await a_series(uow, org_id)
    people = [await a_customer(uow, org_id) for _ in range(18)]
    late, others = people[0], people[1:]
    count = 40
    # What a gRPC deadline does to a handler: its task is cancelled where it waits. The deadline
    # passes at a chosen moment, not after a guessed time, so the machine's speed cannot matter.
    deadline = asyncio.timeout(None)

    async def late_call() -> IssueMultipleResult:
        async with deadline:
            return await issue(uow, org_id, [series], late, count, request_id="late")

    def the_others() -> list[asyncio.Future[IssueMultipleResult]]:
        return [asyncio.ensure_future(issue(uow, org_id, [series], p, count)) for p in others]

    running = waiting == "in its running batch"
    tasks = [] if running else the_others()
    if not running:
        await _batch_started(uow)
    late_task = asyncio.ensure_future(late_call())
    if running:
        tasks = the_others()
        await _batch_started(uow)
    else:
        await asyncio.sleep(0)  # It has queued for the next batch.
    deadline.reschedule(asyncio.get_running_loop().time())
    results = await asyncio.gather(*tasks)
    with pytest.raises(TimeoutError):
        await late_task

    ran = stats(uow).calls == len(people)
    late_held = await held(uow, org_id, late)
    assert late_held == (count if ran else 0)
    assert ran is running, (list(stats(uow).sizes), late_held)
    assert all(r.success_count == count for r in results)
    assert await stored_requests(uow, org_id) == (1 if ran else 0)
    total = len(others) * count + late_held
    assert (await get_series(uow, org_id, series.id)).num_issued == total
    # The batcher is not stuck: the next call is a batch of its own and is answered.
    batches = stats(uow).batches
    after = await asyncio.wait_for(issue(uow, org_id, [series], late, 1), 10)
    assert after.success_count == 1
    assert (stats(uow).batches, stats(uow).sizes[-1]) == (batches + 1, 1)


# --- a batch that cannot commit ----------------------------------------------------------------


def _sqlite_disk_error(*_: object) -> None:
    raise sqlite3.OperationalError("disk I/O error")


def _postgres_connection_lost(*_: object) -> None:
    raise asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    )


async def test_a_batch_that_cannot_commit_tells_every_caller_to_retry_and_writes_nothing(
    uow: SqlUnitOfWork, org_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = await a_series(uow, org_id)
    limited = await a_series(uow, org_id, max_create=10)
    pool = await a_series(uow, org_id, codes=unique_codes(3), code_source=CodeSource.UPLOADED)
    people = [await a_customer(uow, org_id) for _ in range(4)]

    def calls() -> list[Awaitable[IssueMultipleResult]]:
        return [
            issue(uow, org_id, [plain], people[0], 2, request_id="commit-0"),
            issue(uow, org_id, [limited], people[1], 3, request_id="commit-1"),
            issue(uow, org_id, [pool], people[2], 2, request_id="commit-2"),
            issue(uow, org_id, [plain, limited, pool], people[3], 1, request_id="commit-3"),
        ]

    async def state() -> list[object]:
        return [
            *[await rows_of_series(uow, org_id, s.id) for s in (plain, limited, pool)],
            *[(await get_series(uow, org_id, s.id)).num_issued for s in (plain, limited, pool)],
            (await get_series(uow, org_id, plain.id)).latest_issued_at,
            await stored_requests(uow, org_id),
        ]

    before = await state()
    with monkeypatch.context() as patch:
        # The last step before COMMIT fails: everything the batch wrote must be undone.
        patch.setattr(SqliteBatchStore, "finish_requests", _sqlite_disk_error)
        patch.setattr(PostgresBatchStore, "finish_requests", _postgres_connection_lost)
        failed = await together(*calls())

    assert (stats(uow).batches, stats(uow).largest) == (1, 4)
    for answer in failed:
        assert isinstance(answer, Unavailable), answer
        assert answer.kind is ErrorKind.UNAVAILABLE and answer.code is ErrorCode.ISSUE_FAILED
    assert await state() == before == [(0, 0), (0, 0), (3, 3), 0, 0, 0, None, 0]

    retried = await together(*calls())
    replayed = await together(*calls())

    assert [coupon_ids(a) for a in replayed] == [coupon_ids(a) for a in retried]
    assert [len(coupon_ids(a)) for a in retried] == [2, 3, 2, 3]
    assert [(await get_series(uow, org_id, s.id)).num_issued for s in (plain, limited, pool)] == [
        3,
        4,
        3,
    ]
    assert await rows_of_series(uow, org_id, pool.id) == (3, 0)
    assert await stored_requests(uow, org_id) == 4
    assert list(stats(uow).sizes) == [4, 4, 4]


# --- two replicas, 64 callers ------------------------------------------------------------------


async def _race(
    db_url: str, org_id: int, requests: list[IssueRequest]
) -> tuple[list[Answer], list[list[Answer]], list[BatchStats]]:
    """Sends every request at once, alternating between two replicas; the answers, the answers
    each replica gave, and each replica's batching."""
    async with replicas(db_url) as units:
        answers: list[Answer] = list(
            await together(
                *(issue_multiple(units[i % 2], org_id, r) for i, r in enumerate(requests))
            )
        )
        return answers, [answers[0::2], answers[1::2]], [stats(u) for u in units]


async def test_a_popular_unlimited_series_counts_exactly_under_64_callers_on_two_replicas(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    series = await a_series(uow, org_id)
    customers = [await a_customer(uow, org_id) for _ in range(16)]
    requests = [IssueRequest([series.id], 2, by_mobile(c)) for c in customers for _ in range(4)]

    answers, per_replica, batching = await _race(db_url, org_id, requests)

    assert sum(s.calls for s in batching) == CALLERS and max(s.largest for s in batching) > 1
    results = [a for a in answers if isinstance(a, IssueMultipleResult)]
    assert len(results) == CALLERS, answers
    issued = [c for r in results for c in r.outcomes[0].coupons]
    assert len({c.code for c in issued}) == len(issued) == 2 * CALLERS
    after = await get_series(uow, org_id, series.id)
    assert after.num_issued == 2 * CALLERS
    assert await rows_of_series(uow, org_id, series.id) == (2 * CALLERS, 0)
    assert after.latest_issued_at == max(c.issued_at for c in issued)

    # numTotal: each answer counts at least its own coupons and never more than in the end; a
    # replica's last batch has seen every commit of that replica. Only one writer at a time
    # (SQLite) makes the last batch see them all.
    totals = [r.outcomes[0].series.num_issued for r in results]
    assert all(
        len(r.outcomes[0].coupons) <= t <= after.num_issued
        for r, t in zip(results, totals, strict=True)
    )
    for replica_answers in per_replica:
        assert isinstance(replica_answers[0], IssueMultipleResult)
        seen = max(a.outcomes[0].series.num_issued for a in replica_answers)  # type: ignore[union-attr]
        assert seen >= sum(len(codes(a)) for a in replica_answers)
    if db_url.startswith("sqlite"):
        assert max(totals) == after.num_issued


async def test_an_uploaded_pool_is_handed_out_exactly_to_64_callers_on_two_replicas(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    pool = unique_codes(100)
    series = await a_series(uow, org_id, codes=pool, code_source=CodeSource.UPLOADED)
    customers = [await a_customer(uow, org_id) for _ in range(8)]
    requests = [IssueRequest([series.id], 3, by_mobile(c)) for c in customers for _ in range(8)]

    answers, _, batching = await _race(db_url, org_id, requests)

    assert sum(s.calls for s in batching) == CALLERS and max(s.largest for s in batching) > 1
    given = [code for a in answers for code in codes(a)]
    assert sorted(given) == sorted(pool)  # every code once, none twice
    failures = Counter(int(a.code) for a in answers if isinstance(a, CouponServiceError))
    results = [a for a in answers if isinstance(a, IssueMultipleResult)]
    assert set(failures) == {int(ErrorCode.SERIES_EXHAUSTED)}  # 702
    assert failures[702] == CALLERS - len(results)
    for result in results:
        got = len(codes(result))
        expected = () if got == 3 else ((Shortfall.POOL_EMPTY, 3 - got),)  # 5005
        assert result.outcomes[0].shortfalls == expected
    assert any(len(codes(r)) < 3 for r in results)  # 100 is no multiple of 3: some 5005
    if db_url.startswith("sqlite"):  # one batch at a time: one call gets the last code
        assert sorted(len(codes(r)) for r in results) == [1] + [3] * 33
    after = await get_series(uow, org_id, series.id)
    assert (after.num_issued, after.num_uploaded, after.num_uploaded_non_issued) == (100, 100, 0)
    assert await rows_of_series(uow, org_id, series.id) == (100, 0)
