"""gRPC servicers: translate, call the use case, translate back. No rules live here."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import grpc

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)

from ...service import coupons, customers, events, issuing, redemption, series
from ...service.unit_of_work import UnitOfWork
from .. import converters
from ..uninterrupted import uninterrupted
from .errors import abort_for

logger = logging.getLogger(__name__)
# WatchEvents' initial metadata: the cursor the stream starts after (see its proto comment).
START_CURSOR_KEY = "coupon-start-cursor"
_Request = TypeVar("_Request")
_Response = TypeVar("_Response")
# The context of any call: the servicers only pass it on to abort with a status.
_Context = grpc.aio.ServicerContext[Any, Any]
OrgResolver = Callable[[_Context], Awaitable[int]]
_Handler = Callable[[Any, _Request, _Context, int], Coroutine[Any, Any, _Response]]


def _rpc(
    handler: _Handler[_Request, _Response],
) -> Callable[[Any, _Request, _Context], Awaitable[_Response]]:
    """A management call: its use case opens its own transaction, so it runs to the end in a
    task of its own even when the caller is cut off (see uninterrupted)."""
    return _serve(handler, shielded=True)


def _batched_rpc(
    handler: _Handler[_Request, _Response],
) -> Callable[[Any, _Request, _Context], Awaitable[_Response]]:
    """An issuing call: its transaction runs in the batcher's own task, which a cut-off caller
    cannot cancel, so the call needs no task of its own."""
    return _serve(handler, shielded=False)


def _serve(
    handler: _Handler[_Request, _Response], *, shielded: bool
) -> Callable[[Any, _Request, _Context], Awaitable[_Response]]:
    """Resolves the caller's organisation and turns every failure into its status."""

    @functools.wraps(handler)
    async def wrapper(self: Any, request: _Request, context: _Context) -> _Response:
        org_id = await self.resolve_org(context)
        try:
            work = handler(self, request, context, org_id)
            return await (uninterrupted(work) if shielded else work)
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await abort_for(context, error, handler.__name__, logger)

    return wrapper


class _Servicer:
    def __init__(self, uow: UnitOfWork, resolve_org: OrgResolver) -> None:
        self.uow = uow
        self.resolve_org = resolve_org


class CouponServicer(_Servicer, coupon_service_pb2_grpc.CouponServiceServicer):
    def __init__(
        self, uow: UnitOfWork, resolve_org: OrgResolver, *, event_poll_seconds: float
    ) -> None:
        super().__init__(uow, resolve_org)
        self.event_poll_seconds = event_poll_seconds
        # Set when the server starts shutting down: WatchEvents streams end (UNAVAILABLE).
        self.closing = asyncio.Event()

    @_batched_rpc
    async def IssueMultiple(
        self,
        request: coupon_service_pb2.IssueMultipleRequest,
        context: _Context,
        org_id: int,
    ) -> coupon_service_pb2.IssueMultipleResponse:
        result = await issuing.issue_multiple(self.uow, org_id, converters.issue_request(request))
        return converters.issue_multiple_response(result)

    @_batched_rpc
    async def BulkIssue(
        self,
        request: coupon_service_pb2.BulkIssueRequest,
        context: _Context,
        org_id: int,
    ) -> coupon_service_pb2.BulkIssueResponse:
        result = await issuing.bulk_issue(self.uow, org_id, converters.bulk_issue_request(request))
        return converters.bulk_issue_response(result)

    @_rpc
    async def GetCoupon(
        self,
        request: coupon_service_pb2.GetCouponRequest,
        context: _Context,
        org_id: int,
    ) -> coupon_service_pb2.GetCouponResponse:
        found = await coupons.get_coupon(self.uow, org_id, converters.coupon_lookup(request.coupon))
        return coupon_service_pb2.GetCouponResponse(coupon=converters.coupon_message(found))

    @_rpc
    async def ValidateCoupon(
        self,
        request: coupon_service_pb2.ValidateCouponRequest,
        context: _Context,
        org_id: int,
    ) -> coupon_service_pb2.ValidateCouponResponse:
        validation = await redemption.validate_coupon(
            self.uow, org_id, request.code, converters.customer_ref(request.customer)
        )
        return converters.validate_response(validation)

    @_rpc
    async def RedeemCoupon(
        self,
        request: coupon_service_pb2.RedeemCouponRequest,
        context: _Context,
        org_id: int,
    ) -> coupon_service_pb2.RedeemCouponResponse:
        result = await redemption.redeem_coupon(
            self.uow, org_id, converters.redeem_request(request)
        )
        return converters.redeem_response(result)

    @_rpc
    async def ReverseRedemption(
        self,
        request: coupon_service_pb2.ReverseRedemptionRequest,
        context: _Context,
        org_id: int,
    ) -> coupon_service_pb2.ReverseRedemptionResponse:
        result = await redemption.reverse_redemption(self.uow, org_id, request.redemption_id)
        return converters.reverse_response(result)

    @_rpc
    async def RevokeCoupon(
        self,
        request: coupon_service_pb2.RevokeCouponRequest,
        context: _Context,
        org_id: int,
    ) -> coupon_service_pb2.RevokeCouponResponse:
        revoked = await redemption.revoke_coupon(
            self.uow, org_id, converters.coupon_lookup(request.coupon), request.reason
        )
        return coupon_service_pb2.RevokeCouponResponse(coupon=converters.coupon_message(revoked))

    async def WatchEvents(
        self, request: coupon_service_pb2.WatchEventsRequest, context: _Context
    ) -> AsyncIterator[coupon_service_pb2.CouponEvent]:
        org_id = await self.resolve_org(context)
        feed = events.watch_events(
            self.uow,
            org_id,
            request.after,
            from_now=request.from_now,
            poll_seconds=self.event_poll_seconds,
            stop=self.closing,
            started=lambda cursor: context.send_initial_metadata(((START_CURSOR_KEY, cursor),)),
        )
        try:
            async for event in feed:
                yield converters.event_message(event)
        except Exception as error:
            await abort_for(context, error, "WatchEvents", logger)
        await context.abort(
            grpc.StatusCode.UNAVAILABLE,
            "the server is shutting down: reconnect and pass the last cursor as `after`",
        )


