"""Both flavours of the typed client behind one awaitable face, and what their tests share."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from coupon_client import RetryPolicy, SyncCouponClient, customer_ref

from coupon.v1 import customer_service_pb2

DEMO = customer_ref(mobile="11223569865")
FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)
FLAVOURS = ["async", "sync"]


class Threaded:
    """A SyncCouponClient whose every method is awaited here and runs in a worker thread."""

    def __init__(self, sync: SyncCouponClient) -> None:
        self.sync = sync

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.sync, name)

        async def in_thread(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(functools.partial(method, *args, **kwargs))

        return in_thread


async def list_coupons(client: Any, **kwargs: Any) -> list[customer_service_pb2.Coupon]:
    return list((await client.list_customer_coupons(DEMO, **kwargs)).coupons)
