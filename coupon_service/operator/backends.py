"""What the operator commands need of the service, and the two ways to get it: over gRPC
through the typed client (grpc_backend), or on the database through the use cases
(database_backend). Both hand back coupon.v1 messages, so every command prints the same."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from coupon.v1 import customer_service_pb2, series_service_pb2

from ..domain.model import CustomerRef
from ..service.customer_import import CustomerRecord, ImportOutcome
from .target import Database, Server

# How many upload batches or customer records are in flight at once: enough to keep the
# server's writer busy while the next batch is read and sent.
UPLOADS_IN_FLIGHT = 4
RECORDS_IN_FLIGHT = 16


@dataclasses.dataclass(frozen=True)
class Uploaded:
    """What one UploadCodes call did: codes added to the pool, codes the organisation had."""

    added: int
    already_present: int


class Backend(Protocol):
    async def create_series(
        self, series: series_service_pb2.Series
    ) -> series_service_pb2.Series: ...

    async def get_series(self, series_id: int) -> series_service_pb2.Series: ...

    async def list_series(self) -> list[series_service_pb2.Series]:
        """Every series of the organisation, by ascending id (all pages)."""
        ...

    async def upload_codes(self, series_id: int, codes: list[str]) -> Uploaded: ...

    async def import_customers(self, records: Sequence[CustomerRecord]) -> list[ImportOutcome]:
        """Creates or updates one customer per record (see import_or_update_customers); the
        outcomes are in the records' order."""
        ...

    async def customer_coupons(
        self, customer: CustomerRef, series_id: int
    ) -> list[customer_service_pb2.Coupon]:
        """Every coupon the customer holds (of one series unless `series_id` is 0)."""
        ...

    async def close(self) -> None: ...


async def open_backend(target: Server | Database) -> Backend:
    # Imported here: each door loads only its own stack (grpc, or SQLAlchemy and a driver).
    if isinstance(target, Server):
        from .grpc_backend import GrpcBackend

        return GrpcBackend.connect(target)
    from .database_backend import DatabaseBackend

    return await DatabaseBackend.open(target)
