"""The event feed under load, followed by a consumer that is killed and resumes: two server
replicas on one database take 10,000 changes (9,000 coupons issued in calls of 45, 1,000 of
them redeemed), every fifth issuing transaction and every ninth redemption batch rolled back after
appending its events, while a WatchEvents consumer in a process of its own (event_consumer.py)
is SIGKILLed twice and started again on the other replica. Its file then holds every event
once, in position order 1..head, and exactly the events of what the database kept: one ISSUED
per coupon, one REDEEMED per redemption, none of what rolled back.

The load comes in three parts and waits after each of the first two for the consumer to have
been killed, so both kills land while changes are still being made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import pathlib
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc
import pytest
from sqlalchemy import select

from coupon.v1 import common_pb2, coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import migrate
from coupon_service.adapters.postgres_batch import PostgresBatchStore
from coupon_service.adapters.postgres_redemptions import PostgresRedemptionStore
from coupon_service.adapters.sqlite_batch import SqliteBatchStore
from coupon_service.adapters.sqlite_redemptions import SqliteRedemptionStore
from coupon_service.adapters.tables import coupons, redemptions
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.domain.credentials import Scope
from coupon_service.domain.events import NewEvent
from coupon_service.service.auth import create_key
from coupon_service.service.orgs import create_org
from coupon_service.service.unit_of_work import StoreConflict
from tests.e2e.conftest import WithAuthorization
from tests.factories import a_customer, a_series

CONSUMER = pathlib.Path(__file__).with_name("event_consumer.py")
ISSUE_CALLS = 200
COUPONS_PER_CALL = 45
REDEEMED_PER_CALL = 5
CHANGES = ISSUE_CALLS * (COUPONS_PER_CALL + REDEEMED_PER_CALL)
PARTS = 3  # The consumer is killed after each part but the last.
CALLS_AT_ONCE = 16
LINES_BEFORE_A_KILL = 300  # What each killed run of the consumer writes at least.
ISSUED = coupon_service_pb2.COUPON_EVENT_TYPE_ISSUED
REDEEMED = coupon_service_pb2.COUPON_EVENT_TYPE_REDEEMED

_Reply = TypeVar("_Reply")
Line = tuple[int, int, int]  # (type, coupon_id, redemption_id or 0): an event without its cursor.


class RollBackEveryNth:
    """Makes every nth transaction that appends events fail right after the append, as a
    conflict would: the unit of work runs the batch again, and the caller retries with the
    same request id when every attempt failed."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.appends = 0
        self.rolled_back = 0

    def after_append(self) -> None:
        self.appends += 1
        if self.appends % self.every == 0:
            self.rolled_back += 1
            raise StoreConflict("injected: the transaction fails after appending its events")


@dataclasses.dataclass
class Feed:
    """Two replicas on one database, with the org the load writes to and a door for auditing."""

    servers: list[RunningService]
    stubs: list[coupon_service_pb2_grpc.CouponServiceStub]
    uow: SqlUnitOfWork
    org_id: int
    authorization: str
    rolled_back_issues: RollBackEveryNth
    rolled_back_redemptions: RollBackEveryNth
    consumers: list[Consumer] = dataclasses.field(default_factory=list)  # Every run started.

    def target(self, replica: int) -> str:
        return f"127.0.0.1:{self.servers[replica].grpc_port}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path}/event-feed.db"


