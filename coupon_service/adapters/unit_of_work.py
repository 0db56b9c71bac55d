"""The SQLAlchemy unit of work: one AsyncConnection and one transaction per use-case call, and
the issuing batches, each in one transaction on the driver connection of the same pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..service.unit_of_work import BatchStore
from .coupon_repository import SqlCouponRepository
from .credential_repository import SqlCredentialRepository
from .customer_repository import SqlCustomerRepository
from .org_repository import SqlOrgRepository
from .postgres_batch import run_postgres_batch
from .series_repository import SqlSeriesRepository
from .sqlite_batch import run_sqlite_batch

_Result = TypeVar("_Result")


class SqlTransaction:
    def __init__(self, connection: AsyncConnection) -> None:
        self.orgs = SqlOrgRepository(connection)
        self.customers = SqlCustomerRepository(connection)
        self.series = SqlSeriesRepository(connection)
        self.coupons = SqlCouponRepository(connection)
        self.credentials = SqlCredentialRepository(connection)


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.batchers: dict[str, Any] = {}

    async def run_batch(self, work: Callable[[BatchStore], _Result]) -> _Result:
        if self.engine.dialect.name == "sqlite":
            return await run_sqlite_batch(self.engine, work)
        return await run_postgres_batch(self.engine, work)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        async with self.engine.begin() as connection:
            yield SqlTransaction(connection)
