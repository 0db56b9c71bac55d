"""The doors the use cases have to storage: one transaction at a time, with its repositories."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from ..domain.credentials import ApiKey, HashedSecret
from ..domain.model import (
    Coupon,
    Customer,
    CustomerRef,
    IssuanceMetadata,
    IssuedCoupon,
    Series,
    SeriesPolicy,
)


class IdentifierTaken(Exception):
    """A create or update would give two customers, series or codes the same key."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class RequestIdTaken(Exception):
    """Another transaction stored the same idempotency key first."""


@dataclasses.dataclass(frozen=True)
class StoredRequest:
    fingerprint: str
    outcome: str


@dataclasses.dataclass(frozen=True)
class NewCoupons:
    """Coupons to write for one customer from one series."""

    series: Series
    customer_id: int
    issued_at: datetime
    valid_till: datetime | None
    metadata: IssuanceMetadata
    request_id: str | None


class OrgRepository(Protocol):
    async def find(self, name: str) -> int | None: ...
    async def add(self, name: str) -> int: ...
    async def find_or_add(self, name: str) -> int: ...


class CustomerRepository(Protocol):
    async def find(self, org_id: int, ref: CustomerRef) -> Customer | None: ...
    async def add(self, org_id: int, customer: Customer) -> Customer: ...
    async def update(self, org_id: int, customer: Customer) -> Customer: ...


class SeriesRepository(Protocol):
    async def get_many(self, org_id: int, series_ids: Sequence[int]) -> dict[int, Series]: ...
    async def lock(self, org_id: int, series_ids: Sequence[int]) -> dict[int, Series]: ...
    async def get(self, org_id: int, series_id: int) -> Series | None: ...
    async def list(self, org_id: int, after_id: int, limit: int) -> list[Series]: ...
    async def add(self, org_id: int, series_id: int | None, policy: SeriesPolicy) -> Series: ...
    async def record_issued(
        self, org_id: int, series_id: int, count: int, at: datetime
    ) -> Series: ...
    async def record_uploaded(self, org_id: int, series_id: int, count: int) -> Series: ...


class CouponRepository(Protocol):
    async def held_count(self, org_id: int, series_id: int, customer_id: int) -> int: ...
    async def first_held(
        self, org_id: int, series_id: int, customer_id: int
    ) -> IssuedCoupon | None: ...
    async def claim_uploaded(
        self, org_id: int, new: NewCoupons, count: int
    ) -> list[IssuedCoupon]: ...
    async def insert_new(
        self, org_id: int, new: NewCoupons, codes: Sequence[str], shared: bool
    ) -> list[IssuedCoupon]: ...
    async def upload(self, org_id: int, series_id: int, codes: Sequence[str]) -> list[str]: ...
    async def by_ids(self, org_id: int, coupon_ids: Sequence[int]) -> list[IssuedCoupon]: ...
    async def of_customer(
        self, org_id: int, customer_id: int, series_id: int | None, after_id: int, limit: int
    ) -> list[Coupon]: ...


class RequestRepository(Protocol):
    async def get(self, org_id: int, request_id: str) -> StoredRequest | None: ...
    async def add(self, org_id: int, request_id: str, stored: StoredRequest) -> None: ...


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
    def requests(self) -> RequestRepository: ...
    @property
    def credentials(self) -> CredentialRepository: ...


class UnitOfWork(Protocol):
    """Opens transactions; a transaction commits when its block ends and rolls back on error."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...
