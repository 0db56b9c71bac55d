"""Retries: bounded, with jittered exponential backoff, resending the very same request.

Two layers retry, and never the same failure, so one RetryPolicy bounds both:

- gRPC itself retries UNAVAILABLE and ABORTED, by the `retryPolicy` that `service_config`
  writes into the channel's service config, for the RPCs safe to resend (see _rpcs.py): at most
  `max_attempts` tries (gRPC caps them at 5), each backoff drawn at random up to
  initial_backoff * multiplier ** n (capped at max_backoff), all within the call's one
  deadline. It resends the same bytes, so an issuing call keeps its requestId.
- `call_with_retry` (and `call_with_retry_sync`) retry DEADLINE_EXCEEDED, which gRPC's policy
  cannot: the deadline bounds all of its attempts. Here each attempt gets a deadline of its own,
  with `backoff` (jittered, exponential) between attempts.

So a call sends its request at most max_attempts * min(max_attempts, 5) times and may take up to
max_attempts deadlines. A server's google.rpc.RetryInfo is not waited for here (gRPC reads only
its own pushback header): it reaches the caller as Unavailable.retry_after once both layers gave
up. A call that failed for good raises the typed CouponError of its last attempt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, TypeVar

import grpc

from ._translate import from_rpc_error, status_of

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")
_Request_contra = TypeVar("_Request_contra", contravariant=True)
_Response_co = TypeVar("_Response_co", covariant=True)
CHANNEL_RETRIED = ("UNAVAILABLE", "ABORTED")
_MAX_GRPC_ATTEMPTS = 5  # gRPC lowers a larger maxAttempts to this.


class UnaryCall(Protocol[_Request_contra, _Response_co]):
    """One attempt of a call that answers later (the async flavour)."""

    def __call__(
        self, request: _Request_contra, *, timeout: float | None
    ) -> Awaitable[_Response_co]: ...


class BlockingCall(Protocol[_Request_contra, _Response_co]):
    """One attempt of a call that blocks until answered (the sync flavour)."""

    def __call__(self, request: _Request_contra, *, timeout: float | None) -> _Response_co: ...


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. `max_attempts` counts the first try."""

    max_attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff <= 0 or self.max_backoff <= 0 or self.multiplier < 1:
            raise ValueError("backoffs must be positive and multiplier must be at least 1")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first retry), jittered to
        between half and all of the exponential delay so that callers spread out."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        return ceiling * (0.5 + random.random() / 2)

    def retries(self, error: grpc.RpcError, attempt: int) -> bool:
        """Whether `call_with_retry` sends attempt number `attempt + 1` after `error`."""
        return attempt < self.max_attempts and status_of(error) is grpc.StatusCode.DEADLINE_EXCEEDED

    def service_config(self, methods: Iterable[tuple[str, str]]) -> str:
        """The channel's service config: gRPC's retry policy for these (service, method)s."""
        if self.max_attempts == 1:
            return json.dumps({"methodConfig": []})
        policy = {
            "maxAttempts": min(self.max_attempts, _MAX_GRPC_ATTEMPTS),
            "initialBackoff": _duration(self.initial_backoff),
            "maxBackoff": _duration(self.max_backoff),
            "backoffMultiplier": self.multiplier,
            "retryableStatusCodes": list(CHANNEL_RETRIED),
        }
        names = [{"service": service, "method": method} for service, method in methods]
        return json.dumps({"methodConfig": [{"name": names, "retryPolicy": policy}]})


NO_RETRY = RetryPolicy(max_attempts=1)


def _duration(seconds: float) -> str:
    return f"{max(seconds, 0.001):.3f}s"  # gRPC refuses a zero backoff.


async def call_with_retry(
    method: UnaryCall[_Request, _Response],
    request: _Request,
    *,
    timeout: float | None,  # noqa: ASYNC109  (a gRPC deadline per attempt)
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> _Response:
    """Sends `request`, and again after an attempt that ran out of its deadline."""
    attempt = 1
    while True:
        try:
            return await method(request, timeout=timeout)
        except grpc.RpcError as error:
            if not policy.retries(error, attempt):
                raise from_rpc_error(error) from error
        await sleep(policy.backoff(attempt))
        attempt += 1


def call_with_retry_sync(
    method: BlockingCall[_Request, _Response],
    request: _Request,
    *,
    timeout: float | None,
    policy: RetryPolicy,
    sleep: Callable[[float], object] = time.sleep,
) -> _Response:
    """The blocking twin of `call_with_retry`."""
    attempt = 1
    while True:
        try:
            return method(request, timeout=timeout)
        except grpc.RpcError as error:
            if not policy.retries(error, attempt):
                raise from_rpc_error(error) from error
        sleep(policy.backoff(attempt))
        attempt += 1
