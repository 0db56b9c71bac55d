"""Coupon series of one organisation, locked row by row while a call issues from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ScalarSelect, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Series, SeriesPolicy
from ..service.unit_of_work import IdentifierTaken
from ._convert import policy_values, series_from_row, to_db
from .tables import series

# FOR UPDATE holds each series row until commit, so every count this call reads about the
# series (issued, held by the customer, left in the pool) stays true until it writes.
# SQLite ignores it: there BEGIN IMMEDIATE already made this the only writer.
_LOCK = (
    select(series)
    .where(
        series.c.org_id == bindparam("org_id"), series.c.id.in_(bindparam("ids", expanding=True))
    )
    .order_by(series.c.id)
    .with_for_update()
)
_GET_MANY = select(series).where(
    series.c.org_id == bindparam("org_id"), series.c.id.in_(bindparam("ids", expanding=True))
)
_GET = select(series).where(series.c.org_id == bindparam("org_id"), series.c.id == bindparam("id"))
_LIST = (
    select(series)
    .where(series.c.org_id == bindparam("org_id"), series.c.id > bindparam("after_id"))
    .order_by(series.c.id)
    .limit(bindparam("limit"))
)
# A new series without a chosen id gets the org's highest id plus one; a concurrent create may
# take the same one first, so it tries again.
_ID_ATTEMPTS = 5


def _next_id(org_id: int) -> ScalarSelect[int]:
    return (
        select(func.coalesce(func.max(series.c.id), 0) + 1)
        .where(series.c.org_id == org_id)
        .scalar_subquery()
    )


_RECORD_ISSUED = (
    update(series)
    .where(series.c.org_id == bindparam("in_org_id"), series.c.id == bindparam("series_id"))
    .values(
        num_issued=series.c.num_issued + bindparam("count"),
        latest_issued_at=bindparam("at"),
    )
    .returning(series)
)
_RECORD_UPLOADED = (
    update(series)
    .where(series.c.org_id == bindparam("in_org_id"), series.c.id == bindparam("series_id"))
    .values(num_uploaded=series.c.num_uploaded + bindparam("count"))
    .returning(series)
)


class SqlSeriesRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get_many(self, org_id: int, series_ids: Sequence[int]) -> dict[int, Series]:
        result = await self._connection.execute(
            _GET_MANY, {"org_id": org_id, "ids": list(series_ids)}
        )
        return {row.id: series_from_row(row) for row in result}

    async def lock(self, org_id: int, series_ids: Sequence[int]) -> dict[int, Series]:
        """Locks the rows in ascending id order, so two calls never wait on each other in a ring."""
        result = await self._connection.execute(_LOCK, {"org_id": org_id, "ids": list(series_ids)})
        return {row.id: series_from_row(row) for row in result}

    async def get(self, org_id: int, series_id: int) -> Series | None:
        row = (await self._connection.execute(_GET, {"org_id": org_id, "id": series_id})).first()
        return None if row is None else series_from_row(row)

    async def list(self, org_id: int, after_id: int, limit: int) -> list[Series]:
        result = await self._connection.execute(
            _LIST, {"org_id": org_id, "after_id": after_id, "limit": limit}
        )
        return [series_from_row(row) for row in result]

    async def add(self, org_id: int, series_id: int | None, policy: SeriesPolicy) -> Series:
        values = policy_values(policy) | {
            "org_id": org_id,
            "created_at": to_db(datetime.now(UTC)),
        }
        for _ in range(_ID_ATTEMPTS):
            values["id"] = series_id or _next_id(org_id)
            try:
                async with self._connection.begin_nested():
                    result = await self._connection.execute(
                        insert(series).values(values).returning(series)
                    )
                return series_from_row(result.one())
            except IntegrityError:
                if series_id:
                    raise IdentifierTaken("id") from None
        raise IdentifierTaken("id")  # Concurrent creates kept taking the next free id.

    async def record_issued(self, org_id: int, series_id: int, count: int, at: datetime) -> Series:
        params = {"in_org_id": org_id, "series_id": series_id, "count": count, "at": to_db(at)}
        result = await self._connection.execute(_RECORD_ISSUED, params)
        return series_from_row(result.one())

    async def record_uploaded(self, org_id: int, series_id: int, count: int) -> Series:
        params = {"in_org_id": org_id, "series_id": series_id, "count": count}
        result = await self._connection.execute(_RECORD_UPLOADED, params)
        return series_from_row(result.one())
