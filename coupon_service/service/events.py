"""WatchEvents: an organisation's events after a cursor, in commit order, then each new one as
it commits; and the pruning of events past the retention window (domain/events.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from ..domain.events import CouponEvent, check_cursor, cursor_of, parse_cursor
from .unit_of_work import UnitOfWork

EVENT_PAGE = 500
EVENT_RETENTION = timedelta(days=7)
EVENT_POLL_SECONDS = 0.2
PRUNE_CHUNK = 5_000  # Events removed per pruning transaction.


async def watch_events(
    uow: UnitOfWork,
    org_id: int,
    after: str,
    *,
    from_now: bool = False,
    poll_seconds: float,
    stop: asyncio.Event | None = None,
    started: Callable[[str], Awaitable[None]] | None = None,
) -> AsyncIterator[CouponEvent]:
    """Every event after the cursor `after` (the empty cursor: the oldest event kept; with
    `from_now`, the latest), then each new one, until `stop` is set or the caller stops.
    `started` hears the cursor the feed starts after, before the first event: a caller that
    must reconnect before any event came resumes there, not "from now" again.

    Each page is read before the feed's pruning mark is, so a page the pruner cut into is
    never sent: the stream fails with 910 instead. Positions become visible in order (see
    event_feeds), so what follows a position is read without gaps.
    """
    position = parse_cursor(after)
    async with uow.transaction() as tx:
        feed = await tx.events.feed(org_id)
    if not after:
        position = feed.head if from_now else feed.pruned_through
    check_cursor(position, feed)
    if started is not None:
        await started(cursor_of(position))
    while stop is None or not stop.is_set():
        async with uow.transaction() as tx:
            page = await tx.events.after(org_id, position, EVENT_PAGE)
            feed = await tx.events.feed(org_id)
        check_cursor(position, feed)
        for event in page:
            yield event
            position = event.position
        if len(page) < EVENT_PAGE:
            await _pause(poll_seconds, stop)


async def _pause(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def prune_events(uow: UnitOfWork, *, now: datetime, kept_for: timedelta) -> int:
    """Notes every feed's head as of `now`, then removes the events that were already there
    at the newest note older than `kept_for`: no event younger than `kept_for` goes."""
    async with uow.transaction() as tx:
        await tx.events.note_heads(now)
    removed = 0
    while True:  # Short transactions: writers wait on a feed only for one chunk's deletion.
        async with uow.transaction() as tx:
            chunk = await tx.events.prune_before(now - kept_for, PRUNE_CHUNK)
        removed += chunk
        if chunk < PRUNE_CHUNK:
            return removed
