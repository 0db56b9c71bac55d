"""The SQLite engine's one pooled connection: what a user of it leaves behind never leaks."""

from __future__ import annotations

from sqlalchemy import text

from coupon_service.adapters.database import create_engine


async def test_a_driver_transaction_left_open_is_rolled_back_when_the_connection_returns(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            pooled = await connection.get_raw_connection()
            driver = pooled.driver_connection
            assert driver is not None
            await driver.execute("BEGIN IMMEDIATE")
            await driver.execute("INSERT INTO orgs (name, created_at) VALUES ('leak', 0)")
            # Returned to the pool inside that transaction: the pool's reset must undo it.
        async with engine.begin() as connection:
            found = await connection.scalar(text("SELECT count(*) FROM orgs WHERE name = 'leak'"))
        assert found == 0
    finally:
        await engine.dispose()
