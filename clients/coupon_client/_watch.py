"""Following the event feed, for both client flavours: the request that (re)opens the stream,
and whether and when to open it again after it failed.

A stream is opened again only after UNAVAILABLE (a replica shutting down, a connection lost,
the database away), and then asks for what follows the last event yielded: nothing is missed
and nothing comes twice. Reconnections are not counted: a feed is followed for as long as its
caller wants, through restarts of any length. Between two attempts the client waits its
RetryPolicy backoff (started again by every event received, never shorter than the server's
RetryInfo); each attempt is sent with wait_for_ready, so while the server is away it waits
for the channel to connect (paced by gRPC's reconnection backoff) instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc

from coupon.v1 import coupon_service_pb2

from . import _build
from ._translate import from_rpc_error, status_of
from .events import CouponEvent
from .retry import RetryPolicy

# The stream's initial metadata: the cursor the server started it after.
START_CURSOR_KEY = "coupon-start-cursor"


class Watch:
    """Where one `watch_events` iteration stands in the feed."""

    def __init__(self, after: str, from_now: bool, reconnect: bool, policy: RetryPolicy) -> None:
        self._after = after
        self._from_now = from_now
        self._reconnect = reconnect
        self._policy = policy
        self._failures = 0

    def request(self) -> coupon_service_pb2.WatchEventsRequest:
        """What follows the last event yielded; before the first, what the caller asked for."""
        return _build.watch_events(self._after, self._from_now)

    def started(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> None:
        """Takes the cursor the stream starts after while no event came yet: a reconnection
        before the first event then resumes there, instead of starting "from now" again."""
        for key, value in metadata or ():
            if key == START_CURSOR_KEY and isinstance(value, str) and not self._after:
                self._after = value

    def received(self, message: coupon_service_pb2.CouponEvent) -> CouponEvent:
        event = CouponEvent.of(message)
        self._after = event.cursor
        self._failures = 0
        return event

    def reconnect_delay(self, error: grpc.RpcError) -> float:
        """Seconds to wait before opening the stream again after `error`; raises the typed
        exception instead when the stream is not to be opened again."""
        failure = from_rpc_error(error)
        if not self._reconnect or status_of(error) is not grpc.StatusCode.UNAVAILABLE:
            raise failure from error
        self._failures += 1
        return max(self._policy.backoff(self._failures), failure.retry_after or 0.0)
