"""The doors the use cases have to storage: one transaction at a time, with its repositories."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from ..domain.credentials import ApiKey, HashedSecret
from ..domain.events import CouponEvent, FeedState, NewEvent
from ..domain.model import (
    Coupon,
    Customer,
    CustomerRef,
    Redemption,
    Series,
    SeriesPolicy,
)
from ..domain.redemption import CouponState
from .batch_store import BatchStore as BatchStore
from .redemption_store import RedemptionStore

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


@dataclasses.dataclass(frozen=True)
class CouponFilter:
    """Which of a series' coupons a list shows. A state is judged at `at`, with the series'
    `uses_allowed` telling a used-up coupon from one with uses left (see redemption.state_of).
    Empty texts and None match every coupon."""

    at: datetime
    uses_allowed: int
    state: CouponState | None = None
    source_type: str = ""
    source_id: str = ""
    source_activity: str = ""
    issued_after: datetime | None = None  # Inclusive.
    issued_before: datetime | None = None  # Exclusive.


CouponPosition = tuple[datetime, int]  # (issued_at, id): where a page of a series' coupons ends.


class CouponRepository(Protocol):
    """Issued coupons only: an uploaded code still in its pool is no coupon yet."""

    async def of_customer(
        self, org_id: int, customer_id: int, series_id: int | None, after_id: int, limit: int
    ) -> list[Coupon]: ...
    async def get(self, org_id: int, coupon_id: int) -> Coupon | None: ...
    async def with_code(self, org_id: int, code: str, holder_id: int | None) -> Coupon | None:
        """The coupon with this unshared code, or `holder_id`'s holding of this shared code."""
        ...

    async def is_shared_code(self, org_id: int, code: str) -> bool:
        """Whether some customer holds this code as a GENERIC series' shared code."""
        ...

    async def of_series(
        self,
        org_id: int,
        series_id: int,
        where: CouponFilter,
        after: CouponPosition | None,
        limit: int,
    ) -> list[Coupon]: ...
    async def give_back_use(self, org_id: int, coupon_id: int) -> bool: ...
    async def revoke(self, org_id: int, coupon_id: int, reason: str, at: datetime) -> bool:
        """Revokes the coupon unless it already is; False when it was (or is no coupon)."""
        ...


class RedemptionRepository(Protocol):
    async def get(self, org_id: int, redemption_id: int) -> Redemption | None: ...
    async def of_coupon(self, org_id: int, coupon_id: int, limit: int) -> list[Redemption]:
        """The coupon's newest redemptions first."""
        ...

    async def reverse(self, org_id: int, redemption_id: int, at: datetime) -> bool:
        """Stamps the reversal unless there is one already; False when there was."""
        ...

    async def series_redeemed(self, org_id: int, series_id: int) -> int:
        """The redemptions not reversed of a series with a total limit."""
        ...

    async def give_back_series_use(self, org_id: int, series_id: int) -> None: ...
    async def count_reversal(self, org_id: int, series_id: int) -> None:
        """Takes one off the series' redemption count; its latest redemption stays."""
        ...


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


class EventRepository(Protocol):
    async def append(self, org_id: int, new: Sequence[NewEvent]) -> None:
        """Records the events at the next positions of the org's feed, in order. It must be
        the transaction's last statement: the feed stays locked until the commit."""
        ...

    async def after(self, org_id: int, position: int, limit: int) -> list[CouponEvent]:
        """Up to `limit` events after `position`, in position order."""
        ...

    async def feed(self, org_id: int) -> FeedState: ...

    async def note_heads(self, at: datetime) -> None:
        """Notes every feed's head as it is at `at`, for prune_before."""
        ...

    async def prune_before(self, moment: datetime, limit: int) -> int:
        """Removes the events no later than the newest note taken before `moment` (and those
        notes, once their events are gone), in position order, at most about `limit` of them;
        returns how many events went."""
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
    def redemptions(self) -> RedemptionRepository: ...
    @property
    def credentials(self) -> CredentialRepository: ...
    @property
    def requests(self) -> RequestRepository: ...
    @property
    def events(self) -> EventRepository: ...


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

    async def run_redemption_batch(self, work: Callable[[RedemptionStore], _Result]) -> _Result:
        """`run_batch` for a batch of redemptions (service/redemption_store.py)."""
        ...
