"""Redemptions read one at a time, and what a reversal changes: the redemption, the total-limit
counter of a GENERIC series, and the series' counters. Redemptions themselves are written by
the redemption batches (sqlite_redemptions.py, postgres_redemptions.py)."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Redemption
from ._convert import redemption_from_row, to_db
from .tables import COUNTER_SHARDS, coupons, redemptions, series_counters, series_redemptions

_WITH_CODE = select(redemptions, coupons.c.code).join(
    coupons, coupons.c.id == redemptions.c.coupon_id
)


class SqlRedemptionRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        # Like the issuing batches: PostgreSQL's concurrent writers each pick a counter shard
        # at random; SQLite has one writer at a time and keeps to shard 0.
        self._shards = COUNTER_SHARDS if self._dialect is postgresql else 1

    async def get(self, org_id: int, redemption_id: int) -> Redemption | None:
        row = (
            await self._connection.execute(
                _WITH_CODE.where(redemptions.c.org_id == org_id, redemptions.c.id == redemption_id)
            )
        ).first()
        return None if row is None else redemption_from_row(row)

    async def of_coupon(self, org_id: int, coupon_id: int, limit: int) -> list[Redemption]:
        result = await self._connection.execute(
            _WITH_CODE.where(redemptions.c.org_id == org_id, redemptions.c.coupon_id == coupon_id)
            .order_by(redemptions.c.id.desc())
            .limit(limit)
        )
        return [redemption_from_row(row) for row in result]

    async def reverse(self, org_id: int, redemption_id: int, at: datetime) -> bool:
        reversed_now = await self._connection.execute(
            update(redemptions)
            .where(
                redemptions.c.id == redemption_id,
                redemptions.c.org_id == org_id,
                redemptions.c.reversed_at.is_(None),
            )
            .values(reversed_at=to_db(at))
        )
        return bool(reversed_now.rowcount == 1)

    async def series_redeemed(self, org_id: int, series_id: int) -> int:
        counted = await self._connection.execute(
            select(func.coalesce(func.sum(series_redemptions.c.redeemed), 0)).where(
                series_redemptions.c.org_id == org_id,
                series_redemptions.c.series_id == series_id,
            )
        )
        return int(counted.scalar_one())

    async def give_back_series_use(self, org_id: int, series_id: int) -> None:
        await self._connection.execute(
            update(series_redemptions)
            .where(
                series_redemptions.c.org_id == org_id,
                series_redemptions.c.series_id == series_id,
                series_redemptions.c.redeemed > 0,
            )
            .values(redeemed=series_redemptions.c.redeemed - 1)
        )

    async def count_reversal(self, org_id: int, series_id: int) -> None:
        await self._add_to_counter(org_id, series_id, -1, None)

    async def _add_to_counter(
        self, org_id: int, series_id: int, redeemed: int, at: datetime | None
    ) -> None:
        statement = self._dialect.insert(series_counters).values(
            org_id=org_id,
            series_id=series_id,
            shard=random.randrange(self._shards),
            num_redeemed=redeemed,
            latest_redeemed_at=at,
        )
        latest = series_counters.c.latest_redeemed_at
        stamped = statement.excluded.latest_redeemed_at
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["org_id", "series_id", "shard"],
                set_={
                    "num_redeemed": series_counters.c.num_redeemed + redeemed,
                    # The later moment wins: concurrent redemptions may commit out of order.
                    "latest_redeemed_at": case(
                        (stamped.is_(None), latest),
                        (latest.is_(None) | (latest < stamped), stamped),
                        else_=latest,
                    ),
                },
            )
        )
