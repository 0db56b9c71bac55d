"""The background pruner: idempotency keys past their window (idempotency.py) and events past
the feed's retention window (events.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from .background import BackgroundTask
from .clock import utcnow
from .events import EVENT_RETENTION, prune_events
from .idempotency import prune_request_ids
from .unit_of_work import StoreUnavailable, UnitOfWork

logger = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 600.0


class Pruner(BackgroundTask):
    """Every `every_seconds` (the first time right after start), removes the keys older than
    the unit of work's window and the events older than `events_kept_for`. A database that
    is away only skips a round.

    Events go by the heads noted on earlier rounds, so they are kept for `events_kept_for`
    plus up to one round.
    """

    name = "pruner"

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        every_seconds: float = PRUNE_EVERY_SECONDS,
        events_kept_for: timedelta = EVENT_RETENTION,
    ) -> None:
        super().__init__()
        self._uow = uow
        self._every = every_seconds
        self._events_kept_for = events_kept_for

    async def _run(self) -> None:
        keys_kept_for: timedelta = self._uow.request_ids_kept_for
        while True:
            try:
                now = utcnow()
                keys = await prune_request_ids(self._uow, now=now, kept_for=keys_kept_for)
                events = await prune_events(self._uow, now=now, kept_for=self._events_kept_for)
            except StoreUnavailable as failure:
                logger.warning("pruning waits for the next round: %s", failure)
            else:
                if keys:
                    logger.info("removed %d request ids older than %s", keys, keys_kept_for)
                if events:
                    logger.info("removed %d events older than %s", events, self._events_kept_for)
            await asyncio.sleep(self._every)
