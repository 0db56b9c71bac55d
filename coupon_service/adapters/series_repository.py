"""Coupon series of one organisation, with the counts their counter shards add up to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Label,
    ScalarSelect,
    bindparam,
    cast,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Series, SeriesPolicy
from ..service.unit_of_work import IdentifierTaken
from ._convert import policy_values, series_from_row, to_db
from .tables import series, series_counters


def _over_shards(name: str, aggregate: ColumnElement[Any]) -> Label[Any]:
    return (
        select(aggregate)
        .where(
            series_counters.c.org_id == series.c.org_id,
            series_counters.c.series_id == series.c.id,
        )
        .scalar_subquery()
        .label(name)
    )


def _total(name: str) -> Label[Any]:
    return _over_shards(name, cast(func.coalesce(func.sum(series_counters.c[name]), 0), BigInteger))


# A series with its counters: the sums of its counter shards (see tables.series_counters).
_WITH_COUNTS = select(
    series,
    _total("num_issued"),
    _over_shards("latest_issued_at", func.max(series_counters.c.latest_issued_at)),
    _total("num_redeemed"),
    _over_shards("latest_redeemed_at", func.max(series_counters.c.latest_redeemed_at)),
)
_GET = _WITH_COUNTS.where(series.c.org_id == bindparam("org_id"), series.c.id == bindparam("id"))
_LIST = (
    _WITH_COUNTS.where(series.c.org_id == bindparam("org_id"), series.c.id > bindparam("after_id"))
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


class SqlSeriesRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

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
                        insert(series).values(values).returning(series.c.id)
                    )
                return await self._stored(org_id, result.scalar_one())
            except IntegrityError:
                if series_id:
                    raise IdentifierTaken("id") from None
        raise IdentifierTaken("id")  # Concurrent creates kept taking the next free id.

    async def _stored(self, org_id: int, series_id: int) -> Series:
        """A series this transaction has just written, so it is there."""
        stored = await self.get(org_id, series_id)
        if stored is None:
            raise LookupError(f"series {series_id} vanished inside its own transaction")
        return stored
