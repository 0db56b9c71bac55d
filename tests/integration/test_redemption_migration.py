"""Migration 0005 on a database issued from before it: old series allow one redemption per
coupon, old coupons are ISSUED with no redemptions, and they can be redeemed at once."""

from __future__ import annotations

import pathlib
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Connection, text

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import alembic_config, migrate
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.model import CustomerRef, IdentifierType
from coupon_service.domain.redemption import CouponState
from coupon_service.service.coupons import CouponLookup, get_coupon
from coupon_service.service.redemption import RedeemRequest, redeem_coupon
from coupon_service.service.series import get_series

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
_OLD_ROWS = (
    "INSERT INTO orgs (id, name, created_at) VALUES (1, 'old', '2026-01-01')",
    "INSERT INTO series (org_id, id, discount_type, code_source, coupon_validity, created_at)"
    " VALUES (1, 7, 'ABS', 'GENERATED', 'SERIES_EXPIRY', '2026-01-01')",
    "INSERT INTO customers (org_id, id, mobile, created_at, updated_at)"
    " VALUES (1, 3, '919900001111', '2026-01-01', '2026-01-01')",
    "INSERT INTO coupons (org_id, series_id, customer_id, code, issued_at)"
    " VALUES (1, 7, 3, 'OLD-CODE-1', '2026-11-30 10:00:00.000000')",
)


def _upgrade_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_coupons_issued_before_0005_are_redeemable_once(tmp_path: pathlib.Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to, "0004")
            for statement in _OLD_ROWS:
                await connection.execute(text(statement))
        await migrate(engine)
        uow = SqlUnitOfWork(engine)
        before = await get_coupon(uow, 1, CouponLookup(code="OLD-CODE-1"), now=NOW)
        customer = CustomerRef(IdentifierType.MOBILE, "919900001111")
        redeemed = await redeem_coupon(uow, 1, RedeemRequest("OLD-CODE-1", customer), now=NOW)
        series = await get_series(uow, 1, 7)
    finally:
        await engine.dispose()
    assert (before.state, before.coupon.uses_allowed, before.redemptions) == (
        CouponState.ISSUED,
        1,
        (),
    )
    assert redeemed.coupon.state is CouponState.REDEEMED
    assert series.policy.max_redemptions_per_coupon == 1
    assert series.policy.max_redemptions is None
