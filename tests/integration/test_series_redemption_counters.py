"""A series' redemption counters on real SQLite and PostgreSQL: concurrent redemptions of one
series all count, reversals take exactly one off each, and the series as GetSeries and the
issuing batch read it carries the count and the latest redemption. Migration 0006 counts the
redemptions made before it."""

from __future__ import annotations

import asyncio
import pathlib
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Connection, func, select, text

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import alembic_config, migrate
from coupon_service.adapters.tables import series_counters
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.model import Series
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.redemption import RedeemRequest, redeem_coupon, reverse_redemption
from coupon_service.service.series import get_series
from tests.factories import a_customer, a_series, by_mobile

REDEMPTIONS = 24


async def _one_coupon_each(uow: SqlUnitOfWork, org_id: int, series: Series) -> list[RedeemRequest]:
    """One coupon of the series for each of REDEMPTIONS customers: only the series is shared."""
    requests = []
    for _ in range(REDEMPTIONS):
        holder = by_mobile(await a_customer(uow, org_id))
        issued = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, holder))
        requests.append(RedeemRequest(issued.outcomes[0].coupons[0].code, holder))
    return requests


async def _shard_rows(uow: SqlUnitOfWork, org_id: int, series_id: int) -> tuple[int, int]:
    """The series' redemption count summed over its shards, and how many shards it has."""
    async with uow.engine.connect() as connection:
        total, shards = (
            await connection.execute(
                select(
                    func.coalesce(func.sum(series_counters.c.num_redeemed), 0), func.count()
                ).where(
                    series_counters.c.org_id == org_id, series_counters.c.series_id == series_id
                )
            )
        ).one()
    return int(total), int(shards)


async def test_concurrent_redemptions_of_one_series_all_count_and_reversals_take_one_each(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id)
    requests = await _one_coupon_each(uow, org_id, series)

    done = await asyncio.gather(*(redeem_coupon(uow, org_id, r) for r in requests))

    assert (await _shard_rows(uow, org_id, series.id))[0] == REDEMPTIONS
    reversed_ids = [d.redemption.id for d in done[:5]]
    # Each reversal sent three times at once: only the one that stamps it takes one off.
    await asyncio.gather(
        *(reverse_redemption(uow, org_id, one) for one in reversed_ids for _ in range(3))
    )
    assert (await _shard_rows(uow, org_id, series.id))[0] == REDEMPTIONS - 5
    shown = await get_series(uow, org_id, series.id)
    assert shown.num_redeemed == REDEMPTIONS - 5
    # A reversal keeps the latest redemption: it still happened.
    assert shown.latest_redeemed_at == max(d.redemption.redeemed_at for d in done)


async def test_one_series_redemptions_spread_over_shards_where_writers_run_at_once(
    uow: SqlUnitOfWork, org_id: int, db_url: str
) -> None:
    series = await a_series(uow, org_id)
    requests = await _one_coupon_each(uow, org_id, series)

    await asyncio.gather(*(redeem_coupon(uow, org_id, r) for r in requests))

    _, shards = await _shard_rows(uow, org_id, series.id)
    # SQLite has one writer at a time and keeps to shard 0, as its issuing batches do;
    # PostgreSQL picks one of 16 at random per redemption (24 landing on one: 16**-23).
    assert shards == 1 if db_url.startswith("sqlite") else shards > 1


async def test_the_issuing_batch_reads_the_series_latest_redemption(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(uow, org_id)
    holder = by_mobile(await a_customer(uow, org_id))
    issued = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, holder))
    assert issued.outcomes[0].series.latest_redeemed_at is None

    redeemed = await redeem_coupon(
        uow, org_id, RedeemRequest(issued.outcomes[0].coupons[0].code, holder)
    )
    again = await issue_multiple(uow, org_id, IssueRequest([series.id], 1, holder))

    answered = again.outcomes[0].series
    assert answered.latest_redeemed_at == redeemed.redemption.redeemed_at
    assert answered.num_redeemed == 1


_BEFORE_0006 = (
    "INSERT INTO orgs (id, name, created_at) VALUES (1, 'old', '2026-01-01')",
    "INSERT INTO series (org_id, id, discount_type, code_source, coupon_validity, created_at)"
    " VALUES (1, 7, 'ABS', 'GENERATED', 'SERIES_EXPIRY', '2026-01-01')",
    "INSERT INTO customers (org_id, id, mobile, created_at, updated_at)"
    " VALUES (1, 3, '919900001111', '2026-01-01', '2026-01-01')",
    "INSERT INTO coupons (id, org_id, series_id, customer_id, code, issued_at, redemption_count)"
    " VALUES (1, 1, 7, 3, 'OLD-CODE-1', '2026-11-30 10:00:00.000000', 1)",
    "INSERT INTO series_counters (org_id, series_id, shard, num_issued, latest_issued_at)"
    " VALUES (1, 7, 0, 1, '2026-11-30 10:00:00.000000')",
    "INSERT INTO redemptions (org_id, coupon_id, series_id, customer_id, redeemed_at, reversed_at)"
    " VALUES (1, 1, 7, 3, '2026-11-30 11:00:00.000000', '2026-11-30 11:30:00.000000'),"
    " (1, 1, 7, 3, '2026-11-30 12:00:00.000000', NULL)",
)


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_migration_0006_counts_the_redemptions_made_before_it(
    tmp_path: pathlib.Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0005")
            for statement in _BEFORE_0006:
                await connection.execute(text(statement))
        await migrate(engine)
        series = await get_series(SqlUnitOfWork(engine), 1, 7)
    finally:
        await engine.dispose()
    assert (series.num_issued, series.num_redeemed) == (1, 1)
    assert series.latest_redeemed_at == datetime(2026, 11, 30, 12, tzinfo=UTC)
