"""The operator commands on the database directly: the same use cases the servicers call,
through SqlUnitOfWork, for the organisation named by --org; answers as coupon.v1 messages."""

from __future__ import annotations

from collections.abc import Sequence

from coupon.v1 import customer_service_pb2, series_service_pb2

from ..adapters.database import open_existing
from ..adapters.unit_of_work import SqlUnitOfWork
from ..domain.errors import invalid_input
from ..domain.model import CustomerRef
from ..entrypoints import converters
from ..service import coupons, customer_import, series
from ..service.customer_import import CustomerRecord, ImportOutcome
from .backends import Uploaded
from .target import Database

_PAGE = 1000


class DatabaseBackend:
    def __init__(self, uow: SqlUnitOfWork, org_id: int) -> None:
        self._uow = uow
        self._org_id = org_id

    @classmethod
    async def open(cls, database: Database) -> DatabaseBackend:
        """Refuses a database that is missing or not migrated, and an unknown organisation."""
        uow = SqlUnitOfWork(await open_existing(database.url))
        try:
            async with uow.transaction() as tx:
                org_id = await tx.orgs.find(database.org)
            if org_id is None:
                raise invalid_input("org", f"no organisation is called {database.org!r}")
        except BaseException:
            await uow.engine.dispose()
            raise
        return cls(uow, org_id)

    async def create_series(self, message: series_service_pb2.Series) -> series_service_pb2.Series:
        policy = converters.series_policy(message)
        created = await series.create_series(self._uow, self._org_id, message.id or None, policy)
        return converters.series_message(created)

    async def get_series(self, series_id: int) -> series_service_pb2.Series:
        found = await series.get_series(self._uow, self._org_id, series_id)
        return converters.series_message(found)

    async def list_series(self) -> list[series_service_pb2.Series]:
        found: list[series_service_pb2.Series] = []
        token = ""
        while True:
            page = await series.list_series(self._uow, self._org_id, _PAGE, token)
            found += [converters.series_message(one) for one in page.items]
            if not (token := page.next_page_token):
                return found

    async def upload_codes(self, series_id: int, codes: list[str]) -> Uploaded:
        result = await series.upload_codes(self._uow, self._org_id, series_id, codes)
        return Uploaded(result.uploaded_count, len(result.duplicate_codes))

    async def import_customers(self, records: Sequence[CustomerRecord]) -> list[ImportOutcome]:
        return await customer_import.import_or_update_customers(self._uow, self._org_id, records)

    async def customer_coupons(
        self, customer: CustomerRef, series_id: int
    ) -> list[customer_service_pb2.Coupon]:
        found: list[customer_service_pb2.Coupon] = []
        token = ""
        while True:
            page = await coupons.list_customer_coupons(
                self._uow, self._org_id, customer, series_id or None, _PAGE, token
            )  # As the gRPC door answers it: each coupon with its state.
            found += [converters.coupon_message(view) for view in page.items]
            if not (token := page.next_page_token):
                return found

    async def close(self) -> None:
        await self._uow.engine.dispose()
