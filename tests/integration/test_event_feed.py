"""The event feed on real SQLite and PostgreSQL: a transaction that fails after appending its
events leaves neither the change nor an event, and the next one continues right after the
head; concurrent writers on two engines never make a reader reading `position > cursor` miss
an event; each org's feed is its own, numbered 1..head; and an empty cursor starts at the
oldest event kept, also once some were pruned."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.event_repository import SqlEventRepository
from coupon_service.adapters.postgres_batch import PostgresBatchStore
from coupon_service.adapters.sqlite_batch import SqliteBatchStore
from coupon_service.adapters.tables import coupons, redemptions
from coupon_service.adapters.unit_of_work import MAX_BATCH_ATTEMPTS, SqlUnitOfWork
from coupon_service.domain.errors import Unavailable
from coupon_service.domain.events import CouponEvent, EventType, FeedState, NewEvent
from coupon_service.service import events as events_service
from coupon_service.service.batch_store import BatchStore
from coupon_service.service.clock import utcnow
from coupon_service.service.coupons import CouponLookup
from coupon_service.service.events import prune_events, watch_events
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.orgs import ensure_org
from coupon_service.service.redemption import (
    RedeemRequest,
    redeem_coupon,
    reverse_redemption,
    revoke_coupon,
)
from coupon_service.service.unit_of_work import StoreConflict, StoreUnavailable
from tests.factories import a_customer, a_series, by_mobile


class FailAfterAppending:
    """While `failing`, the transaction fails right after its events were appended, as a
    conflict at that moment would."""

    def __init__(self) -> None:
        self.failing = True
        self.appends = 0

    def after_append(self) -> None:
        self.appends += 1
        if self.failing:
            raise StoreConflict("injected: the transaction fails after appending its events")


@pytest.fixture
def batch_append_fails(uow: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch) -> FailAfterAppending:
    """The issuing batches' append_events step fails after doing its work."""
    failure = FailAfterAppending()
    store = PostgresBatchStore if uow.engine.dialect.name == "postgresql" else SqliteBatchStore
    append_events = store.append_events

    def failing(self: Any, events: Sequence[tuple[int, NewEvent]]) -> None:
        append_events(self, events)
        failure.after_append()

    monkeypatch.setattr(store, "append_events", failing)
    return failure


@pytest.fixture
def append_fails(monkeypatch: pytest.MonkeyPatch) -> FailAfterAppending:
    """The use cases' SqlEventRepository.append fails after doing its work."""
    failure = FailAfterAppending()
    append = SqlEventRepository.append

    async def failing(self: SqlEventRepository, org_id: int, new: Sequence[NewEvent]) -> None:
        await append(self, org_id, new)
        failure.after_append()

    monkeypatch.setattr(SqlEventRepository, "append", failing)
    return failure


async def _feed(uow: SqlUnitOfWork, org_id: int) -> tuple[FeedState, list[CouponEvent]]:
    async with uow.transaction() as tx:
        return await tx.events.feed(org_id), await tx.events.after(org_id, 0, 10_000)


async def _count(uow: SqlUnitOfWork, table: Any, org_id: int) -> int:
    async with uow.engine.connect() as connection:
        counted = await connection.execute(
            select(func.count()).select_from(table).where(table.c.org_id == org_id)
        )
        return int(counted.scalar_one())


# --- a transaction that fails after appending -------------------------------------------------


async def test_an_issuing_batch_that_fails_after_appending_leaves_no_event_and_no_gap(
    uow: SqlUnitOfWork, org_id: int, batch_append_fails: FailAfterAppending
) -> None:
    series = await a_series(uow, org_id)
    customer = by_mobile(await a_customer(uow, org_id))
    batch_append_fails.failing = False
    await issue_multiple(uow, org_id, IssueRequest([series.id], 2, customer))
    before, _ = await _feed(uow, org_id)
    batch_append_fails.failing = True

    with pytest.raises(Unavailable):
        await issue_multiple(uow, org_id, IssueRequest([series.id], 3, customer, request_id="r"))

    # Each attempt (the unit of work reruns a batch that failed fast) appended, and rolled back.
    assert batch_append_fails.appends == 1 + MAX_BATCH_ATTEMPTS
    after, events = await _feed(uow, org_id)
    assert after == before and [e.position for e in events] == [1, 2]
    assert await _count(uow, coupons, org_id) == 2
    batch_append_fails.failing = False
    issued = await issue_multiple(
        uow, org_id, IssueRequest([series.id], 3, customer, request_id="r")
    )
    head, events = await _feed(uow, org_id)
    assert [e.position for e in events] == [1, 2, 3, 4, 5] and head.head == 5
    assert [e.coupon_id for e in events[2:]] == [c.id for c in issued.outcomes[0].coupons]


async def _issued(uow: SqlUnitOfWork, org_id: int) -> tuple[int, RedeemRequest]:
    series = await a_series(uow, org_id, max_redemptions_per_coupon=2)
    customer = by_mobile(await a_customer(uow, org_id))
    issued = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, customer))
    coupon = issued.outcomes[0].coupons[0]
    return coupon.id, RedeemRequest(coupon.code, customer, bill_number="B-1")


