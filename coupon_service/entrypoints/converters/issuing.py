"""IssueMultiple and BulkIssue messages <-> the issuing use cases' requests and results."""

from __future__ import annotations

import functools

from coupon.v1 import common_pb2, coupon_service_pb2

from ...domain import validation
from ...domain.errors import CouponServiceError
from ...domain.issuing import SeriesOutcome
from ...domain.model import CodeSource, Customer, IssuedCoupon, Series
from ...service.issuing import (
    BulkIssueRequest,
    BulkIssueResult,
    IssueMultipleResult,
    IssueRequest,
)
from ._wire import customer_ref, metadata, millis, server_local_iso, to_timestamp

NO_VALUE = "NO_VALUE"


def issue_request(message: coupon_service_pb2.IssueMultipleRequest) -> IssueRequest:
    validation.check_series_named_once(message.seriesId != 0, len(message.seriesIds) > 0)
    series_ids = list(message.seriesIds) or ([message.seriesId] if message.seriesId else [])
    return IssueRequest(
        series_ids=series_ids,
        count=message.count if message.HasField("count") else None,
        customer=customer_ref(message.customer),
        metadata=metadata(message.metadata),
        request_id=message.requestId or None,
    )


def bulk_issue_request(message: coupon_service_pb2.BulkIssueRequest) -> BulkIssueRequest:
    return BulkIssueRequest(
        series_ids=list(message.seriesIds),
        customer=customer_ref(message.customer),
        metadata=metadata(message.metadata),
        request_id=message.requestId or None,
    )


def several_series(result: IssueMultipleResult) -> bool:
    """Whether the answer takes the several-series shape: `couponConfigs` filled and, over
    REST, the series of each coupon and error named. The one place both doors ask."""
    return len(result.outcomes) > 1


def coupon_config(series: Series) -> coupon_service_pb2.CouponConfig:
    policy = series.policy
    return coupon_service_pb2.CouponConfig(
        customPropertyMap=dict(policy.custom_properties),
        id=series.id,
        description=policy.description,
        discountCode=policy.discount_code or NO_VALUE,
        info=policy.info,
        discountUpto=policy.discount_upto,
        discountValue=policy.discount_value,
        numUploadedNonIssued=series.num_uploaded_non_issued,
        numUploadedTotal=series.num_uploaded,
        redemptionValidAfterDays=policy.redemption_valid_after_days,
        alphaNumeric=policy.alpha_numeric,
        randomCodeLength=policy.random_code_length
        if policy.code_source is CodeSource.GENERATED
        else 0,
        fixedExpiryDate=millis(policy.fixed_expiry_date),
        numTotal=series.num_issued,
        latestIssualTime=millis(series.latest_issued_at),
        latestRedemptionTime=millis(series.latest_redeemed_at),
        discountOn=policy.discount_on,
        discountType=policy.discount_type.value,
    )


# Answers to one customer repeat their view; a message given to a constructor is copied, so
# the cached ones are never changed.
@functools.lru_cache(maxsize=4096)
def customer_view(customer: Customer) -> coupon_service_pb2.CustomerView:
    identifiers = [
        coupon_service_pb2.CustomerIdentifier(type=kind, value=value)
        for kind, value in (
            ("email", customer.email),
            ("mobile", customer.mobile),
            ("externalId", customer.external_id),
        )
        if value
    ]
    profile = coupon_service_pb2.CustomerProfile(
        firstName=customer.first_name,
        lastName=customer.last_name,
        identifiers=identifiers,
        userId=customer.id,
        autoUpdateTime=server_local_iso(customer.updated_at),
        identifiersAll=identifiers,
    )
    return coupon_service_pb2.CustomerView(id=customer.id, profiles=[profile])


def issued_coupon(coupon: IssuedCoupon) -> coupon_service_pb2.IssuedCoupon:
    return coupon_service_pb2.IssuedCoupon(
        code=coupon.code,
        couponId=coupon.id,
        seriesId=coupon.series_id,
        validTill=to_timestamp(coupon.valid_till),
        issuedAt=to_timestamp(coupon.issued_at),
    )


def _outcome_errors(outcome: SeriesOutcome) -> list[common_pb2.IssueError]:
    return [
        common_pb2.IssueError(
            status=False,
            code=int(reason.partial_code),
            message=reason.message,
            seriesId=outcome.series.id,
        )
        for reason, _count in outcome.shortfalls
    ]


def issue_multiple_response(
    result: IssueMultipleResult,
) -> coupon_service_pb2.IssueMultipleResponse:
    configs = [coupon_config(outcome.series) for outcome in result.outcomes]
    return coupon_service_pb2.IssueMultipleResponse(
        coupons=[issued_coupon(c) for outcome in result.outcomes for c in outcome.coupons],
        couponConfig=configs[0],
        totalCount=result.total_count,
        failureCount=result.failure_count,
        successCount=result.success_count,
        customer=customer_view(result.customer),
        errors=[e for outcome in result.outcomes for e in _outcome_errors(outcome)],
        couponConfigs=configs if several_series(result) else [],
    )


def error_entry(error: CouponServiceError, series_id: int = 0) -> common_pb2.IssueError:
    """An `errors` entry; `series_id` names the series it is about (0: the call as a whole)."""
    return common_pb2.IssueError(
        status=False, code=int(error.code), message=error.message, seriesId=series_id
    )


def _bulk_result(outcome: SeriesOutcome) -> coupon_service_pb2.BulkIssueResult:
    series, coupon = outcome.series, outcome.coupons[0]
    policy = series.policy
    return coupon_service_pb2.BulkIssueResult(
        code=coupon.code,
        seriesId=series.id,
        description=policy.description,
        discountCode=policy.discount_code or NO_VALUE,
        validTill=to_timestamp(coupon.valid_till),
        discountType=policy.discount_type.value,
        discountValue=policy.discount_value,
        discountUpto=policy.discount_upto,
        discountOn=policy.discount_on,
        detailedInfo=policy.info,
        redemptionCount=coupon.redemption_count,
        id=coupon.id,
    )


def bulk_issue_response(result: BulkIssueResult) -> coupon_service_pb2.BulkIssueResponse:
    entries = []
    for entry in result.entries:
        message = coupon_service_pb2.BulkIssueEntry(entityId=entry.series_id)
        if entry.outcome is not None:
            message.result.CopyFrom(_bulk_result(entry.outcome))
        if entry.error is not None:
            message.errors.append(error_entry(entry.error, entry.series_id))
        entries.append(message)
    return coupon_service_pb2.BulkIssueResponse(
        response=entries, totalCount=len(entries), failureCount=result.failure_count
    )
