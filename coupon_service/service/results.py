"""The inputs and results of the issuing use cases."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from ..domain.errors import CouponServiceError
from ..domain.issuing import SeriesOutcome
from ..domain.model import Customer, CustomerRef, IssuanceMetadata


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
class IssueCall:
    """One IssueMultiple or BulkIssue call, validated, waiting for its batch."""

    org_id: int
    bulk: bool  # BulkIssue: each series answers alone. IssueMultiple: the call succeeds whole.
    customer: CustomerRef
    series_ids: tuple[int, ...]
    count: int
    metadata: IssuanceMetadata
    request_id: str | None
    fingerprint: str
    issued_at: datetime

    @property
    def weight(self) -> int:
        return self.count * len(self.series_ids)


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