async def test_a_redemption_batch_that_fails_after_appending_leaves_no_event_and_no_gap(
    uow: SqlUnitOfWork, org_id: int, batch_append_fails: FailAfterAppending
) -> None:
    batch_append_fails.failing = False
    coupon_id, redeem = await _issued(uow, org_id)
    await redeem_coupon(uow, org_id, redeem)
    before, _ = await _feed(uow, org_id)
    stored = await _stored_state(uow, org_id, coupon_id)
    batch_append_fails.failing, batch_append_fails.appends = True, 0

    with pytest.raises(Unavailable):
        await redeem_coupon(uow, org_id, redeem)

    # Each attempt (the unit of work reruns a batch that failed fast) appended, and rolled back.
    assert batch_append_fails.appends == MAX_BATCH_ATTEMPTS
    after, events = await _feed(uow, org_id)
    assert after == before and [e.position for e in events] == [1, 2]
    assert await _stored_state(uow, org_id, coupon_id) == stored
    batch_append_fails.failing = False
    await redeem_coupon(uow, org_id, redeem)
    head, events = await _feed(uow, org_id)
    assert [(e.position, e.type) for e in events[2:]] == [(3, EventType.REDEEMED)]
    assert head.head == 3 and await _stored_state(uow, org_id, coupon_id) != stored


@pytest.mark.parametrize("change", ["reverse", "revoke"])
async def test_a_change_that_fails_after_appending_leaves_no_event_and_no_gap(
    uow: SqlUnitOfWork,
    org_id: int,
    append_fails: FailAfterAppending,
    batch_append_fails: FailAfterAppending,
    change: str,
) -> None:
    batch_append_fails.failing = False
    coupon_id, redeem = await _issued(uow, org_id)
    redemption_id = (await redeem_coupon(uow, org_id, redeem)).redemption.id
    before, _ = await _feed(uow, org_id)
    stored = await _stored_state(uow, org_id, coupon_id)
    append_fails.failing = True

    async def make_change() -> EventType:
        if change == "reverse":
            await reverse_redemption(uow, org_id, redemption_id)
            return EventType.REDEMPTION_REVERSED
        await revoke_coupon(uow, org_id, CouponLookup(coupon_id=coupon_id), "leaked")
        return EventType.REVOKED

    with pytest.raises(StoreUnavailable):
        await make_change()

    assert append_fails.appends == 1
    after, events = await _feed(uow, org_id)
    assert after == before and [e.position for e in events] == [1, 2]
    assert await _stored_state(uow, org_id, coupon_id) == stored
    append_fails.failing = False
    kind = await make_change()
    head, events = await _feed(uow, org_id)
    assert [(e.position, e.type) for e in events[2:]] == [(3, kind)] and head.head == 3
    assert await _stored_state(uow, org_id, coupon_id) != stored


async def _stored_state(uow: SqlUnitOfWork, org_id: int, coupon_id: int) -> tuple[Any, ...]:
    """What the changes above change: the coupon's uses and revocation, its redemptions."""
    async with uow.engine.connect() as connection:
        coupon = (
            await connection.execute(
                select(coupons.c.redemption_count, coupons.c.revoked_at).where(
                    coupons.c.id == coupon_id
                )
            )
        ).one()
        rows = await connection.execute(
            select(redemptions.c.id, redemptions.c.reversed_at)
            .where(redemptions.c.org_id == org_id)
            .order_by(redemptions.c.id)
        )
        return (*coupon, *rows.all())


# --- concurrent writers and a reader following the feed ---------------------------------------

WRITERS_PER_ENGINE = 6
TRANSACTIONS_PER_WRITER = 20


@pytest.fixture
async def second_uow(db_url: str) -> AsyncIterator[SqlUnitOfWork]:
    """Another replica's door: an engine and pool of its own on the same database."""
    engine = create_engine(db_url)
    try:
        yield SqlUnitOfWork(engine)
    finally:
        await engine.dispose()


async def _one_coupon(uow: SqlUnitOfWork, org_id: int) -> int:
    series = await a_series(uow, org_id)
    customer = by_mobile(await a_customer(uow, org_id))
    issued = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, customer))
    return issued.outcomes[0].coupons[0].id


async def _write(
    uow: SqlUnitOfWork, coupon_of: dict[int, int], writer: int, appended: Counter[int]
) -> None:
    """Transactions appending 1 to 3 events to one org's feed and pausing before the commit
    (the window in which a later position must not become visible first), and every fourth
    an issuing batch's append to both feeds at once. (Any type of event will do: the feed
    numbers what it is given.)"""
    chance = random.Random(writer)
    orgs = sorted(coupon_of)
    for turn in range(TRANSACTIONS_PER_WRITER):
        events = [
            (org_id, NewEvent(EventType.REVOKED, coupon_of[org_id], utcnow()))
            for org_id in orgs
            for _ in range(chance.randint(1, 3))
            if turn % 4 == 0 or org_id == orgs[(writer + turn) % 2]
        ]
        if turn % 4 == 0:
            await uow.run_batch(_appending(events))
        else:
            async with uow.transaction() as tx:
                await tx.events.append(events[0][0], [event for _, event in events])
                await asyncio.sleep(chance.uniform(0, 0.003))
        appended.update(org_id for org_id, _ in events)


