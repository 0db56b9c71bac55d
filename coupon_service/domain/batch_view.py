"""What one issuing batch has taken so far, so that each call is planned seeing the calls
before it: two calls of one customer in one batch count each other's coupons.

A call plans on a `CallView`; only when the whole call succeeds are its counts added to the
batch, so a call that fails leaves no trace for the calls after it. Pure, no I/O.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping

from .model import Series

SeriesKey = tuple[int, int]  # (org_id, series_id)
HoldingKey = tuple[int, int, int]  # (org_id, series_id, customer_id)


@dataclasses.dataclass
class _Taken:
    issued: Counter[SeriesKey] = dataclasses.field(default_factory=Counter)
    held: Counter[HoldingKey] = dataclasses.field(default_factory=Counter)
    pooled: Counter[SeriesKey] = dataclasses.field(default_factory=Counter)

    def add(self, other: _Taken) -> None:
        self.issued.update(other.issued)
        self.held.update(other.held)
        self.pooled.update(other.pooled)


class BatchView:
    """The batch's series as stored, with what its committed calls have taken on top."""

    def __init__(
        self,
        series: Mapping[SeriesKey, Series],
        held: Mapping[HoldingKey, int],
        pool_sizes: Mapping[SeriesKey, int],
    ) -> None:
        self._series = series
        self._held = held
        self._pool_sizes = pool_sizes
        self._taken = _Taken()

    def for_call(self) -> CallView:
        return CallView(self)

    def _commit(self, taken: _Taken) -> None:
        self._taken.add(taken)


class CallView:
    """One call's planning: the batch's view plus this call's own coupons so far."""

    def __init__(self, batch: BatchView) -> None:
        self._batch = batch
        self._taken = _Taken()

    def series(self, key: SeriesKey) -> Series | None:
        """The series with every coupon issued before this point counted."""
        stored = self._batch._series.get(key)
        if stored is None:
            return None
        taken = self._batch._taken.issued[key] + self._taken.issued[key]
        return (
            dataclasses.replace(stored, num_issued=stored.num_issued + taken) if taken else stored
        )

    def held(self, key: HoldingKey) -> int:
        return self._batch._held.get(key, 0) + self._batch._taken.held[key] + self._taken.held[key]

    def pool_taken(self, key: SeriesKey) -> int:
        """How many of the codes reserved for the batch are already spoken for."""
        return self._batch._taken.pooled[key] + self._taken.pooled[key]

    def pool_left(self, key: SeriesKey) -> int:
        return self._batch._pool_sizes.get(key, 0) - self.pool_taken(key)

    def take(self, holding: HoldingKey, count: int, *, from_pool: bool) -> None:
        series_key = holding[:2]
        self._taken.issued[series_key] += count
        self._taken.held[holding] += count
        if from_pool:
            self._taken.pooled[series_key] += count

    def give_back(self, holding: HoldingKey, count: int) -> None:
        """`count` of the coupons this call took could not be written after all."""
        self.take(holding, -count, from_pool=False)

    def commit(self) -> None:
        """The call succeeded: later calls see what it took."""
        self._batch._commit(self._taken)
        self._taken = _Taken()
