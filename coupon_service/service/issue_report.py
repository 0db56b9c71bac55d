"""What issuing reports to telemetry: one report per batch, summed by series and documented code.

A failed entry is counted under the series it names (its error's seriesId, or the call's one
series) only when the batch found that series in the caller's organisation, else under "":
a caller naming made-up series ids must not make up label values. A replayed request id
reports no coupons and no failed entries again; a call refused anew (a reused id) is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from ..domain.errors import CouponServiceError
from ..domain.model import Series
from .inputs import IssueCall
from .issue_batch import Answer, BatchReport
from .results import BulkIssueResult, IssueMultipleResult
from .telemetry import FailureKey, IssuedKey, IssueTelemetry, SeriesKey


def report_batch(
    telemetry: IssueTelemetry,
    calls: Sequence[IssueCall],
    answers: Sequence[Answer],
    report: BatchReport,
) -> None:
    """Reports a committed batch: its coupons, its failed entries and its pools' codes left."""
    issued: dict[IssuedKey, int] = {
        (*key, report.series[key].policy.code_source): count
        for key, count in report.issued.items()
        if count
    }
    failures: Counter[FailureKey] = Counter()
    for index, (call, answer) in enumerate(zip(calls, answers, strict=True)):
        if isinstance(answer, CouponServiceError):
            series_id = _named_series(answer, call.series_ids)
            failures[call.org_id, _label(call.org_id, series_id, report.series), answer.code] += 1
        elif index in report.replayed:
            continue
        elif isinstance(answer, IssueMultipleResult):
            for outcome in answer.outcomes:
                for reason, _count in outcome.shortfalls:
                    failures[call.org_id, str(outcome.series.id), reason.partial_code] += 1
        elif isinstance(answer, BulkIssueResult):
            for entry in answer.entries:
                if entry.error is not None:
                    label = _label(call.org_id, entry.series_id, report.series)
                    failures[call.org_id, label, entry.error.code] += 1
    if issued:
        telemetry.coupons_issued(issued)
    if failures:
        telemetry.issue_failed(failures)
    if report.pools_left:
        telemetry.pools_left(report.pools_left)


def report_refused(
    telemetry: IssueTelemetry, org_ids: Sequence[int], error: CouponServiceError
) -> None:
    """Reports calls (by their organisations) that failed whole without a batch's reads:
    refused before joining one, or in a batch that could not commit. No series is known."""
    telemetry.issue_failed(Counter((org_id, "", error.code) for org_id in org_ids))


def _named_series(error: CouponServiceError, series_ids: Sequence[int]) -> int | None:
    named = error.metadata.get("seriesId")
    if named is not None:
        return int(named) if named.isdigit() else None
    distinct = set(series_ids)
    return distinct.pop() if len(distinct) == 1 else None


def _label(org_id: int, series_id: int | None, found: Mapping[SeriesKey, Series]) -> str:
    return str(series_id) if series_id is not None and (org_id, series_id) in found else ""
