"""Reading redemptions back from the database itself, for the redemption suites: what the
answers claim is checked against the rows."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from coupon_service.adapters.tables import coupons, redemptions, series_redemptions


class Audit(NamedTuple):
    """One coupon's or series' redemptions as stored."""

    redemption_rows: int  # Every redemption row, reversed ones included.
    standing: int  # Rows not reversed.
    counted: int  # What the guarded counter says: coupons.redemption_count summed.


async def coupon_audit(engine: AsyncEngine, org_id: int, coupon_id: int) -> Audit:
    return await _audit(
        engine,
        org_id,
        redemptions.c.coupon_id == coupon_id,
        coupons.c.id == coupon_id,
    )


async def series_audit(engine: AsyncEngine, org_id: int, series_id: int) -> Audit:
    return await _audit(
        engine,
        org_id,
        redemptions.c.series_id == series_id,
        coupons.c.series_id == series_id,
    )


async def _audit(
    engine: AsyncEngine, org_id: int, of_redemptions: object, of_coupons: object
) -> Audit:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(func.count(), func.count().filter(redemptions.c.reversed_at.is_(None)))
                .select_from(redemptions)
                .where(redemptions.c.org_id == org_id, of_redemptions)  # type: ignore[arg-type]
            )
        ).one()
        counted = (
            await connection.execute(
                select(func.coalesce(func.sum(coupons.c.redemption_count), 0)).where(
                    coupons.c.org_id == org_id,
                    of_coupons,  # type: ignore[arg-type]
                )
            )
        ).scalar_one()
    return Audit(int(rows[0]), int(rows[1]), int(counted))


async def series_counter(engine: AsyncEngine, org_id: int, series_id: int) -> int | None:
    """The guarded total of a GENERIC series with maxRedemptions; None before its first use."""
    async with engine.connect() as connection:
        found = await connection.execute(
            select(series_redemptions.c.redeemed).where(
                series_redemptions.c.org_id == org_id,
                series_redemptions.c.series_id == series_id,
            )
        )
        value = found.scalar()
    return None if value is None else int(value)
