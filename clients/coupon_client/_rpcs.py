"""Every RPC of coupon.v1 the clients call, and whether it is safe to send twice.

A retry resends a request whose first attempt may have been done, so only these are retried:

- IssueMultiple, BulkIssue: always carry a requestId (the client makes one up when the caller
  gives none), and the server answers a replay with the first attempt's coupons.
- GetSeries, ListSeries, GetCustomer, ListCustomerCoupons: reads.
- UploadCodes: idempotent per code (a code already in the pool is skipped), so a replay adds
  nothing; but its answer then counts the first attempt's codes as `duplicate_codes`.
- UpdateCustomer: sets the same values again.
- GetCoupon, ValidateCoupon, ListSeriesCoupons: reads.
- RedeemCoupon: always carries a requestId, like issuing, and a replay answers with the first
  attempt's redemption and takes no other use.
- ReverseRedemption, RevokeCoupon: a second reversal or revocation changes nothing and answers
  the first one again.

WatchEvents is not resent by gRPC either: `watch_events` opens its stream again itself after
UNAVAILABLE, asking for what follows the last event it yielded, so no event comes twice.

CreateSeries and CreateCustomer are never retried: a replay of a create that did commit would
make a second one (id 0) or answer AlreadyExists (a chosen id). After Unavailable or
DeadlineExceeded, look it up (GetSeries, GetCustomer) before creating it again.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from coupon.v1 import coupon_service_pb2, customer_service_pb2, series_service_pb2

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)


@dataclasses.dataclass(frozen=True)
class Rpc(Generic[_Request, _Response]):
    """One method: where it lives, how its answer is read, and whether it may be resent."""

    service: str
    method: str
    request_type: type[_Request]
    response_type: type[_Response]
    retried: bool

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"


_COUPONS = "coupon.v1.CouponService"
_SERIES = "coupon.v1.SeriesService"
_CUSTOMERS = "coupon.v1.CustomerService"
_cs, _ss, _us = coupon_service_pb2, series_service_pb2, customer_service_pb2

ISSUE_MULTIPLE = Rpc(
    _COUPONS, "IssueMultiple", _cs.IssueMultipleRequest, _cs.IssueMultipleResponse, True
)
BULK_ISSUE = Rpc(_COUPONS, "BulkIssue", _cs.BulkIssueRequest, _cs.BulkIssueResponse, True)
CREATE_SERIES = Rpc(_SERIES, "CreateSeries", _ss.CreateSeriesRequest, _ss.Series, False)
GET_SERIES = Rpc(_SERIES, "GetSeries", _ss.GetSeriesRequest, _ss.Series, True)
LIST_SERIES = Rpc(_SERIES, "ListSeries", _ss.ListSeriesRequest, _ss.ListSeriesResponse, True)
UPLOAD_CODES = Rpc(_SERIES, "UploadCodes", _ss.UploadCodesRequest, _ss.UploadCodesResponse, True)
CREATE_CUSTOMER = Rpc(_CUSTOMERS, "CreateCustomer", _us.CreateCustomerRequest, _us.Customer, False)
UPDATE_CUSTOMER = Rpc(_CUSTOMERS, "UpdateCustomer", _us.UpdateCustomerRequest, _us.Customer, True)
GET_CUSTOMER = Rpc(_CUSTOMERS, "GetCustomer", _us.GetCustomerRequest, _us.Customer, True)
LIST_CUSTOMER_COUPONS = Rpc(
    _CUSTOMERS,
    "ListCustomerCoupons",
    _us.ListCustomerCouponsRequest,
    _us.ListCustomerCouponsResponse,
    True,
)
GET_COUPON = Rpc(_COUPONS, "GetCoupon", _cs.GetCouponRequest, _cs.GetCouponResponse, True)
VALIDATE_COUPON = Rpc(
    _COUPONS, "ValidateCoupon", _cs.ValidateCouponRequest, _cs.ValidateCouponResponse, True
)
REDEEM_COUPON = Rpc(
    _COUPONS, "RedeemCoupon", _cs.RedeemCouponRequest, _cs.RedeemCouponResponse, True
)
REVERSE_REDEMPTION = Rpc(
    _COUPONS,
    "ReverseRedemption",
    _cs.ReverseRedemptionRequest,
    _cs.ReverseRedemptionResponse,
    True,
)
REVOKE_COUPON = Rpc(
    _COUPONS, "RevokeCoupon", _cs.RevokeCouponRequest, _cs.RevokeCouponResponse, True
)
LIST_SERIES_COUPONS = Rpc(
    _SERIES,
    "ListSeriesCoupons",
    _ss.ListSeriesCouponsRequest,
    _ss.ListSeriesCouponsResponse,
    True,
)
WATCH_EVENTS = Rpc(_COUPONS, "WatchEvents", _cs.WatchEventsRequest, _cs.CouponEvent, False)

ALL: tuple[Rpc[Any, Any], ...] = (
    ISSUE_MULTIPLE,
    BULK_ISSUE,
    CREATE_SERIES,
    GET_SERIES,
    LIST_SERIES,
    UPLOAD_CODES,
    CREATE_CUSTOMER,
    UPDATE_CUSTOMER,
    GET_CUSTOMER,
    LIST_CUSTOMER_COUPONS,
    GET_COUPON,
    VALIDATE_COUPON,
    REDEEM_COUPON,
    REVERSE_REDEMPTION,
    REVOKE_COUPON,
    LIST_SERIES_COUPONS,
    WATCH_EVENTS,
)
