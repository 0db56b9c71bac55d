"""The issuing use cases: IssueMultiple and BulkIssue, with idempotent retries."""

from __future__ import annotations

from datetime import datetime

from ..domain import validation
from ..domain.errors import CouponServiceError, customer_not_found
from ..domain.issuing import SeriesOutcome
from ..domain.model import Customer, CustomerRef
from .idempotency import (
    decode_entries,
    decode_outcomes,
    encode_entries,
    encode_outcomes,
    once_per_request_id,
)
from .results import (
    BulkEntry,
    BulkIssueRequest,
    BulkIssueResult,
    IssueMultipleResult,
    IssueRequest,
    utcnow,
)
from .series_issuer import SeriesIssuer
from .unit_of_work import Transaction, UnitOfWork

__all__ = [
    "BulkEntry",
    "BulkIssueRequest",
    "BulkIssueResult",
    "IssueMultipleResult",
    "IssueRequest",
    "bulk_issue",
    "issue_multiple",
    "utcnow",
]


async def issue_multiple(
    uow: UnitOfWork, org_id: int, request: IssueRequest, *, now: datetime | None = None
) -> IssueMultipleResult:
    """Issues `count` coupons from each named series to one customer, as the policy allows."""
    count = validation.resolve_count(request.count)
    validation.check_series_ids(request.series_ids, "seriesId")
    customer_ref = validation.check_customer(request.customer)
    validation.check_metadata(request.metadata)
    validation.check_request_id(request.request_id)
    issued_at = now or utcnow()

    async def work(tx: Transaction) -> tuple[IssueMultipleResult, str]:
        customer = await find_customer(tx, org_id, customer_ref)
        issuer = SeriesIssuer(tx, org_id, customer, request.metadata, request.request_id, issued_at)
        await issuer.load(request.series_ids)
        outcomes = [await issuer.issue(series_id, count) for series_id in request.series_ids]
        if not any(outcome.coupons for outcome in outcomes):
            raise outcomes[0].nothing_issued()
        outcomes = await issuer.finish(outcomes)
        return IssueMultipleResult(customer, tuple(outcomes)), encode_outcomes(outcomes)

    async def replay(tx: Transaction, stored: str) -> IssueMultipleResult:
        customer = await find_customer(tx, org_id, customer_ref)
        return IssueMultipleResult(customer, tuple(await decode_outcomes(tx, org_id, stored)))

    return await once_per_request_id(
        uow, org_id, "IssueMultiple", request, request.request_id, work, replay
    )


async def bulk_issue(
    uow: UnitOfWork, org_id: int, request: BulkIssueRequest, *, now: datetime | None = None
) -> BulkIssueResult:
    """Issues one coupon from each named series; each series succeeds or fails on its own."""
    validation.check_series_ids(request.series_ids, "seriesIds")
    customer_ref = validation.check_customer(request.customer)
    validation.check_metadata(request.metadata)
    validation.check_request_id(request.request_id)
    issued_at = now or utcnow()

    async def work(tx: Transaction) -> tuple[BulkIssueResult, str]:
        customer = await find_customer(tx, org_id, customer_ref)
        issuer = SeriesIssuer(tx, org_id, customer, request.metadata, request.request_id, issued_at)
        await issuer.load(request.series_ids)
        answers: list[SeriesOutcome | CouponServiceError] = []
        for series_id in request.series_ids:
            try:
                outcome = await issuer.issue(series_id, 1)
                answers.append(outcome if outcome.coupons else outcome.nothing_issued())
            except CouponServiceError as error:
                answers.append(error)
        issued = await issuer.finish([a for a in answers if isinstance(a, SeriesOutcome)])
        fresh = iter(issued)
        entries = tuple(
            BulkEntry(series_id, next(fresh), None)
            if isinstance(answer, SeriesOutcome)
            else BulkEntry(series_id, None, answer)
            for series_id, answer in zip(request.series_ids, answers, strict=True)
        )
        return BulkIssueResult(customer, entries), encode_entries(entries)

    async def replay(tx: Transaction, stored: str) -> BulkIssueResult:
        customer = await find_customer(tx, org_id, customer_ref)
        return BulkIssueResult(customer, tuple(await decode_entries(tx, org_id, stored)))

    return await once_per_request_id(
        uow, org_id, "BulkIssue", request, request.request_id, work, replay
    )


async def find_customer(tx: Transaction, org_id: int, ref: CustomerRef) -> Customer:
    customer = await tx.customers.find(org_id, ref)
    if customer is None:
        raise customer_not_found()
    return customer
