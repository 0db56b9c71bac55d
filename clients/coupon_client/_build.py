"""Plain Python arguments -> the coupon.v1 request of each RPC, for both client flavours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from coupon.v1 import common_pb2, coupon_service_pb2, customer_service_pb2, series_service_pb2
from coupon.v1.common_pb2 import CustomerRef, IssuanceMetadata

from .messages import CustomerChanges, CustomerFields, SeriesFields, new_request_id

MetadataLike = IssuanceMetadata | Mapping[str, str] | None


def issue_multiple(
    series_id: int | Sequence[int],
    customer: CustomerRef,
    count: int | None,
    metadata: MetadataLike,
    request_id: str | None,
) -> coupon_service_pb2.IssueMultipleRequest:
    request = coupon_service_pb2.IssueMultipleRequest(
        customer=customer,
        metadata=_metadata(metadata),
        requestId=request_id or new_request_id(),
    )
    if isinstance(series_id, int):
        request.seriesId = series_id
    else:
        request.seriesIds.extend(series_id)
    if count is not None:
        request.count = count
    return request


def bulk_issue(
    series_ids: Iterable[int], customer: CustomerRef, metadata: MetadataLike, request_id: str | None
) -> coupon_service_pb2.BulkIssueRequest:
    return coupon_service_pb2.BulkIssueRequest(
        seriesIds=list(series_ids),
        customer=customer,
        metadata=_metadata(metadata),
        requestId=request_id or new_request_id(),
    )


def create_series(
    series: series_service_pb2.Series | None, fields: SeriesFields
) -> series_service_pb2.CreateSeriesRequest:
    """`series` (when given) with `fields` set over it."""
    message = series_service_pb2.Series()
    if series is not None:
        message.CopyFrom(series)
    for name, value in fields.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        if isinstance(value, str) and field.enum_type is not None:
            numbers = {n: v.number for n, v in field.enum_type.values_by_name.items()}
            value = _enum_number(field.enum_type.name, numbers, value)
        if isinstance(value, datetime):
            getattr(message, name).FromDatetime(value)
        elif isinstance(value, Mapping):
            getattr(message, name).update(value)
        else:
            setattr(message, name, value)
    return series_service_pb2.CreateSeriesRequest(series=message)


def get_series(series_id: int) -> series_service_pb2.GetSeriesRequest:
    return series_service_pb2.GetSeriesRequest(series_id=series_id)


def list_series(page_size: int, page_token: str) -> series_service_pb2.ListSeriesRequest:
    return series_service_pb2.ListSeriesRequest(page_size=page_size, page_token=page_token)


def upload_codes(series_id: int, codes: Iterable[str]) -> series_service_pb2.UploadCodesRequest:
    return series_service_pb2.UploadCodesRequest(series_id=series_id, codes=list(codes))


def create_customer(
    customer: customer_service_pb2.Customer | None, fields: CustomerFields
) -> customer_service_pb2.CreateCustomerRequest:
    message = customer_service_pb2.Customer()
    if customer is not None:
        message.CopyFrom(customer)
    message.MergeFrom(customer_service_pb2.Customer(**fields))
    return customer_service_pb2.CreateCustomerRequest(customer=message)


def update_customer(
    customer_id: int, changes: CustomerChanges
) -> customer_service_pb2.UpdateCustomerRequest:
    return customer_service_pb2.UpdateCustomerRequest(customer_id=customer_id, **changes)


def get_customer(customer: CustomerRef) -> customer_service_pb2.GetCustomerRequest:
    return customer_service_pb2.GetCustomerRequest(customer=customer)


def list_customer_coupons(
    customer: CustomerRef, series_id: int, page_size: int, page_token: str
) -> customer_service_pb2.ListCustomerCouponsRequest:
    return customer_service_pb2.ListCustomerCouponsRequest(
        customer=customer, series_id=series_id, page_size=page_size, page_token=page_token
    )


CouponNamed = int | str  # A coupon id, or a code.


def coupon_lookup(
    coupon: CouponNamed, customer: CustomerRef | None
) -> coupon_service_pb2.CouponLookup:
    lookup = coupon_service_pb2.CouponLookup(customer=customer)
    if isinstance(coupon, int):
        lookup.coupon_id = coupon
    else:
        lookup.code = coupon
    return lookup


def redeem_coupon(
    code: str,
    customer: CustomerRef,
    bill_number: str,
    bill_amount: int | None,
    request_id: str | None,
) -> coupon_service_pb2.RedeemCouponRequest:
    return coupon_service_pb2.RedeemCouponRequest(
        code=code,
        customer=customer,
        bill_number=bill_number,
        bill_amount=bill_amount,
        request_id=request_id or new_request_id(),
    )


def list_series_coupons(
    series_id: int,
    state: str | int,
    sources: Mapping[str, str],
    issued_after: datetime | None,
    issued_before: datetime | None,
    page_size: int,
    page_token: str,
) -> series_service_pb2.ListSeriesCouponsRequest:
    """`state` by its short name ("REDEEMED") or number; `sources` by field name (source_id)."""
    request = series_service_pb2.ListSeriesCouponsRequest(
        series_id=series_id, page_size=page_size, page_token=page_token
    )
    for name, value in sources.items():
        setattr(request, name, value)
    if isinstance(state, str):
        enum = common_pb2.CouponState.DESCRIPTOR
        numbers = {name: value.number for name, value in enum.values_by_name.items()}
        state = _enum_number(enum.name, numbers, state) if state else 0
    request.state = state  # type: ignore[assignment]
    if issued_after is not None:
        request.issued_after.FromDatetime(issued_after)
    if issued_before is not None:
        request.issued_before.FromDatetime(issued_before)
    return request


def watch_events(after: str, from_now: bool) -> coupon_service_pb2.WatchEventsRequest:
    return coupon_service_pb2.WatchEventsRequest(after=after, from_now=from_now)


def _metadata(metadata: MetadataLike) -> IssuanceMetadata | None:
    if metadata is None or isinstance(metadata, IssuanceMetadata):
        return metadata
    return IssuanceMetadata(**metadata)


def _enum_number(enum: str, numbers: Mapping[str, int], name: str) -> int:
    """ "UPLOADED" -> CODE_SOURCE_UPLOADED's number; the full name works too."""
    for candidate in (name, f"{_upper_snake(enum)}_{name.upper()}"):
        if candidate in numbers:
            return numbers[candidate]
    raise ValueError(f"{name!r} is not a {enum}: one of {', '.join(numbers)}")


def _upper_snake(camel: str) -> str:
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(camel)).upper()
