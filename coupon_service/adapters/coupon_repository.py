"""Coupons a customer holds, read page by page (issuing and uploads write through the batch
stores)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Coupon
from ._convert import coupon_from_row
from .tables import coupons


class SqlCouponRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

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
