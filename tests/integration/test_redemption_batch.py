"""Redemption batches on real SQLite and PostgreSQL: many calls decided in one transaction each
see what the calls before them took, a refused call writes nothing, a request id repeated within
a batch waits for the next one, and on PostgreSQL a request id a concurrent transaction stores
first makes the batch run again. Counted in the database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from coupon_service.adapters.tables import events, series_counters
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import CouponServiceError, ErrorCode, RequestIdReused
from coupon_service.domain.model import CodeSource, CustomerRef
from coupon_service.service.batching import DEFER
from coupon_service.service.coupons import list_customer_coupons
from coupon_service.service.inputs import RedeemCall
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.redeem_batch import RedeemAnswer, RedemptionResult, redeem_batch
from coupon_service.service.redemption import RedeemRequest, redeem_coupon
from tests.factories import a_customer, a_series, by_mobile
from tests.redemption_audit import coupon_audit, series_counter


async def _issued_code(uow: SqlUnitOfWork, org_id: int, uses: int) -> tuple[str, CustomerRef]:
    customer = by_mobile(await a_customer(uow, org_id))
    series = await a_series(uow, org_id, max_redemptions_per_coupon=uses)
    await issue_multiple(uow, org_id, IssueRequest([series.id], 1, customer))
    coupon = (await list_customer_coupons(uow, org_id, customer, None, 0, "")).items[0]
    return coupon.coupon.code, customer


def _call(
    org_id: int, code: str, customer: CustomerRef, request_id: str | None = None
) -> RedeemCall:
    request = RedeemRequest(code, customer, bill_number="B-1", request_id=request_id)
    fingerprint = None if request_id is None else f"digest of {code}"
    return RedeemCall(org_id, request, customer, fingerprint, datetime.now(UTC))


async def _one_batch(uow: SqlUnitOfWork, calls: Sequence[RedeemCall]) -> list[RedeemAnswer]:
    return await uow.run_redemption_batch(lambda store: redeem_batch(store, calls))


def _codes(answers: Sequence[RedeemAnswer]) -> list[object]:
    """0 for a redemption, the error code of a refusal, DEFER as it is."""
    return [
        0 if isinstance(a, RedemptionResult) else a.code if isinstance(a, CouponServiceError) else a
        for a in answers
    ]


async def _count(uow: SqlUnitOfWork, query: object) -> int:
    async with uow.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())  # type: ignore[call-overload]


async def test_the_calls_of_one_batch_each_see_what_the_calls_before_them_took(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    code, holder = await _issued_code(uow, org_id, uses=2)
    stranger = by_mobile(await a_customer(uow, org_id))
    calls = [
        _call(org_id, code, holder),
        _call(org_id, code, stranger),
        _call(org_id, code, holder, request_id="same"),
        _call(org_id, "NO-SUCH-CODE", holder),
        _call(org_id, code, holder),
        _call(org_id, code, holder, request_id="same"),
    ]

    answers = await _one_batch(uow, calls)

    assert _codes(answers) == [
        0,
        ErrorCode.COUPON_WRONG_CUSTOMER,
        0,
        ErrorCode.COUPON_NOT_FOUND,
        ErrorCode.COUPON_USED_UP,
        DEFER,
    ]
    first, second = (a for a in answers if isinstance(a, RedemptionResult))
    assert (first.coupon.coupon.redemption_count, second.coupon.coupon.redemption_count) == (1, 2)
    assert first.redemption.id != second.redemption.id
    audit = await coupon_audit(uow.engine, org_id, first.redemption.coupon_id)
    assert (audit.redemption_rows, audit.standing, audit.counted) == (2, 2, 2)
    redeemed = select(func.sum(series_counters.c.num_redeemed)).where(
        series_counters.c.org_id == org_id
    )
    assert await _count(uow, redeemed) == 2
    feed = select(func.count()).select_from(events).where(events.c.org_id == org_id)
    assert await _count(uow, feed) == 1 + 2  # The coupon's ISSUED, then one REDEEMED per use.

    replayed = await _one_batch(uow, [calls[5]])  # The deferred call, in the next batch.
    assert isinstance(replayed[0], RedemptionResult)
    assert replayed[0].redemption == second.redemption


async def test_a_generic_series_total_limit_holds_within_one_batch(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    code = f"TOTAL{uuid.uuid4().hex[:8].upper()}"
    series = await a_series(
        uow, org_id, code_source=CodeSource.GENERIC, generic_code=code, max_redemptions=3
    )
    customers = [by_mobile(await a_customer(uow, org_id)) for _ in range(5)]
    for customer in customers:
        await issue_multiple(uow, org_id, IssueRequest([series.id], 1, customer))

    answers = await _one_batch(uow, [_call(org_id, code, c) for c in customers])

    assert _codes(answers) == [0, 0, 0] + [ErrorCode.SERIES_REDEMPTION_LIMIT_REACHED] * 2
    assert await series_counter(uow.engine, org_id, series.id) == 3
    more = await _one_batch(uow, [_call(org_id, code, customers[4])])
    assert _codes(more) == [ErrorCode.SERIES_REDEMPTION_LIMIT_REACHED]


async def test_a_stored_request_id_replays_or_refuses_a_different_request(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    code, holder = await _issued_code(uow, org_id, uses=5)
    first = await redeem_coupon(uow, org_id, RedeemRequest(code, holder, request_id="k"))

    again = await redeem_coupon(uow, org_id, RedeemRequest(code, holder, request_id="k"))
    with pytest.raises(CouponServiceError) as reused:
        await redeem_coupon(uow, org_id, RedeemRequest(code, holder, "other", request_id="k"))

    assert again.redemption == first.redemption
    assert isinstance(reused.value, RequestIdReused)
    audit = await coupon_audit(uow.engine, org_id, first.redemption.coupon_id)
    assert (audit.redemption_rows, audit.counted) == (1, 1)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_a_request_id_stored_first_by_a_concurrent_transaction_reruns_the_batch(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    """A transaction outside holds the key for another coupon: the batch's insert waits for it,
    finds the key taken at its commit, and the batch runs again and sees the stored one."""
    code, holder = await _issued_code(uow, org_id, uses=1)
    other_code, other_holder = await _issued_code(uow, org_id, uses=1)
    other = (await list_customer_coupons(uow, org_id, other_holder, None, 0, "")).items[0].coupon
    async with uow.engine.connect() as outside:
        await outside.execute(
            text(
                "INSERT INTO redemptions (org_id, coupon_id, series_id, customer_id, redeemed_at,"
                " request_id, fingerprint) VALUES (:org, :coupon, :series, :customer, now(),"
                " 'raced', 'another request')"
            ),
            {
                "org": org_id,
                "coupon": other.id,
                "series": other.series_id,
                "customer": other.customer_id,
            },
        )
        redeeming = asyncio.create_task(
            redeem_coupon(uow, org_id, RedeemRequest(code, holder, request_id="raced"))
        )
        await asyncio.sleep(0.3)
        assert not redeeming.done()  # Its insert waits on the outside transaction's key.
        await outside.commit()
        with pytest.raises(CouponServiceError) as reused:
            await redeeming

    assert isinstance(reused.value, RequestIdReused)
    mine = (await list_customer_coupons(uow, org_id, holder, None, 0, "")).items[0].coupon
    audit = await coupon_audit(uow.engine, org_id, mine.id)
    assert (audit.redemption_rows, audit.counted) == (0, 0)  # The first run rolled back.
    assert other_code != code
