"""Idempotency keys: a call's outcome is stored with its key in the call's own transaction,
and a retry with the same key replays it instead of issuing again."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ..domain.errors import (
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    RequestIdReused,
    series_not_found,
)
from ..domain.issuing import SeriesOutcome, Shortfall
from .results import BulkEntry, BulkIssueRequest, IssueRequest
from .unit_of_work import RequestIdTaken, StoredRequest, Transaction, UnitOfWork

_Result = TypeVar("_Result")


async def once_per_request_id(
    uow: UnitOfWork,
    org_id: int,
    operation: str,
    request: IssueRequest | BulkIssueRequest,
    request_id: str | None,
    work: Callable[[Transaction], Awaitable[tuple[_Result, str]]],
    replay: Callable[[Transaction, str], Awaitable[_Result]],
) -> _Result:
    """Runs `work` in one transaction, storing its outcome under `request_id` in that same
    transaction; a call that finds the key already stored replays the stored outcome."""
    fingerprint = _fingerprint(operation, request) if request_id else ""
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


def _fingerprint(operation: str, request: IssueRequest | BulkIssueRequest) -> str:
    described = {"operation": operation, **dataclasses.asdict(request)}
    described.pop("request_id")
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _encode_outcome(outcome: SeriesOutcome) -> dict[str, Any]:
    return {
        "series": outcome.series.id,
        "requested": outcome.requested,
        "coupons": [coupon.id for coupon in outcome.coupons],
        "shortfalls": [[reason.name, count] for reason, count in outcome.shortfalls],
    }


async def _decode_outcome(tx: Transaction, org_id: int, item: dict[str, Any]) -> SeriesOutcome:
    series = await tx.series.get(org_id, int(item["series"]))
    if series is None:
        raise series_not_found(int(item["series"]))
    coupons = await tx.coupons.by_ids(org_id, item["coupons"])
    shortfalls = tuple((Shortfall[name], count) for name, count in item["shortfalls"])
    return SeriesOutcome(series, int(item["requested"]), tuple(coupons), shortfalls)


def encode_outcomes(outcomes: Sequence[SeriesOutcome]) -> str:
    return json.dumps([_encode_outcome(outcome) for outcome in outcomes])


async def decode_outcomes(tx: Transaction, org_id: int, stored: str) -> list[SeriesOutcome]:
    return [await _decode_outcome(tx, org_id, item) for item in json.loads(stored)]


def encode_entries(entries: Sequence[BulkEntry]) -> str:
    encoded: list[dict[str, Any]] = []
    for entry in entries:
        if entry.outcome is not None:
            encoded.append({"entity": entry.series_id, "outcome": _encode_outcome(entry.outcome)})
        elif entry.error is not None:
            error = entry.error
            described = [int(error.code), error.message, error.kind.name]
            encoded.append({"entity": entry.series_id, "error": described})
    return json.dumps(encoded)


async def decode_entries(tx: Transaction, org_id: int, stored: str) -> list[BulkEntry]:
    entries = []
    for item in json.loads(stored):
        series_id = int(item["entity"])
        if "outcome" in item:
            outcome = await _decode_outcome(tx, org_id, item["outcome"])
            entries.append(BulkEntry(series_id, outcome, None))
            continue
        code, message, kind = item["error"]
        error = CouponServiceError(ErrorCode(code), message)
        error.kind = ErrorKind[kind]
        entries.append(BulkEntry(series_id, None, error))
    return entries
