"""Proto <-> domain translation, in one place for every entry point (gRPC and the REST shim)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    customer_service_pb2,
    series_service_pb2,
)

from ..domain.errors import CouponServiceError, InvalidRequest, invalid_input
from ..domain.issuing import SeriesOutcome
from ..domain.model import (
    CodeSource,
    CouponValidity,
    Customer,
    CustomerRef,
    DiscountType,
    IdentifierType,
    IssuanceMetadata,
    IssuedCoupon,
    Series,
    SeriesPolicy,
)
from ..service.customers import CustomerChanges
from ..service.issuing import (
    BulkIssueRequest,
    BulkIssueResult,
    IssueMultipleResult,
    IssueRequest,
)

NO_VALUE = "NO_VALUE"


# A batch's coupons share a few moments, so each is converted once. Message constructors copy
# a Timestamp they are given, so the cached ones are never changed.
@functools.lru_cache(maxsize=1024)
def to_timestamp(moment: datetime | None) -> Timestamp | None:
    """To the second: issuedAt, validTill and every other time of both doors."""
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(microsecond=0))
    return stamp


def _datetime(stamp: Timestamp, present: bool, field: str) -> datetime | None:
    """The moment a request's Timestamp names; one outside years 1 to 9999, or with nanos
    outside a second, is no moment at all (and would fail the conversion)."""
    if not present:
        return None
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise invalid_input(field, f"Invalid input: {field} is not a valid timestamp") from None


def _millis(moment: datetime | None) -> int:
    return 0 if moment is None else int(moment.timestamp() * 1000)


@functools.lru_cache(maxsize=4096)
def server_local_iso(moment: datetime) -> str:
    """ISO 8601 in the server's time zone, with Z for UTC, as the documents show it."""
    text = moment.astimezone().isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


# --- requests -----------------------------------------------------------------------------


def customer_ref(message: common_pb2.CustomerRef) -> CustomerRef | None:
    which = message.WhichOneof("identifier")
    if which is None:
        return None
    kind = {
        "id": IdentifierType.ID,
        "mobile": IdentifierType.MOBILE,
        "email": IdentifierType.EMAIL,
        "externalId": IdentifierType.EXTERNAL_ID,
    }[which]
    return CustomerRef(kind, str(getattr(message, which)))


def metadata(message: common_pb2.IssuanceMetadata) -> IssuanceMetadata:
    return IssuanceMetadata(
        source_type=message.sourceType,
        source_id=message.sourceId,
        source_activity=message.sourceActivity,
        notes=message.notes,
        reason=message.reason,
    )


def series_named_twice() -> InvalidRequest:
    """Both spellings of the series at once: which one was meant cannot be known."""
    return invalid_input("seriesIds", "set seriesId or seriesIds, not both")


def issue_request(message: coupon_service_pb2.IssueMultipleRequest) -> IssueRequest:
    if message.seriesIds and message.seriesId:
        raise series_named_twice()
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


def series_policy(message: series_service_pb2.Series) -> SeriesPolicy:
    return SeriesPolicy(
        description=message.description,
        discount_code=message.discount_code,
        info=message.info,
        discount_type=DiscountType.PERC
        if message.discount_type == series_service_pb2.DISCOUNT_TYPE_PERC
        else DiscountType.ABS,
        discount_value=message.discount_value,
        discount_upto=message.discount_upto,
        discount_on=message.discount_on or "BILL",
        code_source={
            series_service_pb2.CODE_SOURCE_UPLOADED: CodeSource.UPLOADED,
            series_service_pb2.CODE_SOURCE_GENERIC: CodeSource.GENERIC,
        }.get(message.code_source, CodeSource.GENERATED),
        random_code_length=message.random_code_length or 10,
        alpha_numeric=message.alpha_numeric,
        code_prefix=message.code_prefix,
        code_suffix=message.code_suffix,
        generic_code=message.generic_code,
        valid_till=_datetime(message.valid_till, message.HasField("valid_till"), "validTill"),
        coupon_validity={
            series_service_pb2.COUPON_VALIDITY_FIXED_DATE: CouponValidity.FIXED_DATE,
            series_service_pb2.COUPON_VALIDITY_DAYS_AFTER_ISSUE: CouponValidity.DAYS_AFTER_ISSUE,
        }.get(message.coupon_validity, CouponValidity.SERIES_EXPIRY),
        fixed_expiry_date=_datetime(
            message.fixed_expiry_date, message.HasField("fixed_expiry_date"), "fixedExpiryDate"
        ),
        valid_days_after_issue=message.valid_days_after_issue,
        max_create=message.max_create if message.HasField("max_create") else None,
        multiple_per_user_allowed=message.is_multiple_vouchers_per_user_allowed,
        max_vouchers_per_user=message.max_vouchers_per_user
        if message.HasField("max_vouchers_per_user")
        else None,
        do_not_resend_existing_voucher=message.do_not_resend_existing_voucher,
        externally_managed=message.externally_managed,
        redemption_valid_after_days=message.redemption_valid_after_days,
        custom_properties=dict(message.custom_property_map),
        max_redemptions_per_coupon=message.max_redemptions_per_coupon
        if message.HasField("max_redemptions_per_coupon")
        else 1,
        max_redemptions_per_customer=message.max_redemptions_per_customer
        if message.HasField("max_redemptions_per_customer")
        else None,
        max_redemptions=message.max_redemptions if message.HasField("max_redemptions") else None,
    )


def new_customer(message: customer_service_pb2.Customer) -> Customer:
    epoch = datetime.fromtimestamp(0, UTC)
    return Customer(
        id=message.id,
        first_name=message.first_name,
        last_name=message.last_name,
        mobile=message.mobile or None,
        email=message.email or None,
        external_id=message.external_id or None,
        created_at=epoch,
        updated_at=epoch,
    )


