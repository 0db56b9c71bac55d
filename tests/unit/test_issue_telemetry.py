"""What issuing reports: the batcher fills each caller's record with the batch it ran in, and the
use cases report coupons, failed entries and pools once per batch, replays counted once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pytest

from coupon_service.domain.errors import CouponServiceError, ErrorCode
from coupon_service.domain.model import CodeSource, CustomerRef, IdentifierType
from coupon_service.service.batching import Batcher
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.telemetry import (
    CallRecord,
    FailureKey,
    IssuedKey,
    SeriesKey,
    attach_telemetry,
    begin_call,
    current_call,
    end_call,
)
from tests.fakes import FakeDatabase, FakeUnitOfWork

ORG = 7
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class RecordingTelemetry:
    def __init__(self) -> None:
        self.batches: list[tuple[int, int]] = []  # (size, how many waits)
        self.issued: Counter[IssuedKey] = Counter()
        self.failures: Counter[FailureKey] = Counter()
        self.pools: dict[SeriesKey, int] = {}
        self.reports = 0

    def batch_ran(self, size: int, waits: Sequence[float]) -> None:
        assert all(wait >= 0 for wait in waits)
        self.batches.append((size, len(waits)))

    def coupons_issued(self, issued: Mapping[IssuedKey, int]) -> None:
        self.issued.update(issued)
        self.reports += 1

    def issue_failed(self, failures: Mapping[FailureKey, int]) -> None:
        self.failures.update(failures)

    def pools_left(self, remaining: Mapping[SeriesKey, int]) -> None:
        self.pools.update(remaining)


async def test_each_caller_hears_the_size_of_the_batch_it_ran_in() -> None:
    first_batch_may_end = asyncio.Event()
    a_batch_started = asyncio.Event()
    batches: list[tuple[int, int]] = []

    def on_batch(size: int, waits: Sequence[float]) -> None:
        batches.append((size, len(waits)))
        a_batch_started.set()

    async def run(calls: Sequence[str]) -> list[str | BaseException]:
        if calls == ["first"]:
            await first_batch_may_end.wait()
        return [ValueError(call) if call == "fails" else call for call in calls]

    batcher: Batcher[str, str] = Batcher(run, on_batch=on_batch)

    async def call(name: str) -> CallRecord:
        """The call as a front door serves it: in a record of its own."""
        record, token = begin_call()
        try:
            await batcher.submit(name)
        except ValueError:
            pass
        finally:
            end_call(token)
        return record

    first = asyncio.create_task(call("first"))
    await a_batch_started.wait()  # The first call's batch runs: the next ones queue behind it.
    queued = [asyncio.create_task(call(name)) for name in ("a", "fails", "b")]
    await asyncio.sleep(0)
    first_batch_may_end.set()
    records = await asyncio.gather(first, *queued)

    assert batches == [(1, 1), (3, 3)]
    assert [record.batch_size for record in records] == [1, 3, 3, 3]
    assert all(record.batch_wait_seconds >= 0 for record in records)
    assert current_call() is None
    assert await batcher.submit("outside any call") == "outside any call"


def ref(mobile: str | None) -> CustomerRef:
    return CustomerRef(IdentifierType.MOBILE, mobile or "")


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def telemetry(db: FakeDatabase) -> tuple[FakeUnitOfWork, RecordingTelemetry]:
    uow = FakeUnitOfWork(db)
    recorded = RecordingTelemetry()
    attach_telemetry(uow, recorded)
    return uow, recorded


async def test_issued_coupons_and_the_pool_left_are_reported_once_per_batch(
    db: FakeDatabase, telemetry: tuple[FakeUnitOfWork, RecordingTelemetry]
) -> None:
    uow, recorded = telemetry
    pool = db.add_series(ORG, code_source=CodeSource.UPLOADED)
    db.upload(ORG, pool.id, [f"CODE{n}" for n in range(10)])
    customers = [db.add_customer(ORG) for _ in range(3)]

    def issue(mobile: str | None, count: int, request_id: str | None = None) -> IssueRequest:
        return IssueRequest([pool.id], count, ref(mobile), request_id=request_id)

    await asyncio.gather(
        *(issue_multiple(uow, ORG, issue(c.mobile, 2), now=NOW) for c in customers)
    )
    assert recorded.issued == {(ORG, pool.id, CodeSource.UPLOADED): 6}
    assert recorded.pools == {(ORG, pool.id): 4}
    reports = recorded.reports
    assert reports == len(recorded.batches)  # One report per batch, whatever its calls.

    again = issue(customers[0].mobile, 1, request_id="replayed")
    await issue_multiple(uow, ORG, again, now=NOW)
    await issue_multiple(uow, ORG, again, now=NOW)
    assert recorded.issued == {(ORG, pool.id, CodeSource.UPLOADED): 7}
    assert recorded.pools == {(ORG, pool.id): 3}

    partial = await issue_multiple(uow, ORG, issue(customers[1].mobile, 5), now=NOW)
    assert partial.success_count == 3
    with pytest.raises(CouponServiceError):
        await issue_multiple(uow, ORG, issue(customers[1].mobile, 1), now=NOW)
    assert recorded.pools == {(ORG, pool.id): 0}
    assert recorded.failures == {
        (ORG, str(pool.id), ErrorCode.PARTIAL_SERIES_EXHAUSTED): 1,
        (ORG, str(pool.id), ErrorCode.SERIES_EXHAUSTED): 1,
    }


async def test_failures_name_only_series_that_exist(
    db: FakeDatabase, telemetry: tuple[FakeUnitOfWork, RecordingTelemetry]
) -> None:
    uow, recorded = telemetry
    series = db.add_series(ORG)
    customer = db.add_customer(ORG)
    refused = [
        IssueRequest([series.id], 1, ref("919999999999")),  # 701 in a series that exists
        IssueRequest([123_456_789], 1, ref(customer.mobile)),  # 707: made up, not a label
        IssueRequest([series.id], 501, ref(customer.mobile)),  # 677 before any batch
    ]
    for request in refused:
        with pytest.raises(CouponServiceError):
            await issue_multiple(uow, ORG, request, now=NOW)

    assert recorded.failures == {
        (ORG, str(series.id), ErrorCode.CUSTOMER_NOT_FOUND): 1,
        (ORG, "", ErrorCode.SERIES_INVALID): 1,
        (ORG, "", ErrorCode.INVALID_COUNT): 1,
    }
    assert recorded.batches == [(1, 1), (1, 1)]  # The refused count never joined a batch.
    assert not recorded.issued


async def test_a_batch_that_cannot_commit_reports_each_call_failed(
    db: FakeDatabase, telemetry: tuple[FakeUnitOfWork, RecordingTelemetry]
) -> None:
    uow, recorded = telemetry
    series = db.add_series(ORG)
    customer = db.add_customer(ORG)
    db.fail("add_issued", times=10)
    with pytest.raises(CouponServiceError) as failed:
        await issue_multiple(uow, ORG, IssueRequest([series.id], 1, ref(customer.mobile)))
    assert failed.value.code is ErrorCode.ISSUE_FAILED
    assert recorded.failures == {(ORG, "", ErrorCode.ISSUE_FAILED): 1}
    assert not recorded.issued
