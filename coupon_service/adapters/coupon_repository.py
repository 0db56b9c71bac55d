"""Coupons: uploaded codes waiting in a pool, and coupons issued to customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Coupon
from ._convert import coupon_from_row
from .tables import coupons

_ISSUED_COLUMNS = (
    coupons.c.id,
    coupons.c.code,
    coupons.c.series_id,
    coupons.c.issued_at,
    coupons.c.valid_till,
    coupons.c.redemption_count,
)


def _insert_skipping_taken(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: a code the org already has is skipped, not
    an error, so the caller draws again for just the codes that came back missing."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(coupons).on_conflict_do_nothing()


_UPLOAD = {
    name: _insert_skipping_taken(name).returning(coupons.c.code)
    for name in ("postgresql", "sqlite")
}


class SqlCouponRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def upload(self, org_id: int, series_id: int, codes: Sequence[str]) -> list[str]:
        """Adds codes to the pool, skipping codes the organisation has; returns those added."""
        rows = [
            {"org_id": org_id, "series_id": series_id, "code": code, "shared_code": False}
            for code in codes
        ]
        result = await self._connection.execute(_UPLOAD[self._connection.dialect.name], rows)
        return list(result.scalars())

    async def of_customer(
        self, org_id: int, customer_id: int, series_id: int | None, after_id: int, limit: int
    ) -> list[Coupon]:
        query = select(coupons).where(
            coupons.c.org_id == org_id,
            coupons.c.customer_id == customer_id,
            coupons.c.id > after_id,
        )
        if series_id:
            query = query.where(coupons.c.series_id == series_id)
        result = await self._connection.execute(query.order_by(coupons.c.id).limit(limit))
        return [coupon_from_row(row) for row in result]
