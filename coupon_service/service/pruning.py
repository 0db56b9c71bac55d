"""The background pruner of idempotency keys past their window (see idempotency.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from .background import BackgroundTask
from .idempotency import prune_request_ids
from .results import utcnow
from .unit_of_work import StoreUnavailable, UnitOfWork

logger = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 600.0


class RequestIdPruner(BackgroundTask):
    """Every `every_seconds` (the first time right after start), removes the keys older than
    the unit of work's window. A database that is away only skips a round."""

    name = "request-id-pruner"

    def __init__(self, uow: UnitOfWork, *, every_seconds: float = PRUNE_EVERY_SECONDS) -> None:
        super().__init__()
        self._uow = uow
        self._every = every_seconds

    async def _run(self) -> None:
        kept_for: timedelta = self._uow.request_ids_kept_for
        while True:
            try:
                removed = await prune_request_ids(self._uow, now=utcnow(), kept_for=kept_for)
            except StoreUnavailable as failure:
                logger.warning("pruning old request ids waits for the next round: %s", failure)
            else:
                if removed:
                    logger.info("removed %d request ids older than %s", removed, kept_for)
            await asyncio.sleep(self._every)
