"""CouponClient: the asynchronous client, one typed method per RPC of coupon.v1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Iterable, Sequence
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
from .retry import RetryPolicy, call_with_retry

_Request = TypeVar("_Request", bound=Message)
_Response = TypeVar("_Response", bound=Message)


class CouponClient:
    """Calls the coupon service over one grpc.aio channel; use it as an async context manager.

    Every call carries `authorization` (when given) and a deadline: `timeout` seconds, unless
    the call names its own. Failures raise the typed CouponError subclasses of `errors`; calls
    safe to resend are retried by `retry` (see `retry` and `_rpcs` for which and how).
    SyncCouponClient has the same methods, blocking.
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
        self.channel = self._connection.open_async()

    async def issue_multiple(
        self,
        series_id: int | Sequence[int],
        customer: CustomerRef,
        *,
        count: int | None = None,
        metadata: MetadataLike = None,
        request_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (a gRPC deadline, sent to the server)
    ) -> IssueResult:
        """Issues `count` coupons (1 when omitted) from one series, or from each of several."""
        request = _build.issue_multiple(series_id, customer, count, metadata, request_id)
        return IssueResult.of(request, await self._call(_rpcs.ISSUE_MULTIPLE, request, timeout))

    async def bulk_issue(
        self,
        series_ids: Iterable[int],
        customer: CustomerRef,
        *,
        metadata: MetadataLike = None,
        request_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> BulkResult:
        """Issues one coupon from each series; each series answers on its own."""
        request = _build.bulk_issue(series_ids, customer, metadata, request_id)
        return BulkResult.of(request, await self._call(_rpcs.BULK_ISSUE, request, timeout))

    async def create_series(
        self,
        series: series_service_pb2.Series | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        **fields: Unpack[SeriesFields],
    ) -> series_service_pb2.Series:
        """Creates a series from `series` and/or keyword fields; id 0 lets the service choose."""
        request = _build.create_series(series, fields)
        return await self._call(_rpcs.CREATE_SERIES, request, timeout)

    async def get_series(
        self,
        series_id: int,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> series_service_pb2.Series:
        """One series with its live counters."""
        return await self._call(_rpcs.GET_SERIES, _build.get_series(series_id), timeout)

    async def list_series(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> series_service_pb2.ListSeriesResponse:
        """One page of the organisation's series by ascending id."""
        request = _build.list_series(page_size, page_token)
        return await self._call(_rpcs.LIST_SERIES, request, timeout)

    async def upload_codes(
        self,
        series_id: int,
        codes: Iterable[str],
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> series_service_pb2.UploadCodesResponse:
        """Adds up to 10,000 codes to an UPLOADED series' pool; codes already used are skipped."""
        request = _build.upload_codes(series_id, codes)
        return await self._call(_rpcs.UPLOAD_CODES, request, timeout)

    async def create_customer(
        self,
        customer: customer_service_pb2.Customer | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        **fields: Unpack[CustomerFields],
    ) -> customer_service_pb2.Customer:
        """Creates a customer from `customer` and/or keyword fields; id 0 lets the service
        choose."""
        request = _build.create_customer(customer, fields)
        return await self._call(_rpcs.CREATE_CUSTOMER, request, timeout)

    async def update_customer(
        self,
        customer_id: int,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        **changes: Unpack[CustomerChanges],
    ) -> customer_service_pb2.Customer:
        """Changes the fields given; an identifier set to "" is removed."""
        request = _build.update_customer(customer_id, changes)
        return await self._call(_rpcs.UPDATE_CUSTOMER, request, timeout)

    async def get_customer(
        self,
        customer: CustomerRef,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> customer_service_pb2.Customer:
        """Finds a customer by id, mobile, email or external id."""
        return await self._call(_rpcs.GET_CUSTOMER, _build.get_customer(customer), timeout)

    async def list_customer_coupons(
        self,
        customer: CustomerRef,
        *,
        series_id: int = 0,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> customer_service_pb2.ListCustomerCouponsResponse:
        """One page of the coupons a customer holds (of one series, when given), oldest first."""
        request = _build.list_customer_coupons(customer, series_id, page_size, page_token)
        return await self._call(_rpcs.LIST_CUSTOMER_COUPONS, request, timeout)

    async def get_coupon(
        self,
        coupon: int | str,
        *,
        customer: CustomerRef | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> coupon_service_pb2.GetCouponResponse:
        """An issued coupon by id or code (a GENERIC code needs its customer), with its state
        and its newest redemptions."""
        request = coupon_service_pb2.GetCouponRequest(coupon=_build.coupon_lookup(coupon, customer))
        return await self._call(_rpcs.GET_COUPON, request, timeout)

    async def validate_coupon(
        self,
        code: str,
        customer: CustomerRef,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> coupon_service_pb2.ValidateCouponResponse:
        """Whether `customer` could redeem `code` now, and the 9xx refusal when not."""
        request = coupon_service_pb2.ValidateCouponRequest(code=code, customer=customer)
        return await self._call(_rpcs.VALIDATE_COUPON, request, timeout)

    async def redeem_coupon(
        self,
        code: str,
        customer: CustomerRef,
        *,
        bill_number: str = "",
        bill_amount: int | None = None,
        request_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> coupon_service_pb2.RedeemCouponResponse:
        """Takes one use of the coupon; `bill_amount` in the currency's minor unit. A retry
        reuses the requestId (one is made up when none is given), so it never takes two."""
        request = _build.redeem_coupon(code, customer, bill_number, bill_amount, request_id)
        return await self._call(_rpcs.REDEEM_COUPON, request, timeout)

    async def reverse_redemption(
        self,
        redemption_id: int,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> coupon_service_pb2.ReverseRedemptionResponse:
        """Undoes a redemption, giving its coupon one use back; again changes nothing."""
        request = coupon_service_pb2.ReverseRedemptionRequest(redemption_id=redemption_id)
        return await self._call(_rpcs.REVERSE_REDEMPTION, request, timeout)

    async def revoke_coupon(
        self,
        coupon: int | str,
        *,
        reason: str = "",
        customer: CustomerRef | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> coupon_service_pb2.RevokeCouponResponse:
        """Revokes an issued coupon for good; again keeps the first moment and reason."""
        request = coupon_service_pb2.RevokeCouponRequest(
            coupon=_build.coupon_lookup(coupon, customer), reason=reason
        )
        return await self._call(_rpcs.REVOKE_COUPON, request, timeout)

    async def list_series_coupons(
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
        timeout: float | None = None,  # noqa: ASYNC109
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
        return await self._call(_rpcs.LIST_SERIES_COUPONS, request, timeout)

    async def watch_events(
        self, after: str = "", *, from_now: bool = False, reconnect: bool = True
    ) -> AsyncGenerator[CouponEvent, None]:
        """The organisation's events in commit order: those after the cursor `after` (all the
        feed keeps when empty; none of them with `from_now`), then each new one as it commits.
        It never ends on its own and has no deadline: break out of the loop to stop, which
        cancels the call (at once under `contextlib.aclosing`, else when the iterator is
        collected).

        With `reconnect`, the stream waits for the server, however long it is away: when it
        fails with UNAVAILABLE (a replica shutting down, a lost connection), it is opened again
        after a backoff, for what follows the last event yielded, so each event is yielded
        once across any number of reconnections. Without it, a server that cannot be reached
        or goes away raises Unavailable. 910 raises EventCursorExpired and 911
        EventCursorInvalid, never retried. A reconnection before the first event resumes
        after the cursor the server started the stream at, `from_now` included.
        """
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
                watch.started(await call.initial_metadata())
                async for message in call:
                    yield watch.received(message)
            except grpc.RpcError as error:
                delay = watch.reconnect_delay(error)
            else:
                return  # Ended by the server without an error: nothing more will come.
            finally:
                call.cancel()
            await asyncio.sleep(delay)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _call(
        self,
        rpc: _rpcs.Rpc[_Request, _Response],
        request: _Request,
        timeout: float | None,  # noqa: ASYNC109
    ) -> _Response:
        send = self.channel.unary_unary(
            rpc.path,
            request_serializer=rpc.request_type.SerializeToString,
            response_deserializer=rpc.response_type.FromString,
        )
        metadata = self._connection.metadata

        def attempt(request: _Request, *, timeout: float | None) -> Awaitable[_Response]:
            return send(request, timeout=timeout, metadata=metadata)

        return await call_with_retry(
            attempt,
            request,
            timeout=self._connection.deadline(timeout),
            policy=self._connection.policy(rpc),
        )
