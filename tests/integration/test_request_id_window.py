"""Idempotency keys are kept for a window: within it a key replays its first answer, after it
the key is new again, and the pruner removes such keys a chunk at a time (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.tables import issue_requests
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import RequestIdReused
from coupon_service.service import idempotency
from coupon_service.service.clock import utcnow
from coupon_service.service.idempotency import prune_request_ids
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.pruning import Pruner
from tests.answers import codes
from tests.factories import a_customer, a_series, by_mobile


async def _stored_keys(uow: SqlUnitOfWork, org_id: int) -> int:
    query = select(func.count()).where(issue_requests.c.org_id == org_id)
    async with uow.engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def test_within_the_window_a_key_replays_and_refuses_another_request(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id)
    customer = by_mobile(await a_customer(uow, org_id))
    key = uuid.uuid4().hex

    first = await issue_multiple(
        uow, org_id, IssueRequest([series.id], 2, customer, request_id=key)
    )
    again = await issue_multiple(
        uow, org_id, IssueRequest([series.id], 2, customer, request_id=key)
    )
    assert codes(again) == codes(first)
    with pytest.raises(RequestIdReused):
        await issue_multiple(uow, org_id, IssueRequest([series.id], 3, customer, request_id=key))


async def test_past_the_window_a_key_is_new(db_url: str, org_id: int) -> None:
    engine = create_engine(db_url)
    try:
        # A window of nothing: every key is past it by the time it comes back.
        uow = SqlUnitOfWork(engine, request_ids_kept_for=timedelta(0))
        series = await a_series(uow, org_id)
        customer = by_mobile(await a_customer(uow, org_id))
        key = uuid.uuid4().hex

        first = await issue_multiple(
            uow, org_id, IssueRequest([series.id], 1, customer, request_id=key)
        )
        await asyncio.sleep(0.01)
        second = await issue_multiple(
            uow, org_id, IssueRequest([series.id], 2, customer, request_id=key)
        )
        assert len(codes(second)) == 2 and not set(codes(second)) & set(codes(first))
        assert await _stored_keys(uow, org_id) == 1, "the old key's row was taken over"
    finally:
        await engine.dispose()


async def test_pruning_removes_only_keys_past_the_window_a_chunk_at_a_time(
    uow: SqlUnitOfWork, org_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    series = await a_series(uow, org_id)
    customer = by_mobile(await a_customer(uow, org_id))
    for _ in range(5):
        await issue_multiple(
            uow, org_id, IssueRequest([series.id], 1, customer, request_id=uuid.uuid4().hex)
        )
    monkeypatch.setattr(idempotency, "PRUNE_CHUNK", 2)

    kept = await prune_request_ids(uow, now=utcnow(), kept_for=timedelta(hours=1))
    assert kept == 0 and await _stored_keys(uow, org_id) == 5

    later = utcnow() + timedelta(hours=2)
    removed = await prune_request_ids(uow, now=later, kept_for=timedelta(hours=1))
    assert removed >= 5 and await _stored_keys(uow, org_id) == 0


async def test_the_background_pruner_removes_expired_keys(db_url: str, org_id: int) -> None:
    engine = create_engine(db_url)
    try:
        uow = SqlUnitOfWork(engine, request_ids_kept_for=timedelta(0))
        series = await a_series(uow, org_id)
        customer = by_mobile(await a_customer(uow, org_id))
        await issue_multiple(
            uow, org_id, IssueRequest([series.id], 1, customer, request_id="pruned")
        )
        assert await _stored_keys(uow, org_id) == 1

        pruner = Pruner(uow, every_seconds=0.05).start()
        try:
            for _ in range(100):
                if await _stored_keys(uow, org_id) == 0:
                    break
                await asyncio.sleep(0.05)
        finally:
            await pruner.stop()
        assert await _stored_keys(uow, org_id) == 0
    finally:
        await engine.dispose()
