"""Whether the service can do its work: the database answers, at this version's schema.
Watched while serving, waited for at start.

The probe is the adapters' (a `SELECT 1` on a pooled connection, then the schema's revision);
this module only decides when to ask and what to tell: every change is logged once and handed
to the listeners (the gRPC health service), and the latest answer is kept for GET /readyz, so a
load balancer stops sending calls while the database is gone and sends them again when it is
back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from .background import BackgroundTask
from .unit_of_work import StoreUnavailable

logger = logging.getLogger(__name__)
Probe = Callable[[], Awaitable[None]]  # Raises StoreUnavailable when the database is down.
Listener = Callable[[bool], Awaitable[None]]
PROBE_TIMEOUT_SECONDS = 5.0


class DatabaseUnreachable(Exception):
    """The database did not answer within the start-up time allowed."""


async def _answers(probe: Probe) -> StoreUnavailable | None:
    try:
        # Not wait_for: on Python 3.11 it swallows a cancel that comes as the probe returns,
        # and ReadinessWatch.stop then waits forever for a task that goes on probing.
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await probe()
    except StoreUnavailable as failure:
        return failure
    except TimeoutError:
        return StoreUnavailable(f"no answer within {PROBE_TIMEOUT_SECONDS:g} s")
    return None


async def wait_for_database(probe: Probe, *, timeout_seconds: float, where: str) -> None:
    """Returns once the database answers; retries with backoff, up to `timeout_seconds`."""
    deadline = time.monotonic() + timeout_seconds
    pause = 0.25
    failure = await _answers(probe)
    if failure is None:
        return
    logger.warning(
        "the database at %s does not answer (%s); retrying for up to %g s",
        where,
        failure,
        timeout_seconds,
    )
    while failure is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DatabaseUnreachable(
                f"the database at {where} did not answer within {timeout_seconds:g} s: {failure}"
            )
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, 2.0)
        failure = await _answers(probe)
    logger.info("the database at %s answers", where)


class ReadinessWatch(BackgroundTask):
    """Probes the database every `interval_seconds` and tells the listener of each change.

    `ready` and `reason` are the latest answer, for readers that must not ask the database
    themselves (GET /readyz); from `stop` on they say NOT_SERVING, whatever the database says.
    """

    name = "readiness-watch"

    def __init__(self, probe: Probe, listener: Listener, *, interval_seconds: float) -> None:
        super().__init__()
        self._probe = probe
        self._listener = listener
        self._interval = interval_seconds
        self.ready = True  # Start-up waited for the database.
        self.reason = ""  # Why not, when not ready.

    async def check(self) -> None:
        """Probes once, and tells the listener when the answer changed."""
        failure = await _answers(self._probe)
        self.reason = "" if failure is None else str(failure)
        ready = failure is None
        if ready == self.ready:
            return
        self.ready = ready
        if ready:
            logger.info("the database answers again: serving")
        else:
            logger.warning("not serving: %s", failure)
        await self._listener(ready)

    async def stop(self) -> None:
        await super().stop()
        self.ready, self.reason = False, "shutting down"
        await self._listener(False)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.check()
