"""CouponClient: the asynchronous client internal services use to issue coupons."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import grpc

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2_grpc,
    series_service_pb2_grpc,
)
from coupon.v1.common_pb2 import CustomerRef, IssuanceMetadata

from ._channel import open_channel
from .messages import new_request_id
from .retry import RetryPolicy, call_with_retry

DEFAULT_TIMEOUT = 5.0


class CouponClient:
    """Issues coupons over one channel to the coupon service.

    Every call carries `authorization` (when given) and a deadline of `timeout` seconds unless
    the call names its own. Issuing calls always carry a request_id, generated when the caller
    gives none, and are retried on UNAVAILABLE and DEADLINE_EXCEEDED with that same id, so a
    retry returns the first attempt's coupons and never issues twice. Failures raise
    CouponError. Use it as an async context manager, or call `close`.
    """

    def __init__(
        self,
        target: str,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        authorization: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._channel = open_channel(
            target,
            credentials=credentials,
            authorization=authorization,
            timeout=timeout,
            options=options,
        )
        self.coupons = coupon_service_pb2_grpc.CouponServiceStub(self._channel)
        self.series = series_service_pb2_grpc.SeriesServiceStub(self._channel)
        self.customers = customer_service_pb2_grpc.CustomerServiceStub(self._channel)

    async def issue_multiple(
        self,
        series_id: int | Sequence[int],
        customer: CustomerRef,
        *,
        count: int | None = None,
        metadata: IssuanceMetadata | None = None,
        request_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (a gRPC deadline, sent to the server)
    ) -> coupon_service_pb2.IssueMultipleResponse:
        """Issues `count` coupons (1 when omitted) from one series, or from each of several."""
        request = coupon_service_pb2.IssueMultipleRequest(
            customer=customer, metadata=metadata, requestId=request_id or new_request_id()
        )
        if isinstance(series_id, int):
            request.seriesId = series_id
        else:
            request.seriesIds.extend(series_id)
        if count is not None:
            request.count = count
        return await call_with_retry(
            self.coupons.IssueMultiple, request, timeout=self._timeout(timeout), policy=self.retry
        )

    async def bulk_issue(
        self,
        series_ids: Sequence[int],
        customer: CustomerRef,
        *,
        metadata: IssuanceMetadata | None = None,
        request_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (a gRPC deadline, sent to the server)
    ) -> coupon_service_pb2.BulkIssueResponse:
        """Issues one coupon from each series; each series answers on its own."""
        request = coupon_service_pb2.BulkIssueRequest(
            seriesIds=list(series_ids),
            customer=customer,
            metadata=metadata,
            requestId=request_id or new_request_id(),
        )
        return await call_with_retry(
            self.coupons.BulkIssue, request, timeout=self._timeout(timeout), policy=self.retry
        )

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> CouponClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _timeout(self, timeout: float | None) -> float | None:
        return self.timeout if timeout is None else timeout
