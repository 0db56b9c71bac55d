"""Issued coupons: read by id, code, customer or series, and the guarded updates that take and
give back their uses and revoke them (issuing and uploads write through the batch stores)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, false, select, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import SOURCE_FIELDS, Coupon
from ..domain.redemption import CouponState
from ..service.unit_of_work import CouponFilter, CouponPosition
from ._convert import coupon_from_row, to_db
from .tables import coupons, series

# A coupon with the limits of its series, which say how many uses it has in all.
_WITH_LIMITS = (
    select(
        coupons,
        series.c.code_source,
        series.c.max_redemptions_per_coupon,
        series.c.max_redemptions_per_customer,
    )
    .join(series, and_(series.c.org_id == coupons.c.org_id, series.c.id == coupons.c.series_id))
    .where(coupons.c.customer_id.is_not(None))
)


def _in_state(state: CouponState, where: CouponFilter) -> ColumnElement[bool]:
    """`redemption.state_of` as SQL, for one series (one `uses_allowed`) at one moment."""
    at = to_db(where.at)
    revoked = coupons.c.revoked_at.is_not(None)
    used_up = coupons.c.redemption_count >= where.uses_allowed
    expired = and_(coupons.c.valid_till.is_not(None), coupons.c.valid_till <= at)
    if state is CouponState.REVOKED:
        return revoked
    if state is CouponState.REDEEMED:
        return and_(~revoked, used_up)
    if state is CouponState.EXPIRED:
        return and_(~revoked, ~used_up, expired)
    return and_(~revoked, ~used_up, ~expired)


def _series_page(
    org_id: int, series_id: int, where: CouponFilter, after: CouponPosition | None, limit: int
) -> Select[tuple[object, ...]]:
    query = _WITH_LIMITS.where(
        coupons.c.org_id == org_id,
        coupons.c.series_id == series_id,
        coupons.c.issued_at.is_not(None),
    )
    if where.state is not None:
        query = query.where(_in_state(where.state, where))
    for field in SOURCE_FIELDS:
        wanted = getattr(where, field.attribute)
        if wanted:
            query = query.where(coupons.c[field.attribute] == wanted)
    if where.source_id:  # Names the condition of the sourceId index, so both planners use it.
        query = query.where(coupons.c.source_id != "")
    if where.issued_after is not None:
        query = query.where(coupons.c.issued_at >= to_db(where.issued_after))
    if where.issued_before is not None:
        query = query.where(coupons.c.issued_at < to_db(where.issued_before))
    if after is not None:
        position = tuple_(coupons.c.issued_at, coupons.c.id)
        query = query.where(position > tuple_(to_db(after[0]), after[1]))
    return query.order_by(coupons.c.issued_at, coupons.c.id).limit(limit)


class SqlCouponRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _one(self, query: Select[tuple[object, ...]]) -> Coupon | None:
        row = (await self._connection.execute(query)).first()
        return None if row is None else coupon_from_row(row)

    async def of_customer(
        self, org_id: int, customer_id: int, series_id: int | None, after_id: int, limit: int
    ) -> list[Coupon]:
        query = _WITH_LIMITS.where(
            coupons.c.org_id == org_id,
            coupons.c.customer_id == customer_id,
            coupons.c.id > after_id,
        )
        if series_id:
            query = query.where(coupons.c.series_id == series_id)
        result = await self._connection.execute(query.order_by(coupons.c.id).limit(limit))
        return [coupon_from_row(row) for row in result]

    async def get(self, org_id: int, coupon_id: int) -> Coupon | None:
        return await self._one(
            _WITH_LIMITS.where(coupons.c.org_id == org_id, coupons.c.id == coupon_id)
        )

    async def with_code(self, org_id: int, code: str, holder_id: int | None) -> Coupon | None:
        # Each query names shared_code as its partial index does, so the index serves it.
        unshared = await self._one(
            _WITH_LIMITS.where(
                coupons.c.org_id == org_id, coupons.c.code == code, coupons.c.shared_code == false()
            )
        )
        if unshared is not None or holder_id is None:
            return unshared
        return await self._one(
            _WITH_LIMITS.where(
                coupons.c.org_id == org_id,
                coupons.c.code == code,
                coupons.c.customer_id == holder_id,
                coupons.c.shared_code == true(),
            )
        )

    async def is_shared_code(self, org_id: int, code: str) -> bool:
        held = exists().where(
            coupons.c.org_id == org_id,
            coupons.c.code == code,
            coupons.c.customer_id.is_not(None),
            coupons.c.shared_code == true(),
        )
        return bool((await self._connection.execute(select(held))).scalar())

    async def of_series(
        self,
        org_id: int,
        series_id: int,
        where: CouponFilter,
        after: CouponPosition | None,
        limit: int,
    ) -> list[Coupon]:
        result = await self._connection.execute(
            _series_page(org_id, series_id, where, after, limit)
        )
        return [coupon_from_row(row) for row in result]

    async def give_back_use(self, org_id: int, coupon_id: int) -> bool:
        given = await self._connection.execute(
            update(coupons)
            .where(
                coupons.c.id == coupon_id,
                coupons.c.org_id == org_id,
                coupons.c.redemption_count > 0,
            )
            .values(redemption_count=coupons.c.redemption_count - 1)
        )
        return bool(given.rowcount == 1)

    async def revoke(self, org_id: int, coupon_id: int, reason: str, at: datetime) -> bool:
        revoked = await self._connection.execute(
            update(coupons)
            .where(
                coupons.c.id == coupon_id,
                coupons.c.org_id == org_id,
                coupons.c.customer_id.is_not(None),
                coupons.c.revoked_at.is_(None),
            )
            .values(revoked_at=to_db(at), revoke_reason=reason)
        )
        return bool(revoked.rowcount == 1)