@pytest.fixture
async def feed(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Feed]:
    engine = create_engine(database_url)
    await migrate(engine)
    uow = SqlUnitOfWork(engine)
    org = f"feed-{uuid.uuid4().hex[:12]}"
    org_id = await create_org(uow, org)
    authorization = (await create_key(uow, org, [Scope.ISSUE])).authorization
    issuing, redeeming = _roll_back_after_appends(monkeypatch, database_url)
    settings = Settings(
        db_url=database_url, grpc_port=0, http_port=0, metrics_port=0, event_poll_seconds=0.05
    )
    servers = [await start(settings) for _ in range(2)]
    channels = [
        grpc.aio.insecure_channel(
            f"127.0.0.1:{server.grpc_port}", interceptors=[WithAuthorization(authorization)]
        )
        for server in servers
    ]
    running = None
    try:
        stubs = [coupon_service_pb2_grpc.CouponServiceStub(c) for c in channels]
        running = Feed(servers, stubs, uow, org_id, authorization, issuing, redeeming)
        yield running
    finally:
        for consumer in running.consumers if running else []:
            if consumer.process.returncode is None:  # A failed test left it running.
                await consumer.kill()
        for channel in channels:
            await channel.close()
        for server in servers:
            await server.stop(0)
        await engine.dispose()


def _roll_back_after_appends(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> tuple[RollBackEveryNth, RollBackEveryNth]:
    """Patches the step both kinds of batch append their events with: issuing's store and the
    redemption store built on it, each counted apart."""
    issuing, redeeming = RollBackEveryNth(5), RollBackEveryNth(9)
    sqlite = database_url.startswith("sqlite")
    stores = {
        SqliteBatchStore if sqlite else PostgresBatchStore: issuing,
        SqliteRedemptionStore if sqlite else PostgresRedemptionStore: redeeming,
    }
    for store, rolling_back in stores.items():
        monkeypatch.setattr(
            store, "append_events", _failing_after(store.append_events, rolling_back)
        )
    return issuing, redeeming


def _failing_after(
    append_events: Callable[[Any, Sequence[tuple[int, NewEvent]]], None],
    rolling_back: RollBackEveryNth,
) -> Callable[[Any, Sequence[tuple[int, NewEvent]]], None]:
    def failing_append_events(self: Any, events: Sequence[tuple[int, NewEvent]]) -> None:
        append_events(self, events)
        rolling_back.after_append()

    return failing_append_events


class Consumer:
    """One run of event_consumer.py: followed through the lines it echoes, then killed."""

    def __init__(self, process: asyncio.subprocess.Process, errors: pathlib.Path) -> None:
        self.process = process
        self.errors = errors
        self.lines = 0
        self.position = 0

    @classmethod
    async def start(cls, target: str, authorization: str, output: pathlib.Path) -> Consumer:
        errors = output.with_suffix(".stderr")
        with errors.open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(CONSUMER),
                target,
                authorization,
                str(output),
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        return cls(process, errors)

    async def follow(self, *, lines: int = 0, position: int = 0) -> None:
        """Reads what it echoes until it wrote `lines` lines, or the line at `position`."""
        assert self.process.stdout is not None
        while self.lines < lines or self.position < position:
            echoed = await self.process.stdout.readline()
            assert echoed, f"the consumer ended: {self.errors.read_text()}"
            self.lines += 1
            self.position = int(echoed.split()[0])

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: nothing of the consumer runs after it.
        await self.process.wait()


async def _retrying(call: Callable[[], Awaitable[_Reply]]) -> _Reply:
    """The call, sent again with the same request id while the service answers UNAVAILABLE
    (a rolled-back transaction): the request id keeps a retry from changing anything twice."""
    for _ in range(10):
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            if error.code() is not grpc.StatusCode.UNAVAILABLE:
                raise
    raise AssertionError("still UNAVAILABLE after 10 tries")


async def _issue_and_redeem(
    feed: Feed, series_id: int, customer: common_pb2.CustomerRef, call: int
) -> None:
    """One issuing call, then redeems some of its coupons one by one, alternating the replicas."""
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=series_id, count=COUPONS_PER_CALL, customer=customer, requestId=f"issue-{call}"
    )
    issued = await _retrying(functools.partial(feed.stubs[call % 2].IssueMultiple, request))
    assert issued.successCount == COUPONS_PER_CALL
    for turn, coupon in enumerate(issued.coupons[:REDEEMED_PER_CALL]):
        redeem = coupon_service_pb2.RedeemCouponRequest(
            code=coupon.code, customer=customer, request_id=f"redeem-{coupon.couponId}"
        )
        await _retrying(functools.partial(feed.stubs[(call + turn) % 2].RedeemCoupon, redeem))


