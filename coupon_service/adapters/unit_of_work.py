"""The SQLAlchemy unit of work: one AsyncConnection and one transaction per use-case call, and
the issuing and redemption batches, each in one transaction on the driver connection of the
same pool.

Every database failure leaves here as StoreUnavailable or StoreConflict (store_errors.py). A
batch that failed before its COMMIT was sent rolled back for sure, so it is run again, at most
twice and only while the attempts fail fast: a connection the server closed (a restart,
pg_terminate_backend) costs the callers a few milliseconds instead of an error. Nothing that
may have committed is ever rerun.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..service.idempotency import REQUEST_IDS_KEPT_FOR
from ..service.redemption_store import RedemptionStore
from ..service.unit_of_work import BatchStore, StoreUnavailable
from .coupon_repository import SqlCouponRepository
from .credential_repository import SqlCredentialRepository
from .customer_repository import SqlCustomerRepository
from .database import check_sqlite_file, is_sqlite
from .event_repository import SqlEventRepository
from .org_repository import SqlOrgRepository
from .postgres_batch import PostgresBatchStore
from .postgres_redemptions import PostgresRedemptionStore
from .postgres_runner import run_postgres_batch
from .redemption_repository import SqlRedemptionRepository
from .request_repository import SqlRequestRepository
from .series_repository import SqlSeriesRepository
from .sqlite_batch import SqliteBatchStore
from .sqlite_redemptions import SqliteRedemptionStore
from .sqlite_runner import run_sqlite_batch
from .store_errors import raise_store_failure

_Result = TypeVar("_Result")
# A batch is run at most this many times, and again only when the attempts so far failed
# within FAST_FAILURE_SECONDS: a timeout or a lock wait is not made longer by repeating it.
MAX_BATCH_ATTEMPTS = 3
FAST_FAILURE_SECONDS = 1.0
PAUSE_BEFORE_RETRY_SECONDS = 0.02


class SqlTransaction:
    def __init__(self, connection: AsyncConnection) -> None:
        self.orgs = SqlOrgRepository(connection)
        self.customers = SqlCustomerRepository(connection)
        self.series = SqlSeriesRepository(connection)
        self.coupons = SqlCouponRepository(connection)
        self.redemptions = SqlRedemptionRepository(connection)
        self.credentials = SqlCredentialRepository(connection)
        self.requests = SqlRequestRepository(connection)
        self.events = SqlEventRepository(connection)


class SqlUnitOfWork:
    def __init__(
        self, engine: AsyncEngine, *, request_ids_kept_for: timedelta = REQUEST_IDS_KEPT_FOR
    ) -> None:
        self.engine = engine
        self.request_ids_kept_for = request_ids_kept_for
        self.batchers: dict[str, Any] = {}
        self._sqlite = is_sqlite(engine)

    async def run_batch(self, work: Callable[[BatchStore], _Result]) -> _Result:
        if self._sqlite:
            return await self._run(lambda: run_sqlite_batch(self.engine, work, SqliteBatchStore))
        return await self._run(lambda: run_postgres_batch(self.engine, work, PostgresBatchStore))

    async def run_redemption_batch(self, work: Callable[[RedemptionStore], _Result]) -> _Result:
        engine = self.engine
        if self._sqlite:
            return await self._run(lambda: run_sqlite_batch(engine, work, SqliteRedemptionStore))
        return await self._run(lambda: run_postgres_batch(engine, work, PostgresRedemptionStore))

    async def _run(self, attempt_batch: Callable[[], Awaitable[_Result]]) -> _Result:
        started = time.monotonic()
        attempt = 1
        while True:
            try:
                if self._sqlite:
                    check_sqlite_file(self.engine)
                return await attempt_batch()
            except StoreUnavailable as failure:
                failed_fast = time.monotonic() - started < FAST_FAILURE_SECONDS
                if not (failure.before_commit and failed_fast and attempt < MAX_BATCH_ATTEMPTS):
                    raise
            await asyncio.sleep(PAUSE_BEFORE_RETRY_SECONDS * attempt)
            attempt += 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        if self._sqlite:
            check_sqlite_file(self.engine)
        try:
            async with self.engine.begin() as connection:
                yield SqlTransaction(connection)
        except StoreUnavailable:
            raise
        except Exception as error:
            # The use case's own errors come through here too and leave unchanged. Whether a
            # failure came before COMMIT is not known here, and the use case is not rerun.
            raise_store_failure(error, before_commit=False)
