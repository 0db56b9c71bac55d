"""The doors the use cases have to storage: one transaction at a time, with its repositories."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from ..domain.credentials import ApiKey, HashedSecret
from ..domain.model import (
    Coupon,
    Customer,
    CustomerRef,
    Series,
    SeriesPolicy,
)
from .batch_store import BatchStore as BatchStore

_Result = TypeVar("_Result")


class IdentifierTaken(Exception):
    """A create or update would give two customers, series or codes the same key."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class StoreUnavailable(Exception):
    """The database could not be reached or could not commit; nothing of the work was written,
    so the same call may be retried (with the same request id, a retry never issues twice).

    `before_commit` is True when the failure came before COMMIT was sent: the transaction
    surely rolled back, so running the same work again cannot do anything twice. When COMMIT
    itself failed, whether it took effect is unknown to this side.
    """

    def __init__(self, message: str, *, before_commit: bool = False) -> None:
        super().__init__(message)
        self.before_commit = before_commit


class StoreConflict(StoreUnavailable):
    """The database gave up on the transaction (a deadlock or serialization failure)."""


class OrgRepository(Protocol):
    async def find(self, name: str) -> int | None: ...
    async def add(self, name: str) -> int: ...
    async def find_or_add(self, name: str) -> int: ...


class CustomerRepository(Protocol):
    async def find(self, org_id: int, ref: CustomerRef) -> Customer | None: ...
    async def add(self, org_id: int, customer: Customer) -> Customer: ...
    async def update(self, org_id: int, customer: Customer) -> Customer: ...


class SeriesRepository(Protocol):
    async def get(self, org_id: int, series_id: int) -> Series | None: ...
    async def list(self, org_id: int, after_id: int, limit: int) -> list[Series]: ...
    async def add(self, org_id: int, series_id: int | None, policy: SeriesPolicy) -> Series: ...


class CouponRepository(Protocol):
    async def of_customer(
        self, org_id: int, customer_id: int, series_id: int | None, after_id: int, limit: int
    ) -> list[Coupon]: ...


@dataclasses.dataclass(frozen=True)
class StoredKey:
    """An active key with what checking it needs: its organisation and its hashed secret."""

    key: ApiKey
    org_name: str
    secret: HashedSecret


class CredentialRepository(Protocol):
    async def add(self, key: ApiKey, secret: HashedSecret) -> None: ...
    async def find_active(self, key_id: str) -> StoredKey | None: ...
    async def revoke(self, key_id: str, at: datetime) -> ApiKey | None: ...
    async def of_org(self, org_id: int) -> list[ApiKey]: ...


class RequestRepository(Protocol):
    async def remove_stored_before(self, moment: datetime, limit: int) -> int:
        """Removes up to `limit` idempotency keys stored before `moment`, oldest first;
        returns how many it removed."""
        ...


class Transaction(Protocol):
    # Read-only members, so an implementation may hold its own concrete repository types.
    @property
    def orgs(self) -> OrgRepository: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def series(self) -> SeriesRepository: ...
    @property
    def coupons(self) -> CouponRepository: ...
    @property
    def credentials(self) -> CredentialRepository: ...
    @property
    def requests(self) -> RequestRepository: ...


class UnitOfWork(Protocol):
    """Opens transactions; a transaction commits when its block ends and rolls back on error."""

    # Where the service layer keeps its batchers for this database (see service/batching.py):
    # every caller holding this unit of work shares them.
    batchers: dict[str, Any]
    # How long an idempotency key answers with its first outcome; after that it is new again.
    request_ids_kept_for: timedelta

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def run_batch(self, work: Callable[[BatchStore], _Result]) -> _Result:
        """Runs `work` in one transaction of its own and commits it.

        `work` is plain synchronous code: it runs without returning to the event loop between
        statements (on SQLite in the driver's own thread), so the connection is held only
        while the database works. Raises StoreUnavailable or StoreConflict, and nothing is
        written, when the transaction cannot be committed.
        """
        ...
