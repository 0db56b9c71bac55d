"""The results of the issuing use cases: per series what was issued, or why not."""

from __future__ import annotations

import dataclasses

from ..domain.errors import CouponServiceError
from ..domain.issuing import SeriesOutcome
from ..domain.model import Customer


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