def _appending(events: Sequence[tuple[int, NewEvent]]) -> Callable[[BatchStore], None]:
    def work(store: BatchStore) -> None:
        store.append_events(events)

    return work


async def _follow(
    uow: SqlUnitOfWork, org_id: int, writers_done: asyncio.Event
) -> list[tuple[int, int]]:
    """Reads what follows the last position read, again and again, until the writers are done
    and nothing follows: (position, coupon_id) of each event read."""
    read: list[tuple[int, int]] = []
    while True:
        finished = writers_done.is_set()
        async with uow.transaction() as tx:
            page = await tx.events.after(org_id, read[-1][0] if read else 0, 50)
        read += [(event.position, event.coupon_id) for event in page]
        if finished and not page:
            return read


async def test_a_reader_of_what_follows_its_cursor_misses_nothing_under_concurrent_writers(
    uow: SqlUnitOfWork, second_uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    other_org = await ensure_org(uow, f"test-{uuid.uuid4().hex[:16]}")
    coupon_of = {org: await _one_coupon(uow, org) for org in (org_id, other_org)}
    appended: Counter[int] = Counter(dict.fromkeys(coupon_of, 1))  # The ISSUED events.
    reader = SqlUnitOfWork(create_engine(db_url))
    writers_done = asyncio.Event()

    following = [asyncio.create_task(_follow(reader, org, writers_done)) for org in coupon_of]
    try:
        await asyncio.gather(
            *(
                _write(door, coupon_of, number * 2 + replica, appended)
                for number in range(WRITERS_PER_ENGINE)
                for replica, door in enumerate((uow, second_uow))
            )
        )
        writers_done.set()
        followed = await asyncio.gather(*following)
    finally:
        for task in following:  # Only left running when a writer failed.
            task.cancel()
        await reader.engine.dispose()

    for org, read in zip(coupon_of, followed, strict=True):
        head, _ = await _feed(uow, org)
        assert head.head == appended[org]
        assert [position for position, _ in read] == list(range(1, head.head + 1))
        assert {coupon for _, coupon in read} == {coupon_of[org]}  # Its own events only.


# --- where an empty cursor starts -------------------------------------------------------------


async def test_an_empty_cursor_starts_at_the_oldest_event_kept_after_a_prune(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id)
    customer = by_mobile(await a_customer(uow, org_id))
    await issue_multiple(uow, org_id, IssueRequest([series.id], 3, customer))
    # Two rounds of the pruner: the first notes the head, the second (a window later) prunes.
    await prune_events(uow, now=utcnow(), kept_for=timedelta(hours=1))
    await prune_events(uow, now=utcnow() + timedelta(hours=2), kept_for=timedelta(hours=1))
    later = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, customer))

    first = await _first_event(uow, org_id, "")

    assert (first.position, first.coupon_id) == (4, later.outcomes[0].coupons[0].id)


async def _first_event(uow: SqlUnitOfWork, org_id: int, after: str) -> CouponEvent:
    async with asyncio.timeout(10):
        async for event in watch_events(uow, org_id, after, poll_seconds=0.05):
            return event
    raise AssertionError("the feed ended")


# --- pruning in chunks ------------------------------------------------------------------------


async def test_pruning_goes_in_short_transactions_of_at_most_a_chunk_each(
    uow: SqlUnitOfWork, org_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    series = await a_series(uow, org_id)
    customer = by_mobile(await a_customer(uow, org_id))
    await issue_multiple(uow, org_id, IssueRequest([series.id], 7, customer))
    monkeypatch.setattr(events_service, "PRUNE_CHUNK", 3)
    chunks: list[int] = []
    prune_before = SqlEventRepository.prune_before

    async def counted(self: SqlEventRepository, moment: datetime, limit: int) -> int:
        removed = await prune_before(self, moment, limit)
        chunks.append(removed)
        return removed

    monkeypatch.setattr(SqlEventRepository, "prune_before", counted)
    now = utcnow()
    await prune_events(uow, now=now, kept_for=timedelta(hours=1))  # Notes the heads only.
    removed = await prune_events(uow, now=now + timedelta(hours=2), kept_for=timedelta(hours=1))

    head, left = await _feed(uow, org_id)
    assert left == [] and (head.head, head.pruned_through) == (7, 7)
    assert max(chunks) <= 3 and chunks[-1] < 3  # Other tests' orgs may have had events too.
    assert removed == sum(chunks) >= 7
    assert len([c for c in chunks if c]) >= 3
