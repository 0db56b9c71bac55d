"""Writing a batch's coupons: new codes in one insert per draw, pool codes handed out in one
update, and the series counters added to once per series."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..domain.codes import generate_codes
from ..domain.issuing import SeriesOutcome, Shortfall
from ..domain.model import CodeSource, IssuedCoupon, Series
from .batch_store import BatchStore, CouponRow, HoldingKey, IssuedCount, PoolCode, SeriesKey

if TYPE_CHECKING:
    from .issue_batch import IssueCall

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


def _no_pool(count: int) -> list[int | None]:
    return [None] * count


def _rows(
    call: IssueCall, draft: SeriesDraft, codes: list[str], pool_ids: list[int] | None = None
) -> list[CouponRow]:
    """The rows of one draft: everything but the code (and the pool row) is the same for all."""
    m = call.metadata
    org_id, series_id, customer_id = draft.holding
    generic = draft.series.policy.code_source is CodeSource.GENERIC
    issued_at, request_id = call.issued_at, call.request_id
    valid_till = draft.series.coupon_valid_till(issued_at)
    return [
        CouponRow(
            org_id,
            series_id,
            customer_id,
            code,
            generic,
            issued_at,
            valid_till,
            m.source_type,
            m.source_id,
            m.source_activity,
            m.notes,
            m.reason,
            request_id,
            pool_id,
        )
        for code, pool_id in zip(codes, pool_ids or _no_pool(len(codes)), strict=True)
    ]


def _issued(row: CouponRow, coupon_id: int) -> IssuedCoupon:
    return IssuedCoupon(coupon_id, row.code, row.series_id, row.issued_at, row.valid_till)


class CouponWriter:
    def __init__(self, store: BatchStore) -> None:
        self._store = store
        self._drawn: list[tuple[IssueCall, SeriesDraft]] = []
        self._pool_rows: dict[int, list[CouponRow]] = {}  # By id(draft).
        self._inserted: dict[int, list[int]] = defaultdict(list)  # Coupon ids, by id(draft).

    def add(self, call: IssueCall, draft: SeriesDraft) -> None:
        if draft.resend or not draft.new:
            return
        if draft.series.policy.code_source is CodeSource.UPLOADED:
            rows = _rows(
                call, draft, [p.code for p in draft.pool], [p.coupon_id for p in draft.pool]
            )
            draft.coupons = [
                _issued(row, pooled.coupon_id) for row, pooled in zip(rows, draft.pool, strict=True)
            ]
            self._pool_rows[id(draft)] = rows
        else:
            self._drawn.append((call, draft))

    def insert_new(self) -> None:
        """Inserts every drawn or generic coupon; codes the org already has are drawn again."""
        pending = self._drawn
        for _ in range(CODE_DRAWS):
            rows: list[CouponRow] = []
            owners: list[SeriesDraft] = []
            drawn: set[tuple[int, str]] = set()
            for call, draft in pending:
                codes = self._codes(draft, draft.new - len(draft.coupons))
                if draft.series.policy.code_source is not CodeSource.GENERIC:
                    # A code drawn twice in this batch is drawn again next round.
                    fresh = [code for code in codes if (call.org_id, code) not in drawn]
                    drawn.update((call.org_id, code) for code in fresh)
                    codes = fresh
                rows += _rows(call, draft, codes)
                owners += [draft] * len(codes)
            for row, owner, coupon_id in zip(
                rows, owners, self._store.insert_coupons(rows), strict=True
            ):
                if coupon_id is not None:
                    owner.coupons.append(_issued(row, coupon_id))
                    self._inserted[id(owner)].append(coupon_id)
            pending = [(call, draft) for call, draft in pending if len(draft.coupons) < draft.new]
            if not pending:
                return
        for _, draft in pending:
            missing = draft.new - len(draft.coupons)
            draft.shortfalls += ((Shortfall.OTHER, missing),)
            draft.new = len(draft.coupons)

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

    def finish(self, kept: Sequence[SeriesDraft], dropped: Sequence[SeriesDraft]) -> None:
        """Hands out the kept drafts' pool codes, removes what dropped drafts inserted, and
        adds the kept coupons to the series counters."""
        pool_rows = [row for draft in kept for row in self._pool_rows.get(id(draft), ())]
        if pool_rows:
            self._store.assign_pool(pool_rows)
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
