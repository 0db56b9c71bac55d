"""Stopping the readiness watch while a probe returns: the service's shutdown must not hang.

On Python 3.11, `asyncio.wait_for` swallowed a cancel that came in the loop turn its awaitable
finished in; the watch then went on probing, and `stop` (the first step of the shutdown)
waited for it forever.
"""

from __future__ import annotations

import asyncio

import pytest

from coupon_service.service.readiness import ReadinessWatch


@pytest.mark.parametrize("turns_before_stop", [0, 1, 2])
async def test_stop_ends_the_watch_even_as_a_probe_returns(turns_before_stop: int) -> None:
    probe_returns = asyncio.get_running_loop().create_future()
    probing = asyncio.Event()

    async def probe() -> None:
        probing.set()
        await probe_returns

    async def listener(ready: bool) -> None:
        pass

    watch = ReadinessWatch(probe, listener, interval_seconds=0.01).start()
    await probing.wait()
    probe_returns.set_result(None)
    for _ in range(turns_before_stop):
        await asyncio.sleep(0)  # Lets the probe's return reach the watch, turn by turn.
    stopping = asyncio.ensure_future(watch.stop())
    # Not asyncio.timeout around `await watch.stop()`: stop suppresses the cancel it would send.
    stopped, _ = await asyncio.wait({stopping}, timeout=2)

    assert stopped == {stopping}, "stop() still waits for the watch"
    assert (watch.ready, watch.reason) == (False, "shutting down")
