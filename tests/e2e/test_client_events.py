"""The typed client's watch_events, both flavours, against a real server with the demo data:
every change arrives once, typed, in commit order; a watch resumes after a cursor; 910 and 911
are typed and never retried; breaking out of the loop cancels the call; and one iterator
follows the feed across a restart of its server, with no event twice and none missed.

The sync flavour reads its feed in a worker thread (the server runs on the test's event loop).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import pathlib
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from coupon_client import (
    CouponClient,
    CouponEvent,
    EventCursorExpired,
    EventCursorInvalid,
    EventType,
    InvalidRequest,
    Redemption,
    SyncCouponClient,
    Unavailable,
    customer_ref,
)

from coupon.v1 import common_pb2, coupon_service_pb2
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.entrypoints.access_log import ACCESS_LOG
from coupon_service.service import events as events_service
from coupon_service.service.clock import utcnow
from coupon_service.service.events import prune_events
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.helpers.clients import FAST_RETRY, FLAVOURS, Threaded

DEMO = customer_ref(mobile="11223569865")
DEMO_CUSTOMER_ID = 555567088
ISSUED, REDEEMED, REVERSED, REVOKED = (
    EventType.ISSUED,
    EventType.REDEEMED,
    EventType.REDEMPTION_REVERSED,
    EventType.REVOKED,
)
WAIT_SECONDS = 20


def _open(flavour: str, target: str) -> Any:
    """A client of `flavour`: CouponClient, or a SyncCouponClient whose calls are awaited."""
    kwargs: dict[str, Any] = {"authorization": DEMO_AUTHORIZATION, "retry": FAST_RETRY}
    if flavour == "async":
        return CouponClient(target, **kwargs)
    return Threaded(SyncCouponClient(target, **kwargs))


@pytest.fixture(params=FLAVOURS)
async def client(service: RunningService, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    opened = _open(request.param, f"127.0.0.1:{service.grpc_port}")
    yield opened
    await opened.close()


async def follow(
    client: Any, count: int, arrived: asyncio.Queue[CouponEvent] | None = None, **watch: Any
) -> list[CouponEvent]:
    """The first `count` events of one watch_events iterator, each also put in `arrived` as it
    comes; the loop is left by `break` (async) or by islice (sync), as a caller leaves it."""
    if isinstance(client, Threaded):
        loop = asyncio.get_running_loop()

        def read(events: Iterator[CouponEvent]) -> list[CouponEvent]:
            taken = []
            for event in itertools.islice(events, count):
                if arrived is not None:
                    loop.call_soon_threadsafe(arrived.put_nowait, event)
                taken.append(event)
            return taken

        return await asyncio.to_thread(read, client.sync.watch_events(**watch))
    taken = []
    async for event in client.watch_events(**watch):
        if arrived is not None:
            arrived.put_nowait(event)
        taken.append(event)
        if len(taken) == count:
            break
    return taken


async def take(client: Any, count: int, **watch: Any) -> list[CouponEvent]:
    """The first `count` events of a new watch; fails if they do not come in time."""
    return await asyncio.wait_for(follow(client, count, **watch), WAIT_SECONDS)


async def life_of_a_coupon(client: Any) -> str:
    """Two coupons of 415446 (one call), the first redeemed, that reversed, then revoked."""
    issued = await client.issue_multiple(
        415446, DEMO, count=2, metadata={"sourceType": "POS", "sourceId": "till-9"}
    )
    code = issued.coupons[0].code
    redeemed = await client.redeem_coupon(
        code, DEMO, bill_number="B-1", bill_amount=500, request_id=f"redeem-{code}"
    )
    await client.reverse_redemption(redeemed.redemption.id)
    await client.revoke_coupon(code, reason="fraud")
    return str(code)


async def test_each_change_arrives_once_typed_and_in_commit_order(client: Any) -> None:
    code = await life_of_a_coupon(client)

    events = await take(client, 5)

    assert all(isinstance(event, CouponEvent) for event in events)
    assert [event.type for event in events] == [ISSUED, ISSUED, REDEEMED, REVERSED, REVOKED]
    assert len({event.cursor for event in events}) == 5
    first, second, redeemed, reversed_, revoked = events
    assert (first.code, first.series_id, first.customer_id) == (code, 415446, DEMO_CUSTOMER_ID)
    assert (first.issuance.sourceType, first.issuance.sourceId) == ("POS", "till-9")
    assert first.valid_till is None and first.redemption is None and first.revoke_reason == ""
    assert first.occurred_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - first.occurred_at) < timedelta(minutes=1)
    assert second.code != code and second.coupon_id != first.coupon_id
    assert isinstance(redeemed.redemption, Redemption)
    assert (redeemed.code, redeemed.redemption.code) == (code, code)
    assert (redeemed.redemption.bill_number, redeemed.redemption.bill_amount) == ("B-1", 500)
    assert redeemed.redemption.request_id == f"redeem-{code}"
    assert redeemed.redemption.reversed_at is None  # As the REDEEMED event left it.
    assert redeemed.redemption.redeemed_at == redeemed.occurred_at
    assert reversed_.redemption is not None
    assert reversed_.redemption.id == redeemed.redemption.id
    assert reversed_.redemption.reversed_at == reversed_.occurred_at
    assert (revoked.code, revoked.revoke_reason, revoked.redemption) == (code, "fraud", None)
    assert revoked.message.revoke_reason == "fraud"  # The message as received, kept.


async def test_a_coupon_with_a_validity_carries_it_as_an_aware_datetime(client: Any) -> None:
    await client.issue_multiple(544770, DEMO)  # The series is valid till 2029-05-09.

    [event] = await take(client, 1)

    assert event.valid_till == datetime(2029, 5, 9, tzinfo=UTC)


async def test_a_watch_resumes_after_the_cursor_it_is_given(client: Any) -> None:
    await life_of_a_coupon(client)
    events = await take(client, 5)

    resumed = await take(client, 3, after=events[1].cursor)

    assert resumed == events[2:]


async def test_from_now_skips_what_the_feed_already_holds(client: Any) -> None:
    await life_of_a_coupon(client)
    watching = asyncio.ensure_future(take(client, 1, from_now=True))
    issued: list[coupon_service_pb2.IssuedCoupon] = []
    # Issue until the watch yields: what it yields can only be a coupon issued after it began.
    while not watching.done() and len(issued) < 100:
        issued += (await client.issue_multiple(535521, DEMO)).coupons
        await asyncio.wait({watching}, timeout=0.1)

    [event] = await watching
    assert event.type is ISSUED
    assert event.code in {coupon.code for coupon in issued}


async def test_a_cursor_the_feed_never_sent_is_a_typed_911_at_once(client: Any) -> None:
    with pytest.raises(EventCursorInvalid) as refused:
        await take(client, 1, after="not-a-cursor")

    assert isinstance(refused.value, InvalidRequest)
    assert (refused.value.code, refused.value.reason) == (911, "EVENT_CURSOR_INVALID")
    assert refused.value.status_code is grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.fields == ["after"]


async def test_a_cursor_past_the_retention_window_is_a_typed_910_naming_the_oldest(
    client: Any, service: RunningService
) -> None:
    await life_of_a_coupon(client)
    events = await take(client, 5)
    # Two rounds of the pruner: the first notes the head, the second (a window later) prunes.
    await prune_events(service.uow, now=utcnow(), kept_for=timedelta(hours=1))
    await prune_events(service.uow, now=utcnow() + timedelta(hours=2), kept_for=timedelta(hours=1))

    with pytest.raises(EventCursorExpired) as expired:
        await take(client, 1, after=events[2].cursor)

    assert (expired.value.code, expired.value.reason) == (910, "EVENT_CURSOR_EXPIRED")
    assert expired.value.status_code is grpc.StatusCode.FAILED_PRECONDITION
    assert expired.value.oldest_cursor == events[4].cursor


class AccessLines(logging.Handler):
    """The outcome of each WatchEvents call, as the server's access line gives it when the call
    ends."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.outcomes: asyncio.Queue[str] = asyncio.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "method", "").endswith("/WatchEvents"):
            self.outcomes.put_nowait(str(getattr(record, "outcome", "")))