class SeriesServicer(_Servicer, series_service_pb2_grpc.SeriesServiceServicer):
    @_rpc
    async def CreateSeries(
        self,
        request: series_service_pb2.CreateSeriesRequest,
        context: _Context,
        org_id: int,
    ) -> series_service_pb2.Series:
        created = await series.create_series(
            self.uow,
            org_id,
            request.series.id or None,
            converters.series_policy(request.series),
        )
        return converters.series_message(created)

    @_rpc
    async def GetSeries(
        self,
        request: series_service_pb2.GetSeriesRequest,
        context: _Context,
        org_id: int,
    ) -> series_service_pb2.Series:
        found = await series.get_series(self.uow, org_id, request.series_id)
        return converters.series_message(found)

    @_rpc
    async def ListSeries(
        self,
        request: series_service_pb2.ListSeriesRequest,
        context: _Context,
        org_id: int,
    ) -> series_service_pb2.ListSeriesResponse:
        page = await series.list_series(self.uow, org_id, request.page_size, request.page_token)
        return series_service_pb2.ListSeriesResponse(
            series=[converters.series_message(item) for item in page.items],
            next_page_token=page.next_page_token,
        )

    @_rpc
    async def UploadCodes(
        self,
        request: series_service_pb2.UploadCodesRequest,
        context: _Context,
        org_id: int,
    ) -> series_service_pb2.UploadCodesResponse:
        result = await series.upload_codes(self.uow, org_id, request.series_id, list(request.codes))
        return series_service_pb2.UploadCodesResponse(
            uploaded_count=result.uploaded_count,
            duplicate_codes=result.duplicate_codes,
            num_uploaded_total=result.series.num_uploaded,
            num_uploaded_non_issued=result.series.num_uploaded_non_issued,
        )

    @_rpc
    async def ListSeriesCoupons(
        self,
        request: series_service_pb2.ListSeriesCouponsRequest,
        context: _Context,
        org_id: int,
    ) -> series_service_pb2.ListSeriesCouponsResponse:
        page = await coupons.list_series_coupons(
            self.uow, org_id, converters.series_coupons_query(request)
        )
        return series_service_pb2.ListSeriesCouponsResponse(
            coupons=[converters.coupon_message(view) for view in page.items],
            next_page_token=page.next_page_token,
        )


class CustomerServicer(_Servicer, customer_service_pb2_grpc.CustomerServiceServicer):
    @_rpc
    async def CreateCustomer(
        self,
        request: customer_service_pb2.CreateCustomerRequest,
        context: _Context,
        org_id: int,
    ) -> customer_service_pb2.Customer:
        created = await customers.create_customer(
            self.uow, org_id, converters.new_customer(request.customer)
        )
        return converters.customer_message(created)

    @_rpc
    async def UpdateCustomer(
        self,
        request: customer_service_pb2.UpdateCustomerRequest,
        context: _Context,
        org_id: int,
    ) -> customer_service_pb2.Customer:
        updated = await customers.update_customer(
            self.uow, org_id, request.customer_id, converters.customer_changes(request)
        )
        return converters.customer_message(updated)

    @_rpc
    async def GetCustomer(
        self,
        request: customer_service_pb2.GetCustomerRequest,
        context: _Context,
        org_id: int,
    ) -> customer_service_pb2.Customer:
        found = await customers.get_customer(
            self.uow, org_id, converters.customer_ref(request.customer)
        )
        return converters.customer_message(found)

    @_rpc
    async def ListCustomerCoupons(
        self,
        request: customer_service_pb2.ListCustomerCouponsRequest,
        context: _Context,
        org_id: int,
    ) -> customer_service_pb2.ListCustomerCouponsResponse:
        page = await coupons.list_customer_coupons(
            self.uow,
            org_id,
            converters.customer_ref(request.customer),
            request.series_id or None,
            request.page_size,
            request.page_token,
        )
        return customer_service_pb2.ListCustomerCouponsResponse(
            coupons=[converters.coupon_message(view) for view in page.items],
            next_page_token=page.next_page_token,
        )