def customer_changes(message: customer_service_pb2.UpdateCustomerRequest) -> CustomerChanges:
    fields = ("first_name", "last_name", "mobile", "email", "external_id")
    return CustomerChanges(
        **{name: getattr(message, name) if message.HasField(name) else None for name in fields}
    )


# --- responses ----------------------------------------------------------------------------


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
        fixedExpiryDate=_millis(policy.fixed_expiry_date),
        numTotal=series.num_issued,
        latestIssualTime=_millis(series.latest_issued_at),
        latestRedemptionTime=_millis(series.latest_redeemed_at),
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
    several = len(result.outcomes) > 1
    configs = [coupon_config(outcome.series) for outcome in result.outcomes]
    return coupon_service_pb2.IssueMultipleResponse(
        coupons=[issued_coupon(c) for outcome in result.outcomes for c in outcome.coupons],
        couponConfig=configs[0],
        totalCount=result.total_count,
        failureCount=result.failure_count,
        successCount=result.success_count,
        customer=customer_view(result.customer),
        errors=[e for outcome in result.outcomes for e in _outcome_errors(outcome)],
        couponConfigs=configs if several else [],
    )


def error_entry(error: CouponServiceError, series_id: int = 0) -> common_pb2.IssueError:
    """An `errors` entry; `series_id` names the series it is about (0: the call as a whole)."""
    return common_pb2.IssueError(
        status=False, code=int(error.code), message=error.message, seriesId=series_id
    )


def bulk_issue_response(result: BulkIssueResult) -> coupon_service_pb2.BulkIssueResponse:
    entries = []
    for entry in result.entries:
        message = coupon_service_pb2.BulkIssueEntry(entityId=entry.series_id)
        if entry.outcome is not None:
            series, coupon = entry.outcome.series, entry.outcome.coupons[0]
            policy = series.policy
            message.result.CopyFrom(
                coupon_service_pb2.BulkIssueResult(
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
            )
        if entry.error is not None:
            message.errors.append(error_entry(entry.error, entry.series_id))
        entries.append(message)
    return coupon_service_pb2.BulkIssueResponse(
        response=entries, totalCount=len(entries), failureCount=result.failure_count
    )


_DISCOUNT_TYPES = {
    DiscountType.ABS: series_service_pb2.DISCOUNT_TYPE_ABS,
    DiscountType.PERC: series_service_pb2.DISCOUNT_TYPE_PERC,
}
_CODE_SOURCES = {
    CodeSource.GENERATED: series_service_pb2.CODE_SOURCE_GENERATED,
    CodeSource.UPLOADED: series_service_pb2.CODE_SOURCE_UPLOADED,
    CodeSource.GENERIC: series_service_pb2.CODE_SOURCE_GENERIC,
}
_VALIDITIES = {
    CouponValidity.SERIES_EXPIRY: series_service_pb2.COUPON_VALIDITY_SERIES_EXPIRY,
    CouponValidity.FIXED_DATE: series_service_pb2.COUPON_VALIDITY_FIXED_DATE,
    CouponValidity.DAYS_AFTER_ISSUE: series_service_pb2.COUPON_VALIDITY_DAYS_AFTER_ISSUE,
}


def series_message(series: Series) -> series_service_pb2.Series:
    policy = series.policy
    message = series_service_pb2.Series(
        id=series.id,
        description=policy.description,
        discount_code=policy.discount_code,
        info=policy.info,
        discount_type=_DISCOUNT_TYPES[policy.discount_type],
        discount_value=policy.discount_value,
        discount_upto=policy.discount_upto,
        discount_on=policy.discount_on,
        code_source=_CODE_SOURCES[policy.code_source],
        random_code_length=policy.random_code_length,
        alpha_numeric=policy.alpha_numeric,
        code_prefix=policy.code_prefix,
        code_suffix=policy.code_suffix,
        generic_code=policy.generic_code,
        valid_till=to_timestamp(policy.valid_till),
        coupon_validity=_VALIDITIES[policy.coupon_validity],
        fixed_expiry_date=to_timestamp(policy.fixed_expiry_date),
        valid_days_after_issue=policy.valid_days_after_issue,
        max_create=policy.max_create,
        is_multiple_vouchers_per_user_allowed=policy.multiple_per_user_allowed,
        max_vouchers_per_user=policy.max_vouchers_per_user,
        do_not_resend_existing_voucher=policy.do_not_resend_existing_voucher,
        externally_managed=policy.externally_managed,
        redemption_valid_after_days=policy.redemption_valid_after_days,
        custom_property_map=dict(policy.custom_properties),
        num_issued=series.num_issued,
        num_uploaded_total=series.num_uploaded,
        num_uploaded_non_issued=series.num_uploaded_non_issued,
        latest_issual_time=to_timestamp(series.latest_issued_at),
        create_time=to_timestamp(series.created_at),
        max_redemptions_per_coupon=policy.max_redemptions_per_coupon,
        max_redemptions_per_customer=policy.max_redemptions_per_customer,
        max_redemptions=policy.max_redemptions,
        num_redeemed=series.num_redeemed,
    )
    return message


def customer_message(customer: Customer) -> customer_service_pb2.Customer:
    return customer_service_pb2.Customer(
        id=customer.id,
        first_name=customer.first_name,
        last_name=customer.last_name,
        mobile=customer.mobile or "",
        email=customer.email or "",
        external_id=customer.external_id or "",
        create_time=to_timestamp(customer.created_at),
        update_time=to_timestamp(customer.updated_at),
    )
