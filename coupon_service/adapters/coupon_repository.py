"""Coupons: uploaded codes waiting in a pool, and coupons issued to customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Coupon, IssuedCoupon
from ..service.unit_of_work import NewCoupons
from ._convert import coupon_from_row, issued_from_row, to_db
from .tables import coupons

_ISSUED_COLUMNS = (
    coupons.c.id,
    coupons.c.code,
    coupons.c.series_id,
    coupons.c.issued_at,
    coupons.c.valid_till,
    coupons.c.redemption_count,
)
_HELD_COUNT = select(func.count()).where(
    coupons.c.org_id == bindparam("org_id"),
    coupons.c.series_id == bindparam("series_id"),
    coupons.c.customer_id == bindparam("customer_id"),
)
_FIRST_HELD = (
    select(*_ISSUED_COLUMNS)
    .where(
        coupons.c.org_id == bindparam("org_id"),
        coupons.c.series_id == bindparam("series_id"),
        coupons.c.customer_id == bindparam("customer_id"),
    )
    .order_by(coupons.c.id)
    .limit(1)
)
_BY_IDS = (
    select(*_ISSUED_COLUMNS)
    .where(
        coupons.c.org_id == bindparam("org_id"),
        coupons.c.id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(coupons.c.id)
)
# The lowest free pool rows of the series, picked in a CTE that PostgreSQL plans on its own
# (an IN (subquery) here was planned as a scan of the whole pool). SKIP LOCKED passes over
# rows another transaction is claiming instead of queueing behind it; SQLite renders neither.
_PICKED = (
    select(coupons.c.id)
    .where(
        coupons.c.org_id == bindparam("pool_org_id"),
        coupons.c.series_id == bindparam("pool_series_id"),
        coupons.c.customer_id.is_(None),
    )
    .order_by(coupons.c.id)
    .limit(bindparam("count"))
    .with_for_update(skip_locked=True)
    .cte("picked")
    .prefix_with("MATERIALIZED", dialect="postgresql")
)
_CLAIM = (
    update(coupons)
    .where(coupons.c.id == _PICKED.c.id)
    .values(
        customer_id=bindparam("new_customer_id"),
        issued_at=bindparam("new_issued_at"),
        valid_till=bindparam("new_valid_till"),
        source_type=bindparam("new_source_type"),
        source_id=bindparam("new_source_id"),
        source_activity=bindparam("new_source_activity"),
        notes=bindparam("new_notes"),
        reason=bindparam("new_reason"),
        request_id=bindparam("new_request_id"),
    )
    .returning(*_ISSUED_COLUMNS)
)


def _insert_skipping_taken(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: a code the org already has is skipped, not
    an error, so the caller draws again for just the codes that came back missing."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(coupons).on_conflict_do_nothing()


_INSERT_NEW = {
    name: _insert_skipping_taken(name).returning(*_ISSUED_COLUMNS)
    for name in ("postgresql", "sqlite")
}
_UPLOAD = {
    name: _insert_skipping_taken(name).returning(coupons.c.code)
    for name in ("postgresql", "sqlite")
}


def _new_values(new: NewCoupons) -> dict[str, Any]:
    metadata = new.metadata
    return {
        "customer_id": new.customer_id,
        "issued_at": to_db(new.issued_at),
        "valid_till": to_db(new.valid_till),
        "source_type": metadata.source_type,
        "source_id": metadata.source_id,
        "source_activity": metadata.source_activity,
        "notes": metadata.notes,
        "reason": metadata.reason,
        "request_id": new.request_id,
    }


class SqlCouponRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def held_count(self, org_id: int, series_id: int, customer_id: int) -> int:
        params = {"org_id": org_id, "series_id": series_id, "customer_id": customer_id}
        return int((await self._connection.execute(_HELD_COUNT, params)).scalar_one())

    async def first_held(
        self, org_id: int, series_id: int, customer_id: int
    ) -> IssuedCoupon | None:
        params = {"org_id": org_id, "series_id": series_id, "customer_id": customer_id}
        row = (await self._connection.execute(_FIRST_HELD, params)).first()
        return None if row is None else issued_from_row(row)

    async def claim_uploaded(self, org_id: int, new: NewCoupons, count: int) -> list[IssuedCoupon]:
        params = {f"new_{name}": value for name, value in _new_values(new).items()}
        params |= {"pool_org_id": org_id, "pool_series_id": new.series.id, "count": count}
        result = await self._connection.execute(_CLAIM, params)
        return sorted((issued_from_row(row) for row in result), key=lambda coupon: coupon.id)

    async def insert_new(
        self, org_id: int, new: NewCoupons, codes: Sequence[str], shared: bool
    ) -> list[IssuedCoupon]:
        """Inserts one coupon per code, in the order given, leaving out codes already taken."""
        common = _new_values(new) | {
            "org_id": org_id,
            "series_id": new.series.id,
            "shared_code": shared,
        }
        statement = _INSERT_NEW[self._connection.dialect.name]
        result = await self._connection.execute(statement, [common | {"code": c} for c in codes])
        by_code = {row.code: issued_from_row(row) for row in result}
        return [by_code[code] for code in codes if code in by_code]

    async def upload(self, org_id: int, series_id: int, codes: Sequence[str]) -> list[str]:
        """Adds codes to the pool, skipping codes the organisation has; returns those added."""
        rows = [
            {"org_id": org_id, "series_id": series_id, "code": code, "shared_code": False}
            for code in codes
        ]
        result = await self._connection.execute(_UPLOAD[self._connection.dialect.name], rows)
        return list(result.scalars())

    async def by_ids(self, org_id: int, coupon_ids: Sequence[int]) -> list[IssuedCoupon]:
        result = await self._connection.execute(
            _BY_IDS, {"org_id": org_id, "ids": list(coupon_ids)}
        )
        return [issued_from_row(row) for row in result]

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
