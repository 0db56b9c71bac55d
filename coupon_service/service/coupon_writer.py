"""Writing a batch's coupons: new codes in one insert per draw, pool codes handed out in one
update, and the series counters added to once per series."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import cast

from ..domain.codes import generate_codes
from ..domain.issuing import SeriesOutcome, Shortfall
from ..domain.model import CodeSource, IssuedCoupon, Series
from .batch_store import BatchStore, HoldingKey, IssuedCount, NewCoupons, PoolCode, SeriesKey
from .inputs import IssueCall

# Random codes that collide with codes the org already has are drawn again, this many times.
CODE_DRAWS = 8


@dataclasses.dataclass
class SeriesDraft:
    """What one series gives the customer in one call, before its coupons are written."""

    series: Series
    requested: int
    shortfalls: tuple[tuple[Shortfall, int], ...]
    holding: HoldingKey
    new: int = 0  # New coupons: drawn codes, the generic code, or reserved pool codes.
    pool: list[PoolCode] = dataclasses.field(default_factory=list)
    resend: bool = False  # Hand back the coupon the customer holds instead.
    resend_coupon_id: int | None = None  # None: the one an earlier call of this batch gave.
    coupons: list[IssuedCoupon] = dataclasses.field(default_factory=list)

    @property
    def gives_coupons(self) -> bool:
        return self.new > 0 or self.resend or bool(self.coupons)

    def outcome(self, fresh: Mapping[SeriesKey, Series] | None = None) -> SeriesOutcome:
        key = self.holding[:2]
        series = fresh.get(key, self.series) if fresh else self.series
        return SeriesOutcome(series, self.requested, tuple(self.coupons), self.shortfalls)


def _group(
    call: IssueCall, draft: SeriesDraft, codes: Sequence[str], pool_ids: Sequence[int] = ()
) -> NewCoupons:
    m = call.metadata
    org_id, series_id, customer_id = draft.holding
    return NewCoupons(
        org_id,
        series_id,
        customer_id,
        draft.series.policy.code_source is CodeSource.GENERIC,
        call.issued_at,
        draft.series.coupon_valid_till(call.issued_at),
        m.source_type,
        m.source_id,
        m.source_activity,
        m.notes,
        m.reason,
        call.request_id,
        codes,
        pool_ids,
    )


def _issued(group: NewCoupons, codes: Sequence[str], ids: Sequence[int]) -> list[IssuedCoupon]:
    series_id, issued_at, valid_till = group.series_id, group.issued_at, group.valid_till
    return [
        IssuedCoupon(coupon_id, code, series_id, issued_at, valid_till)
        for code, coupon_id in zip(codes, ids, strict=True)
    ]


def _inserted(codes: Sequence[str], ids: list[int | None]) -> tuple[Sequence[str], list[int]]:
    """The codes that were inserted, with their ids; the others are drawn again."""
    if None not in ids:
        return codes, cast(list[int], ids)
    pairs = [(code, i) for code, i in zip(codes, ids, strict=True) if i is not None]
    return [code for code, _ in pairs], [i for _, i in pairs]


class CouponWriter:
    def __init__(self, store: BatchStore) -> None:
        self._store = store
        self._drawn: list[tuple[IssueCall, SeriesDraft]] = []
        self._pool_groups: dict[int, NewCoupons] = {}  # By id(draft).
        self._inserted: dict[int, list[int]] = defaultdict(list)  # Coupon ids, by id(draft).

    def add(self, call: IssueCall, draft: SeriesDraft) -> None:
        if draft.resend or not draft.new:
            return
        if draft.series.policy.code_source is CodeSource.UPLOADED:
            ids = [pooled.coupon_id for pooled in draft.pool]
            group = _group(call, draft, [pooled.code for pooled in draft.pool], ids)
            draft.coupons = _issued(group, group.codes, ids)
            self._pool_groups[id(draft)] = group
        else:
            self._drawn.append((call, draft))

    def insert_new(self) -> bool:
        """Inserts the drawn or generic coupons added since the last time; codes the org
        already has are drawn again. True when some got no code after every draw."""
        pending, self._drawn = self._drawn, []
        for _ in range(CODE_DRAWS):
            groups: list[NewCoupons] = []
            owners: list[SeriesDraft] = []
            drawn: set[tuple[int, str]] = set()
            for call, draft in pending:
                codes: Sequence[str] = self._codes(draft, draft.new - len(draft.coupons))
                if draft.series.policy.code_source is not CodeSource.GENERIC:
                    # A code drawn twice in this batch is drawn again next round.
                    fresh = [code for code in codes if (call.org_id, code) not in drawn]
                    drawn.update((call.org_id, code) for code in fresh)
                    codes = fresh
                groups.append(_group(call, draft, codes))
                owners.append(draft)
            for group, owner, ids in zip(
                groups, owners, self._store.insert_coupons(groups), strict=True
            ):
                codes, inserted = _inserted(group.codes, ids)
                owner.coupons += _issued(group, codes, inserted)
                self._inserted[id(owner)] += inserted
            pending = [(call, draft) for call, draft in pending if len(draft.coupons) < draft.new]
            if not pending:
                return False
        for _, draft in pending:
            missing = draft.new - len(draft.coupons)
            draft.shortfalls += ((Shortfall.OTHER, missing),)
            draft.new = len(draft.coupons)
        return True

    @staticmethod
    def _codes(draft: SeriesDraft, count: int) -> list[str]:
        policy = draft.series.policy
        if policy.code_source is CodeSource.GENERIC:
            return [policy.generic_code] * count
        return generate_codes(
            count,
            length=policy.random_code_length,
            alpha_numeric=policy.alpha_numeric,
            prefix=policy.code_prefix,
            suffix=policy.code_suffix,
        )

    def finish(
        self, kept: Sequence[SeriesDraft], dropped: Sequence[SeriesDraft]
    ) -> dict[SeriesKey, int]:
        """Hands out the kept drafts' pool codes, removes what dropped drafts inserted, and
        adds the kept coupons to the series counters; returns what it added, by series."""
        pool_groups = [self._pool_groups[id(d)] for d in kept if id(d) in self._pool_groups]
        if pool_groups:
            self._store.assign_pool(pool_groups)
        undone = [coupon_id for draft in dropped for coupon_id in self._inserted.get(id(draft), ())]
        if undone:
            self._store.delete_coupons(undone)
        counts: dict[SeriesKey, int] = defaultdict(int)
        latest: dict[SeriesKey, IssuedCoupon] = {}
        for draft in kept:
            if draft.resend or not draft.coupons:
                continue
            key = draft.holding[:2]
            counts[key] += len(draft.coupons)
            if key not in latest or latest[key].issued_at < draft.coupons[0].issued_at:
                latest[key] = draft.coupons[0]
        if counts:
            self._store.add_issued(
                [
                    IssuedCount(org_id, series_id, count, latest[org_id, series_id].issued_at)
                    for (org_id, series_id), count in sorted(counts.items())
                ]
            )
        return counts
