"""Coupons: uploaded codes waiting in a pool, and coupons issued to customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
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
_HELD = select(func.count(), func.min(coupons.c.id)).where(
    coupons.c.org_id == bindparam("org_id"),
    coupons.c.series_id == bindparam("series_id"),
    coupons.c.customer_id == bindparam("customer_id"),
)
_BY_IDS = (
    select(*_ISSUED_COLUMNS)
    .where(coupons.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(coupons.c.id)
)
# The lowest free pool rows of the series. SKIP LOCKED lets PostgreSQL pass over rows another
# transaction is claiming instead of queueing behind it; SQLite renders neither clause.
_FREE_POOL_ROWS = (
    select(coupons.c.id)
    .where(
        coupons.c.org_id == bindparam("pool_org_id"),
        coupons.c.series_id == bindparam("pool_series_id"),
        coupons.c.customer_id.is_(None),
    )
    .order_by(coupons.c.id)
    .limit(bindparam("count"))
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_CLAIM = (
    update(coupons)
    .where(coupons.c.id.in_(_FREE_POOL_ROWS))
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
_INSERT = insert(coupons).returning(*_ISSUED_COLUMNS, sort_by_parameter_order=True)
_TAKEN = select(coupons.c.code).where(
    coupons.c.org_id == bindparam("org_id"),
    coupons.c.code.in_(bindparam("codes", expanding=True)),
    coupons.c.shared_code == False,  # noqa: E712 - matches the partial unique index's predicate
)


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

    async def held_by(
        self, org_id: int, series_id: int, customer_id: int
    ) -> tuple[int, IssuedCoupon | None]:
        params = {"org_id": org_id, "series_id": series_id, "customer_id": customer_id}
        held, first_id = (await self._connection.execute(_HELD, params)).one()
        if not held:
            return 0, None
        return held, (await self.by_ids([first_id]))[0]

    async def claim_uploaded(self, org_id: int, new: NewCoupons, count: int) -> list[IssuedCoupon]:
        params = {f"new_{name}": value for name, value in _new_values(new).items()}
        params |= {"pool_org_id": org_id, "pool_series_id": new.series.id, "count": count}
        result = await self._connection.execute(_CLAIM, params)
        return sorted((issued_from_row(row) for row in result), key=lambda coupon: coupon.id)

    async def insert(
        self, org_id: int, new: NewCoupons, codes: Sequence[str], shared: bool
    ) -> list[IssuedCoupon] | None:
        """Inserts one coupon per code; None when a code was taken meanwhile (nothing written)."""
        common = _new_values(new) | {
            "org_id": org_id,
            "series_id": new.series.id,
            "shared_code": shared,
        }
        rows = [common | {"code": code} for code in codes]
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(_INSERT, rows)
                return [issued_from_row(row) for row in result]
        except IntegrityError:
            return None

    async def taken_codes(self, org_id: int, codes: Sequence[str]) -> set[str]:
        result = await self._connection.execute(_TAKEN, {"org_id": org_id, "codes": list(codes)})
        return set(result.scalars())

    async def upload(self, org_id: int, series_id: int, codes: Sequence[str]) -> list[str]:
        """Adds codes to the pool, skipping codes the organisation has; returns those added."""
        dialect = postgresql if self._connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(coupons).on_conflict_do_nothing().returning(coupons.c.code)
        rows = [
            {"org_id": org_id, "series_id": series_id, "code": code, "shared_code": False}
            for code in codes
        ]
        result = await self._connection.execute(statement, rows)
        return list(result.scalars())

    async def by_ids(self, coupon_ids: Sequence[int]) -> list[IssuedCoupon]:
        result = await self._connection.execute(_BY_IDS, {"ids": list(coupon_ids)})
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
