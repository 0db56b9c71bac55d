"""What the issuing calls return: the coupons issued and, per series, why others were not.

A partial success is a normal return value: each series that gave fewer coupons than asked
(IssueMultiple) or none (BulkIssue) is one SeriesFailure holding the typed exception that says
why, not raised. Only a call that failed as a whole raises.
"""

from __future__ import annotations

import dataclasses

from coupon.v1 import coupon_service_pb2

from ._translate import from_issue_error
from .errors import CouponError


@dataclasses.dataclass(frozen=True)
class SeriesFailure:
    """Why a series issued less than asked: `error` is the exception the server's code maps to
    (OnlyOnePerCustomer for 5004, SeriesNotFound for 707, ...), with `code` that number."""

    series_id: int
    error: CouponError


@dataclasses.dataclass(frozen=True)
class IssueResult:
    """IssueMultiple's answer: `coupons` in the order issued, `failures` per series and reason,
    and the whole `response` (couponConfig, customer, counts)."""

    coupons: tuple[coupon_service_pb2.IssuedCoupon, ...]
    failures: tuple[SeriesFailure, ...]
    request_id: str
    response: coupon_service_pb2.IssueMultipleResponse

    @property
    def ok(self) -> bool:
        """Whether every requested coupon was issued."""
        return not self.failures

    @classmethod
    def of(
        cls,
        request: coupon_service_pb2.IssueMultipleRequest,
        response: coupon_service_pb2.IssueMultipleResponse,
    ) -> IssueResult:
        only = request.seriesIds[0] if len(request.seriesIds) == 1 else request.seriesId
        # An answer about one series may leave its errors' seriesId unset (0).
        failures = [
            SeriesFailure(series_id, from_issue_error(entry, series_id))
            for entry in response.errors
            for series_id in [entry.seriesId or only]
        ]
        return cls(tuple(response.coupons), tuple(failures), request.requestId, response)


@dataclasses.dataclass(frozen=True)
class BulkResult:
    """BulkIssue's answer: one coupon per series that issued, one failure per series that did
    not, and the whole `response`."""

    coupons: tuple[coupon_service_pb2.BulkIssueResult, ...]
    failures: tuple[SeriesFailure, ...]
    request_id: str
    response: coupon_service_pb2.BulkIssueResponse

    @property
    def ok(self) -> bool:
        """Whether every series issued its coupon."""
        return not self.failures

    @classmethod
    def of(
        cls,
        request: coupon_service_pb2.BulkIssueRequest,
        response: coupon_service_pb2.BulkIssueResponse,
    ) -> BulkResult:
        entries = response.response
        coupons = [entry.result for entry in entries if entry.HasField("result")]
        failures = [
            SeriesFailure(entry.entityId, from_issue_error(error, entry.entityId))
            for entry in entries
            for error in entry.errors
        ]
        return cls(tuple(coupons), tuple(failures), request.requestId, response)
