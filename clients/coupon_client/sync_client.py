"""SyncCouponClient: the blocking client, with the same typed methods as CouponClient."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

import grpc
from google.protobuf.message import Message

from coupon.v1 import coupon_service_pb2, customer_service_pb2, series_service_pb2
from coupon.v1.common_pb2 import CustomerRef

from . import _build, _rpcs, _watch
from ._build import MetadataLike
from ._channel import DEFAULT_TIMEOUT, Connection, Tls
from .events import CouponEvent
from .messages import CustomerChanges, CustomerFields, SeriesFields
from .results import BulkResult, IssueResult
from .retry import RetryPolicy, call_with_retry_sync

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)


class SyncCouponClient:
    """Calls the coupon service over one blocking grpc channel; use it as a context manager.

    The same methods, arguments, deadlines, credentials, retries and exceptions as CouponClient,
    which documents them; each call blocks until answered. One client may serve many threads.
    """

    def __init__(
        self,
        target: str,
        *,
        authorization: str | None = None,
        tls: Tls = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        self._connection = Connection(
            target, authorization, tls, timeout, retry or RetryPolicy(), options
        )
        self.channel = self._connection.open_sync()

    def issue_multiple(
        self,
        series_id: int | Sequence[int],
        customer: CustomerRef,
        *,
        count: int | None = None,
        metadata: MetadataLike = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> IssueResult:
        """Issues `count` coupons (1 when omitted) from one series, or from each of several."""
        request = _build.issue_multiple(series_id, customer, count, metadata, request_id)
        return IssueResult.of(request, self._call(_rpcs.ISSUE_MULTIPLE, request, timeout))

    def bulk_issue(
        self,
        series_ids: Iterable[int],
        customer: CustomerRef,
        *,
        metadata: MetadataLike = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> BulkResult:
        """Issues one coupon from each series; each series answers on its own."""
        request = _build.bulk_issue(series_ids, customer, metadata, request_id)
        return BulkResult.of(request, self._call(_rpcs.BULK_ISSUE, request, timeout))

    def create_series(
        self,
        series: series_service_pb2.Series | None = None,
        *,
        timeout: float | None = None,
        **fields: Unpack[SeriesFields],
    ) -> series_service_pb2.Series:
        """Creates a series from `series` and/or keyword fields; id 0 lets the service choose."""
        request = _build.create_series(series, fields)
        return self._call(_rpcs.CREATE_SERIES, request, timeout)

    def get_series(
        self,
        series_id: int,
        *,
        timeout: float | None = None,
    ) -> series_service_pb2.Series:
        """One series with its live counters."""
        return self._call(_rpcs.GET_SERIES, _build.get_series(series_id), timeout)

    def list_series(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> series_service_pb2.ListSeriesResponse:
        """One page of the organisation's series by ascending id."""
        request = _build.list_series(page_size, page_token)
        return self._call(_rpcs.LIST_SERIES, request, timeout)

    def upload_codes(
        self,
        series_id: int,
        codes: Iterable[str],
        *,
        timeout: float | None = None,
    ) -> series_service_pb2.UploadCodesResponse:
        """Adds up to 10,000 codes to an UPLOADED series' pool; codes already used are skipped."""
        request = _build.upload_codes(series_id, codes)
        return self._call(_rpcs.UPLOAD_CODES, request, timeout)

    def create_customer(
        self,
        customer: customer_service_pb2.Customer | None = None,
        *,
        timeout: float | None = None,
        **fields: Unpack[CustomerFields],
    ) -> customer_service_pb2.Customer:
        """Creates a customer from `customer` and/or keyword fields; id 0 lets the service
        choose."""
        request = _build.create_customer(customer, fields)
        return self._call(_rpcs.CREATE_CUSTOMER, request, timeout)

    def update_customer(
        self,
        customer_id: int,
        *,
        timeout: float | None = None,
        **changes: Unpack[CustomerChanges],
    ) -> customer_service_pb2.Customer:
        """Changes the fields given; an identifier set to "" is removed."""
        request = _build.update_customer(customer_id, changes)
        return self._call(_rpcs.UPDATE_CUSTOMER, request, timeout)

    def get_customer(
        self,
        customer: CustomerRef,
        *,
        timeout: float | None = None,
    ) -> customer_service_pb2.Customer:
        """Finds a customer by id, mobile, email or external id."""
        return self._call(_rpcs.GET_CUSTOMER, _build.get_customer(customer), timeout)

    def list_customer_coupons(
        self,
        customer: CustomerRef,
        *,
        series_id: int = 0,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> customer_service_pb2.ListCustomerCouponsResponse:
        """One page of the coupons a customer holds (of one series, when given), oldest first."""
        request = _build.list_customer_coupons(customer, series_id, page_size, page_token)
        return self._call(_rpcs.LIST_CUSTOMER_COUPONS, request, timeout)

    def get_coupon(
        self,
        coupon: int | str,
        *,
        customer: CustomerRef | None = None,
        timeout: float | None = None,
    ) -> coupon_service_pb2.GetCouponResponse:
        """An issued coupon by id or code (a GENERIC code needs its customer), with its state
        and its newest redemptions."""
        request = coupon_service_pb2.GetCouponRequest(coupon=_build.coupon_lookup(coupon, customer))
        return self._call(_rpcs.GET_COUPON, request, timeout)

    def validate_coupon(
        self,
        code: str,
        customer: CustomerRef,
        *,
        timeout: float | None = None,
    ) -> coupon_service_pb2.ValidateCouponResponse:
        """Whether `customer` could redeem `code` now, and the 9xx refusal when not."""
        request = coupon_service_pb2.ValidateCouponRequest(code=code, customer=customer)
        return self._call(_rpcs.VALIDATE_COUPON, request, timeout)

    def redeem_coupon(
        self,
        code: str,
        customer: CustomerRef,
        *,
        bill_number: str = "",
        bill_amount: int | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> coupon_service_pb2.RedeemCouponResponse:
        """Takes one use of the coupon; `bill_amount` in the currency's minor unit. A retry
        reuses the requestId (one is made up when none is given), so it never takes two."""
        request = _build.redeem_coupon(code, customer, bill_number, bill_amount, request_id)
        return self._call(_rpcs.REDEEM_COUPON, request, timeout)

    def reverse_redemption(
        self,
        redemption_id: int,
        *,
        timeout: float | None = None,
    ) -> coupon_service_pb2.ReverseRedemptionResponse:
        """Undoes a redemption, giving its coupon one use back; again changes nothing."""
        request = coupon_service_pb2.ReverseRedemptionRequest(redemption_id=redemption_id)
        return self._call(_rpcs.REVERSE_REDEMPTION, request, timeout)

    def revoke_coupon(
        self,
        coupon: int | str,
        *,
        reason: str = "",
        customer: CustomerRef | None = None,
        timeout: float | None = None,
    ) -> coupon_service_pb2.RevokeCouponResponse:
        """Revokes an issued coupon for good; again keeps the first moment and reason."""
        request = coupon_service_pb2.RevokeCouponRequest(
            coupon=_build.coupon_lookup(coupon, customer), reason=reason
        )
        return self._call(_rpcs.REVOKE_COUPON, request, timeout)

    def list_series_coupons(
        self,
        series_id: int,
        *,
        state: str | int = "",
        source_type: str = "",
        source_id: str = "",
        source_activity: str = "",
        issued_after: datetime | None = None,
        issued_before: datetime | None = None,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
    ) -> series_service_pb2.ListSeriesCouponsResponse:
        """One page of a series' coupons by issue time, filtered by state, metadata and time."""
        sources = {
            "source_type": source_type,
            "source_id": source_id,
            "source_activity": source_activity,
        }
        request = _build.list_series_coupons(
            series_id, state, sources, issued_after, issued_before, page_size, page_token
        )
        return self._call(_rpcs.LIST_SERIES_COUPONS, request, timeout)

    def watch_events(
        self, after: str = "", *, from_now: bool = False, reconnect: bool = True
    ) -> Generator[CouponEvent, None, None]:
        """The organisation's events, reconnecting as CouponClient.watch_events does; breaking
        out of the loop cancels the call (at once, unless the iterator is still referenced:
        then at its `close()`)."""
        watch = _watch.Watch(after, from_now, reconnect, self._connection.retry)
        rpc = _rpcs.WATCH_EVENTS
        open_stream = self.channel.unary_stream(
            rpc.path,
            request_serializer=rpc.request_type.SerializeToString,
            response_deserializer=rpc.response_type.FromString,
        )
        while True:
            call = open_stream(
                watch.request(), metadata=self._connection.metadata, wait_for_ready=reconnect
            )
            try:
                watch.started(call.initial_metadata())
                for message in call:
                    yield watch.received(message)
            except grpc.RpcError as error:
                delay = watch.reconnect_delay(error)
            else:
                return  # Ended by the server without an error: nothing more will come.
            finally:
                call.cancel()
            time.sleep(delay)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        rpc: _rpcs.Rpc[_Request, _Response],
        request: _Request,
        timeout: float | None,
    ) -> _Response:
        send = self.channel.unary_unary(
            rpc.path,
            request_serializer=rpc.request_type.SerializeToString,
            response_deserializer=rpc.response_type.FromString,
        )
        metadata = self._connection.metadata

        def attempt(request: _Request, *, timeout: float | None) -> _Response:
            return send(request, timeout=timeout, metadata=metadata)

        return call_with_retry_sync(
            attempt,
            request,
            timeout=self._connection.deadline(timeout),
            policy=self._connection.policy(rpc),
        )
