"""The issuing use cases: IssueMultiple and BulkIssue, with idempotent retries."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from ..domain import validation
from ..domain.codes import generate_codes
from ..domain.errors import (
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    RequestIdReused,
    customer_not_found,
    series_not_found,
)
from ..domain.issuing import SeriesOutcome, Shortfall, check_still_valid, plan_issue
from ..domain.model import (
    CodeSource,
    Customer,
    CustomerRef,
    IssuanceMetadata,
    IssuedCoupon,
    Series,
)
from .unit_of_work import NewCoupons, RequestIdTaken, StoredRequest, Transaction, UnitOfWork

_CODE_DRAWS = 8
_INSERT_ATTEMPTS = 3
_Result = TypeVar("_Result")


@dataclasses.dataclass(frozen=True)
class IssueRequest:
    """IssueMultiple's input. `series_ids` holds one id for the single-series form."""

    series_ids: list[int]
    count: int | None
    customer: CustomerRef | None
    metadata: IssuanceMetadata = IssuanceMetadata()
    request_id: str | None = None


@dataclasses.dataclass(frozen=True)
class BulkIssueRequest:
    series_ids: list[int]
    customer: CustomerRef | None
    metadata: IssuanceMetadata = IssuanceMetadata()
    request_id: str | None = None


@dataclasses.dataclass(frozen=True)
class IssueMultipleResult:
    customer: Customer
    outcomes: tuple[SeriesOutcome, ...]

    @property
    def total_count(self) -> int:
        return sum(outcome.requested for outcome in self.outcomes)

    @property
    def success_count(self) -> int:
        return sum(len(outcome.coupons) for outcome in self.outcomes)

    @property
    def failure_count(self) -> int:
        return sum(outcome.failure_count for outcome in self.outcomes)


@dataclasses.dataclass(frozen=True)
class BulkEntry:
    """One requested series: the coupon it gave, or why it gave none."""

    series_id: int
    outcome: SeriesOutcome | None
    error: CouponServiceError | None


@dataclasses.dataclass(frozen=True)
class BulkIssueResult:
    customer: Customer
    entries: tuple[BulkEntry, ...]

    @property
    def failure_count(self) -> int:
        return sum(1 for entry in self.entries if entry.error is not None)


def utcnow() -> datetime:
    return datetime.now(UTC)


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
        customer = await _find_customer(tx, org_id, customer_ref)
        locked = await tx.series.lock(org_id, sorted(set(request.series_ids)))
        outcomes = []
        for series_id in request.series_ids:
            series = _issuable(locked, series_id)
            outcome = await _issue_from_series(
                tx, org_id, series, customer, count, request, issued_at
            )
            locked[series_id] = outcome.series
            outcomes.append(outcome)
        if not any(outcome.coupons for outcome in outcomes):
            raise outcomes[0].nothing_issued()
        encoded = json.dumps([_encode_outcome(outcome) for outcome in outcomes])
        return IssueMultipleResult(customer, tuple(outcomes)), encoded

    async def replay(tx: Transaction, stored: str) -> IssueMultipleResult:
        customer = await _find_customer(tx, org_id, customer_ref)
        outcomes = [await _decode_outcome(tx, org_id, item) for item in json.loads(stored)]
        return IssueMultipleResult(customer, tuple(outcomes))

    fingerprint = _fingerprint("IssueMultiple", request)
    return await _once_per_request_id(uow, org_id, request.request_id, fingerprint, work, replay)


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
        customer = await _find_customer(tx, org_id, customer_ref)
        locked = await tx.series.lock(org_id, sorted(set(request.series_ids)))
        entries = []
        for series_id in request.series_ids:
            try:
                series = _issuable(locked, series_id)
                outcome = await _issue_from_series(
                    tx, org_id, series, customer, 1, request, issued_at
                )
                locked[series_id] = outcome.series
                if not outcome.coupons:
                    raise outcome.nothing_issued()
                entries.append(BulkEntry(series_id, outcome, None))
            except CouponServiceError as error:
                entries.append(BulkEntry(series_id, None, error))
        encoded = json.dumps([_encode_entry(entry) for entry in entries])
        return BulkIssueResult(customer, tuple(entries)), encoded

    async def replay(tx: Transaction, stored: str) -> BulkIssueResult:
        customer = await _find_customer(tx, org_id, customer_ref)
        entries = [await _decode_entry(tx, org_id, item) for item in json.loads(stored)]
        return BulkIssueResult(customer, tuple(entries))

    fingerprint = _fingerprint("BulkIssue", request)
    return await _once_per_request_id(uow, org_id, request.request_id, fingerprint, work, replay)


async def _once_per_request_id(
    uow: UnitOfWork,
    org_id: int,
    request_id: str | None,
    fingerprint: str,
    work: Callable[[Transaction], Awaitable[tuple[_Result, str]]],
    replay: Callable[[Transaction, str], Awaitable[_Result]],
) -> _Result:
    """Runs `work` in one transaction, storing its outcome under `request_id` in that same
    transaction; a call that finds the key already stored replays the stored outcome."""
    while True:
        try:
            async with uow.transaction() as tx:
                if request_id:
                    stored = await tx.requests.get(org_id, request_id)
                    if stored is not None:
                        if stored.fingerprint != fingerprint:
                            raise RequestIdReused(
                                ErrorCode.INVALID_INPUT,
                                "requestId was already used for a different request",
                                field="requestId",
                            )
                        return await replay(tx, stored.outcome)
                result, encoded = await work(tx)
                if request_id:
                    await tx.requests.add(org_id, request_id, StoredRequest(fingerprint, encoded))
                return result
        except RequestIdTaken:
            continue  # A concurrent call with the same key committed first: replay it.


