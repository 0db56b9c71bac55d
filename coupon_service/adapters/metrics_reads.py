"""What the metrics read from the database themselves: every uploaded pool once at start (the
batches report it after that), and the connections of the pool in use at scrape time."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from ..domain.model import CodeSource
from .tables import orgs, series, series_counters

_ISSUED = (
    select(cast(func.coalesce(func.sum(series_counters.c.num_issued), 0), BigInteger))
    .where(
        series_counters.c.org_id == series.c.org_id,
        series_counters.c.series_id == series.c.id,
    )
    .scalar_subquery()
)
_POOLS = (
    select(
        series.c.org_id,
        orgs.c.name.label("org_name"),
        series.c.id.label("series_id"),
        (series.c.num_uploaded - _ISSUED).label("remaining"),
    )
    .join(orgs, orgs.c.id == series.c.org_id)
    .where(series.c.code_source == CodeSource.UPLOADED.value)
)


class PoolLevel(NamedTuple):
    """An UPLOADED series and how many of its uploaded codes are not issued yet."""

    org_id: int
    org_name: str
    series_id: int
    remaining: int


async def uploaded_pools(engine: AsyncEngine) -> list[PoolLevel]:
    """Every UPLOADED series of every organisation, in one query."""
    async with engine.connect() as connection:
        rows = (await connection.execute(_POOLS)).all()
    return [
        PoolLevel(row.org_id, row.org_name, row.series_id, max(int(row.remaining), 0))
        for row in rows
    ]


def connections_in_use(engine: AsyncEngine) -> int:
    """The pool's connections checked out right now (a batch, a transaction, a ping)."""
    pool = engine.pool
    return pool.checkedout() if isinstance(pool, QueuePool) else 0
