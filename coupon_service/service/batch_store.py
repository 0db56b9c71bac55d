"""The door batched writes have to storage: set-based steps, each one statement or a few.

A batch gathers the calls of many callers, possibly of several organisations, so every key
names its organisation. The steps are synchronous: a store runs the whole batch without
returning to the event loop (see UnitOfWork.run_batch).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from ..domain.batch_view import HoldingKey as HoldingKey
from ..domain.batch_view import SeriesKey as SeriesKey
from ..domain.events import NewEvent
from ..domain.model import Customer, CustomerRef, IssuedCoupon, Series

RequestKey = tuple[int, str]  # (org_id, request_id)
CustomerKey = tuple[int, CustomerRef]  # (org_id, how the call named the customer)


@dataclasses.dataclass(frozen=True)
class StoredRequest:
    fingerprint: str
    outcome: str


class Holding(NamedTuple):
    """The coupons of one series a customer holds: how many (revoked ones too), and the first
    one's id that is not revoked (None when every one is: none can be resent)."""

    held: int
    first_coupon_id: int | None


class PoolCode(NamedTuple):
    """An uploaded code no customer holds yet, reserved for this batch until it commits."""

    coupon_id: int
    code: str


class NewCoupons(NamedTuple):
    """The coupons one call takes from one series: alike in all but their codes.

    One of these per call and series, not a row object per coupon: a call of 500 would make
    500. With `pool_ids`, the codes are reserved pool rows (in the same order) to hand out.
    """

    org_id: int
    series_id: int
    customer_id: int
    shared_code: bool
    issued_at: datetime
    valid_till: datetime | None
    source_type: str
    source_id: str
    source_activity: str
    notes: str
    reason: str
    request_id: str | None
    codes: Sequence[str]
    pool_ids: Sequence[int] = ()

    @property
    def alike(self) -> tuple[Any, ...]:
        """Every column but the code, in the order of the fields above."""
        return self[:12]


class IssuedCount(NamedTuple):
    """Coupons a batch issued from one series, added to the series' counters."""

    org_id: int
    series_id: int
    issued: int
    latest_issued_at: datetime


class BatchStore(Protocol):
    def claim_request_ids(
        self, keys: Sequence[tuple[RequestKey, str]], kept_for: timedelta
    ) -> dict[RequestKey, StoredRequest]:
        """Stores each (key, fingerprint) as this batch's, but for keys an earlier call
        stored less than `kept_for` ago: those come back with what that call stored. An
        older key is this batch's, as if new. A key another transaction is storing right now
        waits for it to commit or roll back."""
        ...

    def find_customers(self, keys: Collection[CustomerKey]) -> dict[CustomerKey, Customer]: ...

    def load_series(self, keys: Collection[SeriesKey], *, lock: bool) -> dict[SeriesKey, Series]:
        """The series with their counts. With `lock`, each is locked until commit first, in
        key order (so two batches never wait on each other in a ring), and its counts are
        read after the lock was granted: they stay true until this batch commits."""
        ...

    def holdings(self, keys: Collection[HoldingKey]) -> dict[HoldingKey, Holding]:
        """What each customer holds of each series; keys holding nothing may be left out."""
        ...

    def reserve_pool(self, key: SeriesKey, count: int) -> list[PoolCode]:
        """Up to `count` free pool codes, lowest first, passing over codes other
        transactions have reserved: those returned are this batch's alone."""
        ...

    def insert_coupons(self, groups: Sequence[NewCoupons]) -> list[list[int | None]]:
        """Inserts new coupons; for each group the ids in code order, None where the org
        already has the code."""
        ...

    def assign_pool(self, groups: Sequence[NewCoupons]) -> None:
        """Hands reserved pool codes (`pool_ids`) to their customers."""
        ...

    def delete_coupons(self, coupon_ids: Sequence[int]) -> None: ...

    def add_issued(self, counts: Sequence[IssuedCount]) -> None: ...

    def issued_counts(
        self, keys: Collection[SeriesKey]
    ) -> dict[SeriesKey, tuple[int, datetime | None]]:
        """Each series' issued count and latest issue time, this batch's included."""
        ...

    def coupons_by_ids(
        self, org_id: int, coupon_ids: Collection[int]
    ) -> dict[int, IssuedCoupon]: ...

    def add_pool_codes(self, key: SeriesKey, codes: Sequence[str]) -> list[str]:
        """Adds codes to an uploaded series' pool, skipping any the org has; returns those added."""
        ...

    def add_uploaded(self, key: SeriesKey, count: int) -> None: ...

    def finish_requests(
        self, outcomes: Sequence[tuple[RequestKey, str]], released: Sequence[RequestKey]
    ) -> None:
        """Stores the outcome of each call that succeeded under its key, and gives back the
        keys of calls that failed, so a retry runs afresh."""
        ...

    def append_events(self, events: Sequence[tuple[int, NewEvent]]) -> None:
        """Records (org_id, event) pairs at the next positions of each org's feed, in order.
        It must be the batch's last step: each feed stays locked until the commit."""
        ...
