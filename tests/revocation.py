"""Waiting for a revocation to reach a server: promised within one second, polled for 1.5."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# The README's promise is one second on every replica; the rest is room for a slow machine.
REVOKED_WITHIN_SECONDS = 1.5
_POLL_SECONDS = 0.05


async def seconds_until_refused(refused: Callable[[], Awaitable[bool]]) -> float:
    """When (after the call) the first attempt `refused` says was refused began.

    Fails the test when an attempt begun 1.5 s or more after the call was still accepted.
    """
    started = time.monotonic()
    while True:
        began = time.monotonic() - started
        if await refused():
            return began
        assert began < REVOKED_WITHIN_SECONDS, f"still accepted {began:.2f} s after revoking"
        await asyncio.sleep(_POLL_SECONDS)
