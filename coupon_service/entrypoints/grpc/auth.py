"""Authentication on the gRPC door: one interceptor, and the caller's organisation it sets."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import grpc
from grpc_status import rpc_status

from ...domain.credentials import MISSING_CREDENTIALS, Caller
from ...domain.errors import Unauthenticated
from ...service.auth import Authenticator
from .errors import abort_for, status_for

logger = logging.getLogger(__name__)

# Probes and `grpcurl list` / `describe` must work without credentials.
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
_OWN_PACKAGE = "/coupon.v1."
# The context of any call: authentication serves every method alike.
_Context = grpc.aio.ServicerContext[Any, Any]
# The stubs type RpcMethodHandler's behaviours for the sync server; on a grpc.aio server they are
# coroutine functions (one response) and async generator functions (streamed responses).
_UnaryBehavior = Callable[[Any, _Context], Awaitable[Any]]
_StreamingBehavior = Callable[[Any, _Context], AsyncIterator[Any]]
_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar(
    "coupon_caller", default=None
)


async def caller_org(context: _Context) -> int:
    """The servicers' OrgResolver: the organisation the interceptor authenticated."""
    caller = _caller.get()
    if caller is None:  # The interceptor is missing: refuse rather than guess an org.
        refused = Unauthenticated(MISSING_CREDENTIALS)
        await context.abort_with_status(rpc_status.to_status(status_for(refused)))
        raise refused  # abort_with_status raises; this line is never reached.
    return caller.org_id


def _operation(method: str) -> str:
    """The operation name scopes are listed under; methods of other packages get none."""
    return method.rsplit("/", 1)[-1] if method.startswith(_OWN_PACKAGE) else method


def _authorization(context: _Context) -> list[object]:
    return [value for key, value in context.invocation_metadata() or () if key == "authorization"]


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates every call but health and reflection, and checks the method's scope.

    The check runs inside the handler's own task, so the caller it stores in a ContextVar is
    the one `caller_org` reads, and no other call's.
    """

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        operation = _operation(method)
        options = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(cast(_UnaryBehavior, handler.unary_unary), operation), **options
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(cast(_UnaryBehavior, handler.stream_unary), operation), **options
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(cast(_StreamingBehavior, handler.unary_stream), operation),
                **options,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._streaming(cast(_StreamingBehavior, handler.stream_stream), operation), **options
        )

    async def _caller(self, context: _Context, operation: str) -> Caller:
        try:
            # No task of its own needed: the Authenticator's lookups run in tasks of theirs.
            return await self._authenticator.authorize_headers(_authorization(context), operation)
        except Exception as error:
            await abort_for(context, error, f"checking the credentials of {operation}", logger)

    def _unary(self, behavior: _UnaryBehavior, operation: str) -> _UnaryBehavior:
        async def authenticated(request: Any, context: _Context) -> Any:
            token = _caller.set(await self._caller(context, operation))
            try:
                return await behavior(request, context)
            finally:
                _caller.reset(token)

        return authenticated

    def _streaming(self, behavior: _StreamingBehavior, operation: str) -> _StreamingBehavior:
        async def authenticated(request: Any, context: _Context) -> AsyncIterator[Any]:
            # No reset: grpc may close the generator from another context. The call's task
            # owns a copy of the context, so the value ends with it.
            _caller.set(await self._caller(context, operation))
            async for response in behavior(request, context):
                yield response

        return authenticated


__all__ = ["OPEN_METHOD_PREFIXES", "AuthInterceptor", "caller_org"]
