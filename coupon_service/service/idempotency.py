"""Idempotency keys: a call's outcome is stored with its key in the call's own transaction,
and a retry with the same key replays it instead of issuing again.

A key is kept for a window (24 hours unless configured, as Stripe keeps its keys): within it,
the same key always answers with the first outcome; after it, the key is new again, and the
background pruner removes it a chunk at a time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..domain.errors import (
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    RequestIdReused,
    series_not_found,
)
from ..domain.issuing import SeriesOutcome, Shortfall
from ..domain.model import IssuedCoupon, Series
from .inputs import BulkIssueRequest, IssueRequest
from .results import BulkEntry
from .unit_of_work import UnitOfWork

REQUEST_IDS_KEPT_FOR = timedelta(hours=24)
PRUNE_CHUNK = 1000


async def prune_request_ids(uow: UnitOfWork, *, now: datetime, kept_for: timedelta) -> int:
    """Removes the keys stored before `now - kept_for`, in short transactions of PRUNE_CHUNK
    rows, so issuing waits at most one chunk's delete; returns how many were removed."""
    removed = 0
    while True:
        async with uow.transaction() as tx:
            chunk = await tx.requests.remove_stored_before(now - kept_for, PRUNE_CHUNK)
        removed += chunk
        if chunk < PRUNE_CHUNK:
            return removed
        await asyncio.sleep(0)  # Calls waiting for the connection go first.


def fingerprint(operation: str, request: IssueRequest | BulkIssueRequest) -> str:
    """What a request asks for, without its key: a retry must match it to be replayed."""
    described = {"operation": operation, **dataclasses.asdict(request)}
    described.pop("request_id")
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def request_id_reused(key_name: str = "requestId") -> RequestIdReused:
    """`key_name` is the key as the caller sent it, which only the door knows: the use case
    says `requestId` (the gRPC field), the REST shim says its `Idempotency-Key` header."""
    return RequestIdReused(
        ErrorCode.INVALID_INPUT,
        f"{key_name} was already used for a different request",
        field=key_name,
    )


def _encode_outcome(outcome: SeriesOutcome) -> dict[str, Any]:
    return {
        "series": outcome.series.id,
        "requested": outcome.requested,
        "coupons": [coupon.id for coupon in outcome.coupons],
        "shortfalls": [[reason.name, count] for reason, count in outcome.shortfalls],
    }


def encode_outcomes(outcomes: Sequence[SeriesOutcome]) -> str:
    return json.dumps([_encode_outcome(outcome) for outcome in outcomes])


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


def _stored_outcomes(items: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item.get("outcome", item)


def stored_references(stored: str) -> tuple[list[int], list[int]]:
    """The series ids and coupon ids a stored outcome names: what a replay must read."""
    outcomes = [o for o in _stored_outcomes(json.loads(stored)) if "series" in o]
    return [int(o["series"]) for o in outcomes], [int(i) for o in outcomes for i in o["coupons"]]


def _decode_outcome(
    item: Mapping[str, Any],
    series_of: Callable[[int], Series | None],
    coupons: Mapping[int, IssuedCoupon],
) -> SeriesOutcome:
    series = series_of(int(item["series"]))
    if series is None:
        raise series_not_found(int(item["series"]))
    issued = tuple(coupons[int(i)] for i in item["coupons"] if int(i) in coupons)
    shortfalls = tuple((Shortfall[name], count) for name, count in item["shortfalls"])
    return SeriesOutcome(series, int(item["requested"]), issued, shortfalls)


def decode_outcomes(
    stored: str,
    series_of: Callable[[int], Series | None],
    coupons: Mapping[int, IssuedCoupon],
) -> list[SeriesOutcome]:
    return [_decode_outcome(item, series_of, coupons) for item in json.loads(stored)]


def decode_entries(
    stored: str,
    series_of: Callable[[int], Series | None],
    coupons: Mapping[int, IssuedCoupon],
) -> list[BulkEntry]:
    entries = []
    for item in json.loads(stored):
        series_id = int(item["entity"])
        if "outcome" in item:
            outcome = _decode_outcome(item["outcome"], series_of, coupons)
            entries.append(BulkEntry(series_id, outcome, None))
            continue
        code, message, kind = item["error"]
        error = CouponServiceError(ErrorCode(code), message)
        error.kind = ErrorKind[kind]
        entries.append(BulkEntry(series_id, None, error))
    return entries