async def _find_customer(tx: Transaction, org_id: int, ref: CustomerRef) -> Customer:
    customer = await tx.customers.find(org_id, ref)
    if customer is None:
        raise customer_not_found()
    return customer


def _issuable(locked: dict[int, Series], series_id: int) -> Series:
    series = locked.get(series_id)
    if series is None or series.policy.externally_managed:
        raise series_not_found(series_id)
    return series


async def _issue_from_series(
    tx: Transaction,
    org_id: int,
    series: Series,
    customer: Customer,
    count: int,
    request: IssueRequest | BulkIssueRequest,
    issued_at: datetime,
) -> SeriesOutcome:
    check_still_valid(series, issued_at)
    held, first_held = await tx.coupons.held_by(org_id, series.id, customer.id)
    plan = plan_issue(series, requested=count, held_by_customer=held)
    if plan.resend_held_coupon and first_held is not None:
        return SeriesOutcome(series, count, (first_held,), plan.shortfalls)
    new = NewCoupons(
        series=series,
        customer_id=customer.id,
        issued_at=issued_at,
        valid_till=series.coupon_valid_till(issued_at),
        metadata=request.metadata,
        request_id=request.request_id,
    )
    coupons = await _write_coupons(tx, org_id, new, plan.new_coupons) if plan.new_coupons else []
    shortfalls = plan.shortfalls
    missing = plan.new_coupons - len(coupons)
    if missing:
        uploaded = series.policy.code_source is CodeSource.UPLOADED
        shortfalls += ((Shortfall.POOL_EMPTY if uploaded else Shortfall.OTHER, missing),)
    if coupons:
        await tx.series.record_issued(org_id, series.id, len(coupons), issued_at)
        series = dataclasses.replace(
            series, num_issued=series.num_issued + len(coupons), latest_issued_at=issued_at
        )
    return SeriesOutcome(series, count, tuple(coupons), shortfalls)


async def _write_coupons(
    tx: Transaction, org_id: int, new: NewCoupons, count: int
) -> list[IssuedCoupon]:
    policy = new.series.policy
    if policy.code_source is CodeSource.UPLOADED:
        return await tx.coupons.claim_uploaded(org_id, new, count)
    if policy.code_source is CodeSource.GENERIC:
        return await tx.coupons.insert(org_id, new, [policy.generic_code], shared=True) or []
    for _ in range(_INSERT_ATTEMPTS):
        codes = await _draw_free_codes(tx, org_id, new.series, count)
        inserted = await tx.coupons.insert(org_id, new, codes, shared=False)
        if inserted is not None:
            return inserted
    return []


async def _draw_free_codes(tx: Transaction, org_id: int, series: Series, count: int) -> list[str]:
    """Draws codes until `count` are found that no coupon of the organisation uses yet."""
    policy = series.policy
    codes: list[str] = []
    for _ in range(_CODE_DRAWS):
        drawn = generate_codes(
            count - len(codes),
            length=policy.random_code_length,
            alpha_numeric=policy.alpha_numeric,
            prefix=policy.code_prefix,
            suffix=policy.code_suffix,
        )
        taken = await tx.coupons.taken_codes(org_id, drawn)
        codes.extend(code for code in drawn if code not in taken and code not in codes)
        if len(codes) == count:
            break
    return codes


def _fingerprint(operation: str, request: IssueRequest | BulkIssueRequest) -> str:
    described = {"operation": operation, **dataclasses.asdict(request)}
    described.pop("request_id")
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _encode_outcome(outcome: SeriesOutcome) -> dict[str, object]:
    return {
        "series": outcome.series.id,
        "requested": outcome.requested,
        "coupons": [coupon.id for coupon in outcome.coupons],
        "shortfalls": [[reason.name, count] for reason, count in outcome.shortfalls],
    }


async def _decode_outcome(tx: Transaction, org_id: int, item: dict[str, object]) -> SeriesOutcome:
    series = await tx.series.get(org_id, int(item["series"]))  # type: ignore[call-overload]
    if series is None:
        raise series_not_found(int(item["series"]))  # type: ignore[call-overload]
    coupons = await tx.coupons.by_ids(item["coupons"])  # type: ignore[arg-type]
    shortfalls = tuple((Shortfall[name], count) for name, count in item["shortfalls"])  # type: ignore[attr-defined]
    return SeriesOutcome(series, int(item["requested"]), tuple(coupons), shortfalls)  # type: ignore[call-overload]


def _encode_entry(entry: BulkEntry) -> dict[str, object]:
    if entry.outcome is not None:
        return {"entity": entry.series_id, "outcome": _encode_outcome(entry.outcome)}
    assert entry.error is not None
    error = entry.error
    return {"entity": entry.series_id, "error": [int(error.code), error.message, error.kind.name]}


async def _decode_entry(tx: Transaction, org_id: int, item: dict[str, object]) -> BulkEntry:
    series_id = int(item["entity"])  # type: ignore[call-overload]
    if "outcome" in item:
        outcome = await _decode_outcome(tx, org_id, item["outcome"])  # type: ignore[arg-type]
        return BulkEntry(series_id, outcome, None)
    code, message, kind = item["error"]  # type: ignore[misc]
    error = CouponServiceError(ErrorCode(code), message)
    error.kind = ErrorKind[kind]
    return BulkEntry(series_id, None, error)
