"""The guarantees under concurrency: no code twice, no limit exceeded, on SQLite and PostgreSQL.

64 callers at once, spread over two engines (two "replicas", each with its own pool).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import CouponServiceError, ErrorCode
from coupon_service.domain.model import CodeSource
from coupon_service.service.issuing import IssueMultipleResult, IssueRequest, issue_multiple
from coupon_service.service.series import get_series
from tests.factories import a_customer, a_series, by_mobile, unique_codes

CALLERS = 64


async def _race(
    db_url: str, org_id: int, requests: list[IssueRequest]
) -> list[IssueMultipleResult | CouponServiceError]:
    """Sends every request at once, alternating between two independent engines."""
    replicas = [SqlUnitOfWork(create_engine(db_url)) for _ in range(2)]

    async def call(index: int, request: IssueRequest) -> IssueMultipleResult | CouponServiceError:
        try:
            return await issue_multiple(replicas[index % 2], org_id, request)
        except CouponServiceError as error:
            return error

    try:
        return await asyncio.gather(*(call(i, r) for i, r in enumerate(requests)))
    finally:
        for replica in replicas:
            await replica.engine.dispose()


def _split(
    outcomes: list[IssueMultipleResult | CouponServiceError],
) -> tuple[list[str], Counter[int]]:
    codes = [
        coupon.code
        for outcome in outcomes
        if isinstance(outcome, IssueMultipleResult)
        for series_outcome in outcome.outcomes
        for coupon in series_outcome.coupons
    ]
    failures = Counter(int(o.code) for o in outcomes if isinstance(o, CouponServiceError))
    return codes, failures


async def test_a_small_pool_is_claimed_exactly_once_per_code(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    pool = unique_codes(10)
    series = await a_series(uow, org_id, codes=pool, code_source=CodeSource.UPLOADED)
    customers = [await a_customer(uow, org_id) for _ in range(CALLERS)]
    requests = [IssueRequest([series.id], 1, by_mobile(customer)) for customer in customers]

    codes, failures = _split(await _race(db_url, org_id, requests))

    assert sorted(codes) == sorted(pool)
    assert failures == Counter({int(ErrorCode.SERIES_EXHAUSTED): CALLERS - len(pool)})
    after = await get_series(uow, org_id, series.id)
    assert (after.num_issued, after.num_uploaded_non_issued) == (10, 0)


async def test_max_create_is_never_exceeded(uow: SqlUnitOfWork, org_id: int, db_url: str) -> None:
    series = await a_series(uow, org_id, max_create=10)
    customers = [await a_customer(uow, org_id) for _ in range(CALLERS)]
    requests = [IssueRequest([series.id], 1, by_mobile(customer)) for customer in customers]

    codes, failures = _split(await _race(db_url, org_id, requests))

    assert len(codes) == 10 and len(set(codes)) == 10
    assert failures == Counter({int(ErrorCode.SERIES_LIMIT_REACHED): CALLERS - 10})
    assert (await get_series(uow, org_id, series.id)).num_issued == 10


async def test_max_vouchers_per_user_holds_for_one_customer_calling_at_once(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    series = await a_series(uow, org_id, max_vouchers_per_user=3)
    customer = await a_customer(uow, org_id)
    requests = [IssueRequest([series.id], 1, by_mobile(customer)) for _ in range(CALLERS)]

    codes, failures = _split(await _race(db_url, org_id, requests))

    assert len(set(codes)) == len(codes) == 3
    assert failures == Counter({int(ErrorCode.MAX_COUPONS_PER_CUSTOMER_REACHED): CALLERS - 3})


async def test_one_per_customer_hands_every_caller_the_same_coupon(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    series = await a_series(uow, org_id, multiple_per_user_allowed=False)
    customer = await a_customer(uow, org_id)
    requests = [IssueRequest([series.id], 1, by_mobile(customer)) for _ in range(CALLERS)]

    codes, failures = _split(await _race(db_url, org_id, requests))

    assert len(codes) == CALLERS and len(set(codes)) == 1
    assert not failures
    assert (await get_series(uow, org_id, series.id)).num_issued == 1


async def test_batches_of_generated_codes_never_repeat_a_code(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    # Four-digit codes with room for 500: collisions between callers are likely, and must be
    # resolved by drawing again, never by issuing a code twice.
    series = await a_series(uow, org_id, random_code_length=4, max_create=500)
    customers = [await a_customer(uow, org_id) for _ in range(16)]
    requests = [IssueRequest([series.id], 25, by_mobile(customer)) for customer in customers]

    codes, failures = _split(await _race(db_url, org_id, requests))

    assert len(codes) == 400 and len(set(codes)) == 400
    assert not failures


@pytest.mark.parametrize("callers", [16])
async def test_concurrent_retries_with_one_request_id_issue_once(
    uow: SqlUnitOfWork, org_id: int, db_url: str, callers: int
) -> None:
    series = await a_series(uow, org_id)
    customer = await a_customer(uow, org_id)
    request = IssueRequest([series.id], 3, by_mobile(customer), request_id="retry-me")

    outcomes = await _race(db_url, org_id, [request] * callers)

    assert all(isinstance(outcome, IssueMultipleResult) for outcome in outcomes)
    codes_per_call = {
        tuple(c.code for c in outcome.outcomes[0].coupons)  # type: ignore[union-attr]
        for outcome in outcomes
    }
    assert len(codes_per_call) == 1 and len(next(iter(codes_per_call))) == 3
    assert (await get_series(uow, org_id, series.id)).num_issued == 3


async def test_unlimited_series_count_every_coupon_without_a_lock(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    series = await a_series(uow, org_id)
    customers = [await a_customer(uow, org_id) for _ in range(16)]
    requests = [IssueRequest([series.id], 2, by_mobile(c)) for c in customers for _ in range(4)]

    codes, failures = _split(await _race(db_url, org_id, requests))

    assert len(codes) == len(set(codes)) == 2 * CALLERS
    assert not failures
    assert (await get_series(uow, org_id, series.id)).num_issued == 2 * CALLERS


async def test_several_series_in_opposite_orders_never_deadlock(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    # Series named in opposite orders by concurrent callers: their rows are locked in one
    # global order (ascending ids), so no two calls wait on each other in a ring.
    ids = [(await a_series(uow, org_id)).id for _ in range(4)]
    customer = await a_customer(uow, org_id)
    orders = [ids, ids[::-1]]
    requests = [IssueRequest(orders[i % 2], 1, by_mobile(customer)) for i in range(CALLERS)]

    codes, failures = _split(await _race(db_url, org_id, requests))

    assert not failures
    assert len(codes) == len(set(codes)) == len(ids) * CALLERS
    for series_id in ids:
        assert (await get_series(uow, org_id, series_id)).num_issued == CALLERS
