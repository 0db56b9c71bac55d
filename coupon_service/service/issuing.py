"""The issuing use cases: IssueMultiple and BulkIssue, with idempotent retries.

Each call is validated here, then joins the next batch of its database (service/batching.py);
the batch reads, plans and writes for all its calls in one transaction (service/issue_batch.py)
and answers each call when it has committed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

from ..domain import validation
from ..domain.errors import CouponServiceError, store_unavailable
from ..domain.model import CustomerRef, IssuanceMetadata
from .batching import Batcher
from .clock import utcnow
from .idempotency import fingerprint
from .inputs import BulkIssueRequest, IssueCall, IssueRequest
from .issue_batch import Answer, BatchReport, CodesRanShort, issue_batch_reported
from .issue_report import report_batch, report_refused
from .results import BulkEntry, BulkIssueResult, IssueMultipleResult
from .telemetry import current_call, telemetry_of
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
    with _validating(uow, org_id, request):
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
    with _validating(uow, org_id, request):
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


@contextlib.contextmanager
def _validating(
    uow: UnitOfWork, org_id: int, request: IssueRequest | BulkIssueRequest
) -> Iterator[None]:
    """Around a call's validation: a refusal is reported to telemetry, and a valid request id
    goes in the call's record (its access line)."""
    try:
        yield
    except CouponServiceError as error:
        report_refused(telemetry_of(uow), [org_id], error)
        raise
    record = current_call()
    if record is not None and request.request_id:
        record.request_id = request.request_id


async def run_issue_batch(uow: UnitOfWork, calls: Sequence[IssueCall]) -> list[Answer]:
    """One batch of calls in one transaction of its own (issue_batch.py)."""
    answers, _ = await run_reported_batch(uow, calls)
    return answers


async def run_reported_batch(
    uow: UnitOfWork, calls: Sequence[IssueCall]
) -> tuple[list[Answer], BatchReport]:
    """`run_issue_batch` with the batch's report; run again draft by draft in the rare batch
    whose codes ran short."""
    kept_for = uow.request_ids_kept_for
    try:
        return await uow.run_batch(
            lambda store: issue_batch_reported(store, calls, request_ids_kept_for=kept_for)
        )
    except CodesRanShort:
        logger.info("an issuing batch of %d calls runs again, draft by draft", len(calls))
        return await uow.run_batch(
            lambda store: issue_batch_reported(
                store, calls, request_ids_kept_for=kept_for, draft_by_draft=True
            )
        )


def issuing_batcher(uow: UnitOfWork) -> Batcher[IssueCall, Answer]:
    """The one batcher of this database's issuing calls, made on first use (after
    attach_telemetry, when there is telemetry)."""
    batcher = uow.batchers.get("issuing")
    if batcher is None:
        telemetry = telemetry_of(uow)

        async def run(calls: Sequence[IssueCall]) -> list[Answer]:
            try:
                answers, report = await run_reported_batch(uow, calls)
            except StoreUnavailable as error:
                logger.warning(
                    "an issuing batch of %d calls was not committed: %s", len(calls), error
                )
                retry = store_unavailable(conflict=isinstance(error, StoreConflict))
                report_refused(telemetry, [call.org_id for call in calls], retry)
                return [retry] * len(calls)
            try:
                report_batch(telemetry, calls, answers, report)
            except Exception:  # The batch has committed: its callers must hear so all the same.
                logger.exception("reporting an issuing batch of %d calls failed", len(calls))
            return answers

        batcher = Batcher(
            run,
            max_calls=MAX_BATCH_CALLS,
            max_weight=MAX_BATCH_COUPONS,
            on_batch=telemetry.batch_ran,
        )
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
