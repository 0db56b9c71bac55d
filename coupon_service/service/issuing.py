"""The issuing use cases: IssueMultiple and BulkIssue, with idempotent retries.

Each call is validated here, then joins the next batch of its database (service/batching.py);
the batch reads, plans and writes for all its calls in one transaction (service/issue_batch.py)
and answers each call when it has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from ..domain import validation
from ..domain.errors import CouponServiceError, store_unavailable
from ..domain.model import CustomerRef, IssuanceMetadata
from .batching import Batcher
from .idempotency import fingerprint
from .issue_batch import Answer, CodesRanShort, issue_batch
from .results import (
    BulkEntry,
    BulkIssueRequest,
    BulkIssueResult,
    IssueCall,
    IssueMultipleResult,
    IssueRequest,
    utcnow,
)
from .unit_of_work import StoreConflict, StoreUnavailable, UnitOfWork

logger = logging.getLogger(__name__)

__all__ = [
    "BulkEntry",
    "BulkIssueRequest",
    "BulkIssueResult",
    "IssueMultipleResult",
    "IssueRequest",
    "bulk_issue",
    "issue_multiple",
    "issuing_batcher",
    "utcnow",
]

# A batch takes at most this many calls and coupons (five of the heaviest calls, see
# validation.MAX_COUPONS_PER_CALL): big enough to share the commit, small enough that no
# caller waits long.
MAX_BATCH_CALLS = 64
MAX_BATCH_COUPONS = 5_000


async def issue_multiple(
    uow: UnitOfWork, org_id: int, request: IssueRequest, *, now: datetime | None = None
) -> IssueMultipleResult:
    """Issues `count` coupons from each named series to one customer, as the policy allows."""
    count = validation.resolve_count(request.count)
    validation.check_series_ids(request.series_ids, "seriesId")
    validation.check_coupons_per_call(count, request.series_ids, "count")
    customer = validation.check_customer(request.customer)
    validation.check_metadata(request.metadata)
    validation.check_request_id(request.request_id)
    call = _call(org_id, "IssueMultiple", request, customer, count, request.metadata, now)
    answer = await issuing_batcher(uow).submit(call, weight=call.weight)
    if isinstance(answer, IssueMultipleResult):
        return answer
    raise _unexpected(answer)


async def bulk_issue(
    uow: UnitOfWork, org_id: int, request: BulkIssueRequest, *, now: datetime | None = None
) -> BulkIssueResult:
    """Issues one coupon from each named series; each series succeeds or fails on its own."""
    validation.check_series_ids(request.series_ids, "seriesIds")
    validation.check_coupons_per_call(1, request.series_ids, "seriesIds")
    customer = validation.check_customer(request.customer)
    validation.check_metadata(request.metadata)
    validation.check_request_id(request.request_id)
    call = _call(org_id, "BulkIssue", request, customer, 1, request.metadata, now)
    answer = await issuing_batcher(uow).submit(call, weight=call.weight)
    if isinstance(answer, BulkIssueResult):
        return answer
    raise _unexpected(answer)


async def run_issue_batch(uow: UnitOfWork, calls: Sequence[IssueCall]) -> list[Answer]:
    """One batch of calls in one transaction of its own (issue_batch.py); run again draft by
    draft in the rare batch whose codes ran short."""
    kept_for = uow.request_ids_kept_for
    try:
        return await uow.run_batch(
            lambda store: issue_batch(store, calls, request_ids_kept_for=kept_for)
        )
    except CodesRanShort:
        logger.info("an issuing batch of %d calls runs again, draft by draft", len(calls))
        return await uow.run_batch(
            lambda store: issue_batch(
                store, calls, request_ids_kept_for=kept_for, draft_by_draft=True
            )
        )


def issuing_batcher(uow: UnitOfWork) -> Batcher[IssueCall, Answer]:
    """The one batcher of this database's issuing calls, made on first use."""
    batcher = uow.batchers.get("issuing")
    if batcher is None:

        async def run(calls: Sequence[IssueCall]) -> list[Answer]:
            try:
                return await run_issue_batch(uow, calls)
            except StoreUnavailable as error:
                logger.warning(
                    "an issuing batch of %d calls was not committed: %s", len(calls), error
                )
                retry = store_unavailable(conflict=isinstance(error, StoreConflict))
                return [retry] * len(calls)

        batcher = Batcher(run, max_calls=MAX_BATCH_CALLS, max_weight=MAX_BATCH_COUPONS)
        uow.batchers["issuing"] = batcher
    return batcher


def _call(
    org_id: int,
    operation: str,
    request: IssueRequest | BulkIssueRequest,
    customer: CustomerRef,
    count: int,
    metadata: IssuanceMetadata,
    now: datetime | None,
) -> IssueCall:
    return IssueCall(
        org_id=org_id,
        bulk=operation == "BulkIssue",
        customer=customer,
        series_ids=tuple(request.series_ids),
        count=count,
        metadata=metadata,
        request_id=request.request_id,
        fingerprint=fingerprint(operation, request) if request.request_id else "",
        issued_at=now or utcnow(),
    )


def _unexpected(answer: object) -> Exception:
    if isinstance(answer, CouponServiceError):
        return answer
    return TypeError(f"an issuing batch answered {answer!r}")
