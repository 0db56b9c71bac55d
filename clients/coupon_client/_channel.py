"""The client's channel: every call on it carries the authorization value and a deadline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

AUTHORIZATION = "authorization"


class _CallDefaults(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds `authorization` metadata and the default deadline to calls that lack them."""

    def __init__(self, authorization: str | None, timeout: float | None) -> None:
        self._authorization = authorization
        self._timeout = timeout

    async def intercept_unary_unary(
        self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        metadata = grpc.aio.Metadata(*tuple(client_call_details.metadata or ()))
        # Metadata iterates (key, value) pairs but `in` looks up a key, as a mapping's does.
        if self._authorization is not None and AUTHORIZATION not in metadata:  # type: ignore[comparison-overlap]
            metadata.add(AUTHORIZATION, self._authorization)
        timeout = client_call_details.timeout
        # ClientCallDetails is a namedtuple at run time; the stubs declare a plain class.
        details = client_call_details._replace(  # type: ignore[attr-defined]
            metadata=metadata, timeout=self._timeout if timeout is None else timeout
        )
        return await continuation(details, request)


def open_channel(
    target: str,
    *,
    credentials: grpc.ChannelCredentials | None,
    authorization: str | None,
    timeout: float | None,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """A secure channel when `credentials` are given, else a plaintext one."""
    interceptors = [_CallDefaults(authorization, timeout)]
    if credentials is None:
        return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
    return grpc.aio.secure_channel(target, credentials, options=options, interceptors=interceptors)
