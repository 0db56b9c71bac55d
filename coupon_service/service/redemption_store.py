"""The door batched redemptions have to storage: set-based steps, like the issuing batch's.

A redemption batch locks what it takes uses from in one global order, so two batches (two
replicas, or a batch and a reversal) never wait on each other in a ring: first the counter rows
of the series with a total limit, by (org, series); then the coupons, by id; then the series'
counters and the org's feed, by key, last. The steps are synchronous, as BatchStore's are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from ..domain.events import NewEvent
from ..domain.model import Coupon, Customer, Redemption, Series
from .batch_store import CustomerKey, RequestKey, SeriesKey


@dataclasses.dataclass(frozen=True)
class NewRedemption:
    org_id: int
    coupon_id: int
    code: str
    series_id: int
    customer_id: int
    redeemed_at: datetime
    bill_number: str
    bill_amount: int | None
    request_id: str | None
    fingerprint: str | None


@dataclasses.dataclass(frozen=True)
class StoredRedemption:
    """A redemption with the digest of the request that made it."""

    redemption: Redemption
    fingerprint: str | None


class CodeKey(NamedTuple):
    """A code as a redemption names it: an unshared code is the org's only coupon with it; a
    GENERIC series' shared code is the named holder's coupon."""

    org_id: int
    code: str
    holder_id: int


class CouponKey(NamedTuple):
    org_id: int
    coupon_id: int


class UsesTaken(NamedTuple):
    """Uses a batch takes from one coupon, and the latest moment among them."""

    org_id: int
    coupon_id: int
    uses: int
    latest_at: datetime


class SeriesRedeemed(NamedTuple):
    """Redemptions a batch adds to one series' counters."""

    org_id: int
    series_id: int
    redeemed: int
    latest_at: datetime


class RedemptionStore(Protocol):
    def find_customers(self, keys: Collection[CustomerKey]) -> dict[CustomerKey, Customer]: ...

    def load_series(self, keys: Collection[SeriesKey], *, lock: bool) -> dict[SeriesKey, Series]:
        """See BatchStore.load_series; redemptions read series without locking them."""
        ...

    def coupons_with_codes(self, keys: Collection[CodeKey]) -> dict[CodeKey, Coupon]:
        """The issued coupon each key names; keys naming none are left out."""
        ...

    def shared_codes(self, keys: Collection[tuple[int, str]]) -> set[tuple[int, str]]:
        """Those of the (org, code) pairs that are a shared code some customer holds."""
        ...

    def lock_series_uses(self, keys: Collection[SeriesKey]) -> dict[SeriesKey, int]:
        """Locks each series' total-limit counter until commit, in key order, and returns its
        redemptions not reversed, read after the lock was granted."""
        ...

    def load_coupons(self, keys: Collection[CouponKey], *, lock: bool) -> dict[int, Coupon]:
        """The coupons by id. With `lock`, each is locked until commit first, in id order, and
        read after the lock was granted: it stays as read until this batch commits."""
        ...

    def redemptions_with_request_ids(
        self, keys: Collection[RequestKey]
    ) -> dict[RequestKey, StoredRedemption]: ...

    def add_redemptions(self, new: Sequence[NewRedemption]) -> list[int | None]:
        """Stores the redemptions; for each its id, or None where a concurrent transaction
        stored its request id first (the insert waited for that one's commit)."""
        ...

    def take_uses(self, uses: Sequence[UsesTaken]) -> None: ...

    def add_series_uses(self, uses: Sequence[tuple[SeriesKey, int]]) -> None:
        """Adds to the total-limit counters that lock_series_uses locked."""
        ...

    def count_redemptions(self, counts: Sequence[SeriesRedeemed]) -> None: ...

    def append_events(self, events: Sequence[tuple[int, NewEvent]]) -> None:
        """See BatchStore.append_events: the batch's last step."""
        ...
