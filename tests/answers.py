"""Running issuing calls at once and reading their answers: shared by the batch test suites."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from coupon_service.domain.errors import CouponServiceError
from coupon_service.service.issuing import BulkIssueResult, IssueMultipleResult

_T = TypeVar("_T")


async def together(*calls: Awaitable[_T]) -> list[_T | CouponServiceError]:
    """Runs the calls at once, so that those on one unit of work queue for the same batch; a
    coupon error is an answer, anything else a failure of the test."""
    answers = await asyncio.gather(*calls, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, CouponServiceError):
            raise answer
    return answers  # type: ignore[return-value]


def codes(answer: IssueMultipleResult | BulkIssueResult | CouponServiceError) -> list[str]:
    if isinstance(answer, IssueMultipleResult):
        return [c.code for outcome in answer.outcomes for c in outcome.coupons]
    if isinstance(answer, BulkIssueResult):
        return [c.code for e in answer.entries if e.outcome for c in e.outcome.coupons]
    return []


def coupon_ids(answer: IssueMultipleResult | CouponServiceError) -> list[int]:
    assert isinstance(answer, IssueMultipleResult), answer
    return [c.id for outcome in answer.outcomes for c in outcome.coupons]