async def _load(feed: Feed, killed: Sequence[asyncio.Event]) -> None:
    """CHANGES changes in PARTS parts, CALLS_AT_ONCE calls at a time; after each part but
    the last, waits until the consumer was killed."""
    series = await a_series(feed.uow, feed.org_id)
    people = [await a_customer(feed.uow, feed.org_id) for _ in range(8)]
    refs = [common_pb2.CustomerRef(mobile=person.mobile) for person in people]
    at_once = asyncio.Semaphore(CALLS_AT_ONCE)

    async def one(call: int) -> None:
        async with at_once:
            await _issue_and_redeem(feed, series.id, refs[call % len(refs)], call)

    per_part = -(-ISSUE_CALLS // PARTS)
    for part in range(PARTS):
        calls = range(part * per_part, min((part + 1) * per_part, ISSUE_CALLS))
        await asyncio.gather(*(one(call) for call in calls))
        if part < len(killed):
            await killed[part].wait()


async def _kill_and_resume(
    feed: Feed, output: pathlib.Path, killed: Sequence[asyncio.Event]
) -> Consumer:
    """Starts the consumer on replica 0, then kills it after each of its runs wrote
    LINES_BEFORE_A_KILL lines and starts it again on the other replica; returns the last run."""
    for run in range(len(killed) + 1):
        consumer = await Consumer.start(feed.target(run % 2), feed.authorization, output)
        feed.consumers.append(consumer)
        if run < len(killed):
            await consumer.follow(lines=LINES_BEFORE_A_KILL)
            await consumer.kill()
            killed[run].set()
    return consumer


async def _stored_changes(feed: Feed) -> Counter[Line]:
    """The events the database's rows call for: one ISSUED per coupon, one REDEEMED per
    redemption."""
    async with feed.uow.engine.connect() as connection:
        issued = await connection.execute(
            select(coupons.c.id).where(
                coupons.c.org_id == feed.org_id, coupons.c.customer_id.is_not(None)
            )
        )
        redeemed = await connection.execute(
            select(redemptions.c.coupon_id, redemptions.c.id).where(
                redemptions.c.org_id == feed.org_id
            )
        )
        return Counter([(ISSUED, coupon_id, 0) for (coupon_id,) in issued]) + Counter(
            [(REDEEMED, coupon_id, redemption_id) for coupon_id, redemption_id in redeemed]
        )


async def test_a_killed_consumer_resumes_and_sees_each_of_10000_events_once(
    feed: Feed, tmp_path: pathlib.Path
) -> None:
    output = tmp_path / "consumed.txt"
    killed = [asyncio.Event() for _ in range(PARTS - 1)]

    async with asyncio.timeout(60):
        consumer, _ = await asyncio.gather(
            _kill_and_resume(feed, output, killed), _load(feed, killed)
        )
        async with feed.uow.transaction() as tx:
            head = (await tx.events.feed(feed.org_id)).head
        await consumer.follow(position=head)
        await consumer.kill()

    assert head == CHANGES
    written = [line.split() for line in output.read_text().splitlines()]
    positions = [int(cursor) for cursor, *_ in written]
    missing = sorted(set(range(1, head + 1)) - set(positions))
    repeated = len(positions) - len(set(positions))
    assert positions == list(range(1, head + 1)), f"missing {missing[:20]}, {repeated} repeated"
    assert len(feed.consumers) == PARTS
    consumed = Counter(
        (int(kind), int(coupon), int(redemption)) for _, kind, coupon, redemption in written
    )
    stored = await _stored_changes(feed)
    assert sum(stored.values()) == CHANGES
    assert consumed == stored
    assert feed.rolled_back_issues.rolled_back > 0
    assert feed.rolled_back_redemptions.rolled_back > 0