@pytest.fixture
def watch_calls(caplog: pytest.LogCaptureFixture) -> Iterator[AccessLines]:
    caplog.set_level(logging.INFO, logger=ACCESS_LOG.name)
    lines = AccessLines()
    ACCESS_LOG.addHandler(lines)
    yield lines
    ACCESS_LOG.removeHandler(lines)


async def test_breaking_out_of_the_loop_cancels_the_call(
    client: Any, watch_calls: AccessLines
) -> None:
    await client.issue_multiple(415446, DEMO)

    await take(client, 1)  # Left by break (async) or islice (sync), the iterator let go.

    outcome = await asyncio.wait_for(watch_calls.outcomes.get(), WAIT_SECONDS)
    assert outcome == "CANCELLED"


async def test_without_reconnect_a_replica_shutting_down_raises_unavailable(
    client: Any, service: RunningService
) -> None:
    await client.issue_multiple(415446, DEMO, count=2)
    arrived: asyncio.Queue[CouponEvent] = asyncio.Queue()
    watching = asyncio.ensure_future(follow(client, 3, arrived, reconnect=False))
    for _ in range(2):  # Then the stream is open, waiting for a third event.
        await asyncio.wait_for(arrived.get(), WAIT_SECONDS)

    await service.stop(grace_seconds=5)

    with pytest.raises(Unavailable) as ended:
        await asyncio.wait_for(watching, WAIT_SECONDS)
    assert "shutting down" in ended.value.message  # The server's own word, not a failed connect.


