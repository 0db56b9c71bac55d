"""Undecodable requests: refused INVALID_ARGUMENT before anything else runs, authentication too.

grpc.aio decodes a request with the handler's `request_deserializer` after the interceptors
have chosen the handler and before its behaviour runs; a deserializer that raises makes grpc
log a traceback at ERROR and answer UNKNOWN with the exception's class in the details. The
interceptor here, first of the server's, wraps the deserializer so a failure yields a marker
instead, and wraps the behaviour so a marker is refused before the behaviour (the
authentication interceptor's included) sees it. Streamed requests are checked as the
behaviour iterates them.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Any, cast

import grpc
from google.protobuf import descriptor_pool
from google.rpc import status_pb2
from grpc_status import rpc_status

from ...domain.errors import ErrorCode, InvalidRequest
from ..log_limits import RateLimitedLog
from .errors import status_for

logger = logging.getLogger(__name__)

UNDECODABLE_REASON = "UNDECODABLE_REQUEST"
_LOG_KIND = "undecodable request"
_Context = grpc.aio.ServicerContext[Any, Any]
_Deserializer = Callable[[bytes], Any]
# The stubs type behaviours for the sync server; on grpc.aio they take its context.
_Behavior = Callable[..., Any]
# By (request streaming, response streaming).
_HANDLER_FACTORIES: dict[tuple[bool, bool], Callable[..., grpc.RpcMethodHandler[Any, Any]]] = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


class _Undecodable:
    """What the wrapped deserializer yields for bytes it cannot decode."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


def _tolerant(deserializer: _Deserializer) -> _Deserializer:
    def deserialize(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception:  # Whatever the deserializer raises, the bytes are the caller's fault.
            return _Undecodable(len(raw))

    return deserialize


@functools.lru_cache(maxsize=256)
def _request_type(method: str) -> str | None:
    """The full name of the message `method` (/package.Service/Method) takes, if it is known."""
    service, _, name = method.lstrip("/").partition("/")
    try:
        found = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name]
    except KeyError:
        return None
    return str(found.input_type.full_name)


def undecodable_status(method: str) -> status_pb2.Status:
    """The rich status of an undecodable request: an invalid input (629), like the REST door's
    undecodable body, with a reason of its own."""
    request_type = _request_type(method)
    what = f"a valid {request_type} message" if request_type else "a message this method takes"
    error = InvalidRequest(
        ErrorCode.INVALID_INPUT,
        f"Invalid input: the request is not {what}",
        field="request",
        metadata={"method": method},
        reason=UNDECODABLE_REASON,
    )
    return status_for(error)


class UndecodableRequestInterceptor(grpc.aio.ServerInterceptor):
    """Answers undecodable requests INVALID_ARGUMENT, logging them at most once per interval.

    Must come first among the server's interceptors, so that its check runs before theirs.
    Handlers without a deserializer (raw bytes) and synchronous behaviours are left alone.
    """

    def __init__(self, log: RateLimitedLog | None = None) -> None:
        self._log = log or RateLimitedLog(logger)

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        behavior = (
            handler.unary_unary
            or handler.unary_stream
            or handler.stream_unary
            or handler.stream_stream
        )
        if not (inspect.iscoroutinefunction(behavior) or inspect.isasyncgenfunction(behavior)):
            return handler
        make_handler = _HANDLER_FACTORIES[handler.request_streaming, handler.response_streaming]
        return make_handler(
            self._checked(behavior, handler_call_details.method, handler.request_streaming),
            request_deserializer=_tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )

    def _checked(self, behavior: _Behavior, method: str, streamed_requests: bool) -> _Behavior:
        """The behaviour, of the same kind (coroutine or async generator function), seeing only
        decodable requests: one checked before it runs, or a stream checked as it is read."""

        async def decodable(request: Any, context: _Context) -> Any:
            if streamed_requests:
                return self._decodable_stream(request, context, method)
            if isinstance(request, _Undecodable):
                await self._refuse(request, context, method)
            return request

        if inspect.isasyncgenfunction(behavior):
            streaming = cast(Callable[[Any, _Context], AsyncIterator[Any]], behavior)

            async def checked_stream(request: Any, context: _Context) -> AsyncIterator[Any]:
                async for response in streaming(await decodable(request, context), context):
                    yield response

            return checked_stream
        # One response, or (health's Watch) responses written through the context.
        awaited = cast(Callable[[Any, _Context], Awaitable[Any]], behavior)

        async def checked(request: Any, context: _Context) -> Any:
            return await awaited(await decodable(request, context), context)

        return checked

    async def _decodable_stream(
        self, requests: AsyncIterable[Any], context: _Context, method: str
    ) -> AsyncIterator[Any]:
        async for request in requests:
            if isinstance(request, _Undecodable):
                await self._refuse(request, context, method)
            yield request

    async def _refuse(self, undecodable: _Undecodable, context: _Context, method: str) -> None:
        self._log.log(
            _LOG_KIND,
            "refused an undecodable request to %s (%d bytes) from %s",
            method,
            undecodable.size,
            context.peer(),
        )
        await context.abort_with_status(rpc_status.to_status(undecodable_status(method)))


__all__ = ["UNDECODABLE_REASON", "UndecodableRequestInterceptor", "undecodable_status"]
