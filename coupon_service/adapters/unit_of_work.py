"""The SQLAlchemy unit of work: one AsyncConnection and one transaction per use-case call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .coupon_repository import SqlCouponRepository
from .credential_repository import SqlCredentialRepository
from .customer_repository import SqlCustomerRepository
from .org_repository import SqlOrgRepository
from .request_repository import SqlRequestRepository
from .series_repository import SqlSeriesRepository


class SqlTransaction:
    def __init__(self, connection: AsyncConnection) -> None:
        self.orgs = SqlOrgRepository(connection)
        self.customers = SqlCustomerRepository(connection)
        self.series = SqlSeriesRepository(connection)
        self.coupons = SqlCouponRepository(connection)
        self.requests = SqlRequestRepository(connection)
        self.credentials = SqlCredentialRepository(connection)


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        async with self.engine.begin() as connection:
            yield SqlTransaction(connection)