def test_a_message_becomes_a_typed_event_and_an_unknown_type_stays_readable() -> None:
    message = coupon_service_pb2.CouponEvent(
        cursor="7",
        type=99,  # type: ignore[arg-type]  # A type newer than this client.
        coupon_id=1,
        redemption=common_pb2.Redemption(id=3, bill_number="B"),
    )
    message.occurred_at.FromDatetime(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))

    event = CouponEvent.of(message)

    assert (event.cursor, event.type, event.valid_till) == ("7", EventType.UNKNOWN, None)
    assert event.occurred_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert event.redemption is not None
    assert (event.redemption.id, event.redemption.bill_amount) == (3, None)
    assert event.redemption.reversed_at is None


# --- across a restart of the server ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_one_iterator_follows_the_feed_across_a_restart_of_its_server(
    flavour: str, tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> None:
    database = tmp_path / "restart.db"
    shutil.copyfile(demo_database, database)
    port = _free_port()
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}", grpc_port=port, http_port=0, metrics_port=0
    )
    target = f"127.0.0.1:{port}"
    running = [await start(settings)]
    watcher = _open(flavour, target)
    arrived: asyncio.Queue[CouponEvent] = asyncio.Queue()
    following = asyncio.ensure_future(follow(watcher, 5, arrived))
    try:
        async with CouponClient(target, authorization=DEMO_AUTHORIZATION) as before:
            await before.issue_multiple(415446, DEMO, count=2)
        seen_before = [await asyncio.wait_for(arrived.get(), WAIT_SECONDS) for _ in range(2)]

        await running.pop().stop(grace_seconds=5)  # Its stream ends with UNAVAILABLE at once.
        running.append(await start(settings))  # The same port and database file.
        async with CouponClient(target, authorization=DEMO_AUTHORIZATION) as after:
            # Channels to one address share their connection, which may still be waiting out
            # gRPC's reconnection backoff from while the port was closed.
            await asyncio.wait_for(after.channel.channel_ready(), WAIT_SECONDS)
            [coupon] = (await after.issue_multiple(415446, DEMO)).coupons
            await after.redeem_coupon(coupon.code, DEMO)
            await after.revoke_coupon(coupon.code, reason="restart")
            events = await asyncio.wait_for(following, WAIT_SECONDS)
            whole_feed = await take(after, 5)
    finally:
        following.cancel()
        await watcher.close()
        for server in running:
            await server.stop(0)

    assert events[:2] == seen_before
    assert [event.type for event in events] == [ISSUED, ISSUED, ISSUED, REDEEMED, REVOKED]
    assert events == whole_feed  # Every event of the feed, each once, in its order.
    assert events[2].code == coupon.code


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_from_now_resumes_where_it_started_when_it_reconnects_before_any_event(
    flavour: str,
    tmp_path: pathlib.Path,
    demo_database: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stream's start cursor (its initial metadata) is where a reconnection before the first
    event resumes: what committed while the watched replica was away still arrives."""
    opened = asyncio.Event()  # Set once a stream has sent its start cursor.
    watch_events = events_service.watch_events

    def watching(*args: Any, started: Any = None, **kwargs: Any) -> Any:
        async def started_and_told(cursor: str) -> None:
            await started(cursor)
            opened.set()

        return watch_events(*args, started=started_and_told, **kwargs)

    monkeypatch.setattr(events_service, "watch_events", watching)
    database = tmp_path / "from-now.db"
    shutil.copyfile(demo_database, database)
    url = f"sqlite+aiosqlite:///{database}"
    port = _free_port()
    watched = Settings(db_url=url, grpc_port=port, http_port=0, metrics_port=0)
    writing = Settings(db_url=url, grpc_port=0, http_port=0, metrics_port=0)
    running = [await start(watched), await start(writing)]
    writer = running[1]
    watcher = _open(flavour, f"127.0.0.1:{port}")
    following = asyncio.ensure_future(follow(watcher, 2, from_now=True))
    try:
        await asyncio.wait_for(opened.wait(), WAIT_SECONDS)
        await running.pop(0).stop(grace_seconds=5)  # Its stream ends with UNAVAILABLE.
        async with CouponClient(
            f"127.0.0.1:{writer.grpc_port}", authorization=DEMO_AUTHORIZATION
        ) as other:
            issued = await other.issue_multiple(415446, DEMO, count=2)
        running.append(await start(watched))  # The watched port again.
        events = await asyncio.wait_for(following, WAIT_SECONDS)
    finally:
        following.cancel()
        await watcher.close()
        for server in running:
            await server.stop(0)

    assert not following.cancelled()
    assert [event.code for event in events] == [coupon.code for coupon in issued.coupons]
