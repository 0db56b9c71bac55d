"""Bounded retries with jittered exponential backoff, for calls that carry an idempotency key.

Only a call whose request holds a request_id may be retried: the server then answers a retry
with the coupons of the first attempt, so a lost response never issues coupons twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import grpc

from .errors import CouponError

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")
_Request_contra = TypeVar("_Request_contra", contravariant=True)
_Response_co = TypeVar("_Response_co", covariant=True)
_RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class UnaryCall(Protocol[_Request_contra, _Response_co]):
    """A stub method: `stub.IssueMultiple` and the like."""

    def __call__(
        self, request: _Request_contra, *, timeout: float | None = ...
    ) -> Awaitable[_Response_co]: ...


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. `max_attempts` counts the first try."""

    max_attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0
    retryable: frozenset[grpc.StatusCode] = _RETRYABLE

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("backoffs must not be negative and multiplier must be at least 1")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first retry), jittered to
        between half and all of the exponential delay so that callers spread out."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        return ceiling * (0.5 + random.random() / 2)


NO_RETRY = RetryPolicy(max_attempts=1)


async def call_with_retry(
    method: UnaryCall[_Request, _Response],
    request: _Request,
    *,
    timeout: float | None,  # noqa: ASYNC109  (a gRPC deadline per attempt)
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> _Response:
    """Sends the same `request` until it succeeds, fails for good, or runs out of attempts.

    Each attempt gets its own `timeout`, so a DEADLINE_EXCEEDED attempt can be retried.
    Raises CouponError with the last failure.
    """
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return await method(request, timeout=timeout)
        except grpc.aio.AioRpcError as error:
            if error.code() not in policy.retryable or attempt == policy.max_attempts:
                raise CouponError.from_rpc_error(error) from error
        await sleep(policy.backoff(attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")
