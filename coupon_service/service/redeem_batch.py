"""RedeemCoupon in batches: the redemptions of many callers in one transaction.

Redemptions share commits as issuing does (service/batching.py). A batch, for all its calls:

1. reads the customers, the coupons their codes name, and the coupons' series;
2. locks, in the order redemption_store.py gives: the total-limit counters of the series that
   have one, then the coupons, each read again under its lock; then reads the redemptions
   already stored under the calls' request ids (a concurrent call with the same key and coupon
   has committed by the time the coupon's lock is ours, so it is seen here);
3. decides each call in turn with check_redeemable, against the state the batch's earlier calls
   left (the uses they took from a coupon and from its series): a refused call writes nothing;
4. writes the redemptions, the uses and the counters, and the events last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from ..domain.errors import CouponServiceError, coupon_not_found, customer_not_found
from ..domain.events import EventType, NewEvent
from ..domain.model import Coupon, Customer, CustomerRef, Redemption, Series
from ..domain.redemption import RedemptionCounts, check_redeemable, wrong_customer
from .batch_store import RequestKey, SeriesKey
from .batching import DEFER, Defer
from .coupons import CouponView, view_of
from .idempotency import request_id_reused
from .inputs import RedeemCall
from .redemption_store import (
    CodeKey,
    CouponKey,
    NewRedemption,
    RedemptionStore,
    SeriesRedeemed,
    StoredRedemption,
    UsesTaken,
)


@dataclasses.dataclass(frozen=True)
class RedemptionResult:
    redemption: Redemption
    coupon: CouponView


_Key = TypeVar("_Key", bound=tuple[int, int])
RedeemAnswer = RedemptionResult | CouponServiceError | Defer


class RequestIdRaced(Exception):
    """A concurrent transaction stored one of the batch's request ids first, for a coupon this
    batch did not wait for: the batch, decided without knowing, must roll back and run again."""


def redeem_batch(store: RedemptionStore, calls: Sequence[RedeemCall]) -> list[RedeemAnswer]:
    """Answers every call, in the order given: a result, its own refusal, or DEFER for a call
    whose request id an earlier call of the batch has (it goes again after this commit)."""
    return _RedeemBatch(store, calls).run()


@dataclasses.dataclass(frozen=True)
class _Taken:
    """A use one call takes: the redemption to store and the coupon as that use leaves it."""

    index: int
    new: NewRedemption
    coupon: Coupon


class _RedeemBatch:
    def __init__(self, store: RedemptionStore, calls: Sequence[RedeemCall]) -> None:
        self._store = store
        self._calls = calls
        self._answers: list[RedeemAnswer | None] = [None] * len(calls)
        self._live: list[int] = []
        self._holders: dict[tuple[int, CustomerRef], Customer] = {}
        self._named: dict[CodeKey, Coupon] = {}
        self._shared: set[tuple[int, str]] = set()
        self._series: dict[SeriesKey, Series] = {}
        self._series_used: dict[SeriesKey, int] = {}
        self._coupons: dict[int, Coupon] = {}  # As locked, then as the batch's uses leave them.
        self._stored: dict[RequestKey, StoredRedemption] = {}
        self._taken: list[_Taken] = []
        self._replayed: list[tuple[int, Redemption]] = []

    def run(self) -> list[RedeemAnswer]:
        self._defer_repeated_keys()
        self._read()
        self._lock()
        for index in self._live:
            self._decide(index, self._calls[index])
        self._write()
        answered = [answer for answer in self._answers if answer is not None]
        assert len(answered) == len(self._calls), "every call has its answer"
        return answered

    def _defer_repeated_keys(self) -> None:
        keys: set[RequestKey] = set()
        for index, call in enumerate(self._calls):
            key = call.request_key
            if key is not None and key in keys:
                self._answers[index] = DEFER
                continue
            if key is not None:
                keys.add(key)
            self._live.append(index)

    def _code_key(self, call: RedeemCall) -> CodeKey | None:
        holder = self._holders.get(call.customer_key)
        return None if holder is None else CodeKey(call.org_id, call.request.code, holder.id)

    def _read(self) -> None:
        calls = [self._calls[index] for index in self._live]
        self._holders = self._store.find_customers({call.customer_key for call in calls})
        codes = {key for key in map(self._code_key, calls) if key is not None}
        self._named = self._store.coupons_with_codes(codes)
        self._shared = self._store.shared_codes(
            {(key.org_id, key.code) for key in codes if key not in self._named}
        )
        self._series = self._store.load_series(
            {(key.org_id, coupon.series_id) for key, coupon in self._named.items()}, lock=False
        )

    def _lock(self) -> None:
        limited = {k for k, s in self._series.items() if s.policy.max_redemptions is not None}
        self._series_used = self._store.lock_series_uses(limited)
        self._coupons = self._store.load_coupons(
            {CouponKey(key.org_id, coupon.id) for key, coupon in self._named.items()}, lock=True
        )
        keys = {self._calls[index].request_key for index in self._live}
        self._stored = self._store.redemptions_with_request_ids(
            {key for key in keys if key is not None}
        )

    def _decide(self, index: int, call: RedeemCall) -> None:
        key = call.request_key
        stored = None if key is None else self._stored.get(key)
        if stored is not None:
            if stored.fingerprint != call.fingerprint:
                self._answers[index] = request_id_reused()
            else:
                self._replayed.append((index, stored.redemption))
            return
        code_key = self._code_key(call)
        if code_key is None:
            self._answers[index] = customer_not_found()
            return
        named = self._named.get(code_key)
        if named is None:
            shared = (call.org_id, call.request.code) in self._shared
            self._answers[index] = wrong_customer() if shared else coupon_not_found()
            return
        coupon = self._coupons[named.id]  # Coupons are never deleted once issued.
        series_key = (call.org_id, coupon.series_id)
        counts = RedemptionCounts(self._series_used.get(series_key, 0))
        policy = self._series[series_key].policy
        refusal = check_redeemable(coupon, policy, code_key.holder_id, call.moment, counts)
        if refusal is not None:
            self._answers[index] = refusal
            return
        latest = max(filter(None, (coupon.latest_redeemed_at, call.moment)))
        used = dataclasses.replace(
            coupon, redemption_count=coupon.redemption_count + 1, latest_redeemed_at=latest
        )
        self._coupons[coupon.id] = used
        if series_key in self._series_used:
            self._series_used[series_key] += 1
        self._taken.append(_Taken(index, _new_redemption(call, used), used))

    def _write(self) -> None:
        store = self._store
        ids = store.add_redemptions([taken.new for taken in self._taken])
        if None in ids:
            raise RequestIdRaced()
        store.take_uses(_uses_taken(self._taken))
        per_series = _series_redeemed(self._taken)
        limited = [
            (key, c.redeemed)
            for c in per_series
            if (key := (c.org_id, c.series_id)) in self._series_used
        ]
        store.add_series_uses(limited)  # Only series with a total limit have a counter row.
        store.count_redemptions(per_series)
        events = []
        for taken, redemption_id in zip(self._taken, ids, strict=True):
            assert redemption_id is not None
            new = taken.new
            redemption = _redemption(new, redemption_id)
            view = view_of(taken.coupon, new.redeemed_at)
            self._answers[taken.index] = RedemptionResult(redemption, view)
            events.append(
                (
                    new.org_id,
                    NewEvent(EventType.REDEEMED, new.coupon_id, new.redeemed_at, redemption_id),
                )
            )
        self._answer_replays()
        store.append_events(events)  # Last: it locks each org's feed until the commit.

    def _answer_replays(self) -> None:
        unread = {
            CouponKey(self._calls[index].org_id, redemption.coupon_id)
            for index, redemption in self._replayed
            if redemption.coupon_id not in self._coupons
        }
        if unread:
            self._coupons |= self._store.load_coupons(unread, lock=False)
        for index, redemption in self._replayed:
            coupon = self._coupons[redemption.coupon_id]
            view = view_of(coupon, self._calls[index].moment)
            self._answers[index] = RedemptionResult(redemption, view)


def _new_redemption(call: RedeemCall, coupon: Coupon) -> NewRedemption:
    return NewRedemption(
        org_id=call.org_id,
        coupon_id=coupon.id,
        code=coupon.code,
        series_id=coupon.series_id,
        customer_id=coupon.customer_id,
        redeemed_at=call.moment,
        bill_number=call.request.bill_number,
        bill_amount=call.request.bill_amount,
        request_id=call.request.request_id,
        fingerprint=call.fingerprint,
    )


def _redemption(new: NewRedemption, redemption_id: int) -> Redemption:
    return Redemption(
        id=redemption_id,
        coupon_id=new.coupon_id,
        code=new.code,
        series_id=new.series_id,
        customer_id=new.customer_id,
        redeemed_at=new.redeemed_at,
        bill_number=new.bill_number,
        bill_amount=new.bill_amount,
        reversed_at=None,
        request_id=new.request_id,
    )


def _tallied(moments: Iterable[tuple[_Key, datetime]]) -> list[tuple[_Key, int, datetime]]:
    """Per key, in key order (the order its lock was taken in): how many, and the latest."""
    tally: dict[_Key, tuple[int, datetime]] = {}
    for key, at in moments:
        count, latest = tally.get(key, (0, at))
        tally[key] = (count + 1, max(latest, at))
    return [(key, *tally[key]) for key in sorted(tally)]


def _uses_taken(taken: Sequence[_Taken]) -> list[UsesTaken]:
    moments = (((t.new.org_id, t.new.coupon_id), t.new.redeemed_at) for t in taken)
    return [UsesTaken(*key, uses, at) for key, uses, at in _tallied(moments)]


def _series_redeemed(taken: Sequence[_Taken]) -> list[SeriesRedeemed]:
    moments = (((t.new.org_id, t.new.series_id), t.new.redeemed_at) for t in taken)
    return [SeriesRedeemed(*key, count, at) for key, count, at in _tallied(moments)]
