"""Observing every gRPC call: its Prometheus metrics and its access line, in one interceptor.

It must come first among the server's interceptors: the calls the others refuse (undecodable
requests, missing or wrong credentials) are counted and logged like any other. The record it
opens (service/telemetry.py) is filled further in: the organisation by the credential check,
the request id by the use case, the batch by the batcher. The documented code of a failed call
is read back from the status it sent, so it is the code the caller got, whoever refused it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import grpc
from google.rpc import status_pb2

from coupon.v1 import errors_pb2

from ...service.telemetry import CallRecord, begin_call, end_call
from ..access_log import ACCESS_LOG, log_access
from ..metrics import GrpcMethodMetrics, ServiceMetrics
from .auth import OPEN_METHOD_PREFIXES

_STATUS_DETAILS_KEY = "grpc-status-details-bin"
_Context = grpc.aio.ServicerContext[Any, Any]
_Behavior = Callable[..., Any]
# By (request streaming, response streaming): the handler factory and go-grpc-prometheus's
# grpc_type.
_KINDS: dict[tuple[bool, bool], tuple[Callable[..., grpc.RpcMethodHandler[Any, Any]], str]] = {
    (False, False): (grpc.unary_unary_rpc_method_handler, "unary"),
    (False, True): (grpc.unary_stream_rpc_method_handler, "server_stream"),
    (True, False): (grpc.stream_unary_rpc_method_handler, "client_stream"),
    (True, True): (grpc.stream_stream_rpc_method_handler, "bidi_stream"),
}


class ObservingInterceptor(grpc.aio.ServerInterceptor):
    """Counts and times every call (grpc_server_*), and writes one access line per call but
    health checks and reflection (probes and grpcurl would drown the calls that matter)."""

    def __init__(
        self, metrics: ServiceMetrics | None = None, access_log: logging.Logger = ACCESS_LOG
    ) -> None:
        self._metrics = metrics
        self._access_log = access_log

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None:  # An unknown method: grpc answers UNIMPLEMENTED, nothing to label.
            return None
        behavior = (
            handler.unary_unary
            or handler.unary_stream
            or handler.stream_unary
            or handler.stream_stream
        )
        make_handler, kind = _KINDS[handler.request_streaming, handler.response_streaming]
        method = handler_call_details.method
        call = _ObservedCall(
            method,
            self._metrics.grpc_method(method, kind) if self._metrics is not None else None,
            None if method.startswith(OPEN_METHOD_PREFIXES) else self._access_log,
        )
        if inspect.isasyncgenfunction(behavior):
            observed: _Behavior = call.streaming(behavior)
        elif inspect.iscoroutinefunction(behavior):
            # One response, or (health's Watch) responses written through the context.
            observed = call.awaited(behavior)
        else:
            return handler
        return make_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class _ObservedCall:
    def __init__(
        self, method: str, metrics: GrpcMethodMetrics | None, access_log: logging.Logger | None
    ) -> None:
        self.method = method
        self.metrics = metrics
        self.access_log = access_log

    def awaited(self, behavior: _Behavior) -> _Behavior:
        awaited = cast(Callable[[Any, _Context], Awaitable[Any]], behavior)

        async def observed(request: Any, context: _Context) -> Any:
            started = self.start()
            record, token = begin_call()
            outcome = grpc.StatusCode.UNKNOWN  # What grpc answers for an exception it gets.
            try:
                response = await awaited(request, context)
                outcome = _code(context, grpc.StatusCode.OK)
                return response
            except grpc.aio.AbortError:
                outcome = _code(context, grpc.StatusCode.UNKNOWN)
                raise
            except asyncio.CancelledError:
                outcome = grpc.StatusCode.CANCELLED
                raise
            finally:
                end_call(token)
                self.finish(started, outcome, record, context)

        return observed

    def streaming(self, behavior: _Behavior) -> _Behavior:
        streaming = cast(Callable[[Any, _Context], AsyncIterator[Any]], behavior)

        async def observed(request: Any, context: _Context) -> AsyncIterator[Any]:
            started = self.start()
            # No reset: grpc may close the generator from another context. The call's task
            # owns a copy of the context, so the record ends with it.
            record, _token = begin_call()
            outcome = grpc.StatusCode.UNKNOWN
            try:
                async for response in streaming(request, context):
                    yield response
                outcome = _code(context, grpc.StatusCode.OK)
            except grpc.aio.AbortError:
                outcome = _code(context, grpc.StatusCode.UNKNOWN)
                raise
            except (asyncio.CancelledError, GeneratorExit):
                outcome = grpc.StatusCode.CANCELLED
                raise
            finally:
                self.finish(started, outcome, record, context)

        return observed

    def start(self) -> float:
        if self.metrics is not None:
            self.metrics.started.inc()
        return time.perf_counter()

    def finish(
        self, started: float, outcome: grpc.StatusCode, record: CallRecord, context: _Context
    ) -> None:
        seconds = time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.handled(outcome.name, seconds)
        log = self.access_log
        if log is None or not log.isEnabledFor(logging.INFO):
            return
        if outcome is not grpc.StatusCode.OK:
            record.code = _documented_code(context)
        log_access(log, ("method", self.method), outcome.name, record, seconds)


def _code(context: _Context, otherwise: grpc.StatusCode) -> grpc.StatusCode:
    """The status the call ends with: the one it set or aborted with, else `otherwise`."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):  # grpc.aio keeps the code as set: an enum or its number.
        return next((known for known in grpc.StatusCode if known.value[0] == code), otherwise)
    return otherwise


def _documented_code(context: _Context) -> int:
    """The documented coupon code in the rich status the call was refused with; 0 if none."""
    for key, value in context.trailing_metadata() or ():
        if key != _STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        detail = errors_pb2.CouponErrorDetail()
        for packed in status_pb2.Status.FromString(value).details:
            if packed.Unpack(detail):
                return int(detail.code)
    return 0


__all__ = ["ObservingInterceptor"]
