"""Issuing from series inside one transaction: the series read once, the limited ones locked,
and the counters written last, in id order."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from ..domain.codes import generate_codes
from ..domain.errors import series_not_found
from ..domain.issuing import (
    SeriesOutcome,
    Shortfall,
    check_still_valid,
    counts_holdings,
    needs_series_lock,
    plan_issue,
)
from ..domain.model import CodeSource, Customer, IssuanceMetadata, IssuedCoupon, Series
from .unit_of_work import NewCoupons, Transaction

# Random codes that collide with codes the org already has are drawn again, this many times.
_CODE_DRAWS = 8


class SeriesIssuer:
    """Issues coupons to one customer from the series of one call, in one transaction.

    Only a series with a limit is locked (`SELECT … FOR UPDATE`, ascending ids): its counts must
    not change until commit. Other series take their row lock only when `finish` bumps their
    counters, again in ascending ids, so two calls never wait on each other in a ring.
    """

    def __init__(
        self,
        tx: Transaction,
        org_id: int,
        customer: Customer,
        metadata: IssuanceMetadata,
        request_id: str | None,
        issued_at: datetime,
    ) -> None:
        self._tx = tx
        self._org_id = org_id
        self._customer = customer
        self._metadata = metadata
        self._request_id = request_id
        self._issued_at = issued_at
        self._series: dict[int, Series] = {}
        self._issued: Counter[int] = Counter()

    async def load(self, series_ids: Sequence[int]) -> None:
        ids = sorted(set(series_ids))
        self._series = await self._tx.series.get_many(self._org_id, ids)
        limited = [i for i in ids if i in self._series and needs_series_lock(self._series[i])]
        if limited:
            self._series |= await self._tx.series.lock(self._org_id, limited)

    async def issue(self, series_id: int, count: int) -> SeriesOutcome:
        """Issues up to `count` coupons; raises 707, 713 or 709 before writing anything."""
        series = self._series.get(series_id)
        if series is None or series.policy.externally_managed:
            raise series_not_found(series_id)
        check_still_valid(series, self._issued_at)
        tx, org_id, customer_id = self._tx, self._org_id, self._customer.id
        held = 0
        if counts_holdings(series):
            held = await tx.coupons.held_count(org_id, series_id, customer_id)
        plan = plan_issue(series, requested=count, held_by_customer=held)
        if plan.resend_held_coupon:
            first = await tx.coupons.first_held(org_id, series_id, customer_id)
            return SeriesOutcome(series, count, (first,) if first else (), plan.shortfalls)
        coupons = await self._write(series, plan.new_coupons) if plan.new_coupons else []
        shortfalls = plan.shortfalls
        if missing := plan.new_coupons - len(coupons):
            uploaded = series.policy.code_source is CodeSource.UPLOADED
            shortfalls += ((Shortfall.POOL_EMPTY if uploaded else Shortfall.OTHER, missing),)
        if coupons:
            self._issued[series_id] += len(coupons)
            # A later request for the same series in this call must see these coupons counted.
            self._series[series_id] = series = dataclasses.replace(
                series, num_issued=series.num_issued + len(coupons)
            )
        return SeriesOutcome(series, count, tuple(coupons), shortfalls)

    async def finish(self, outcomes: Sequence[SeriesOutcome]) -> list[SeriesOutcome]:
        """Writes the series counters and returns the outcomes with the series as now stored."""
        fresh = {
            series_id: await self._tx.series.record_issued(
                self._org_id, series_id, count, self._issued_at
            )
            for series_id, count in sorted(self._issued.items())
        }
        return [
            dataclasses.replace(outcome, series=fresh.get(outcome.series.id, outcome.series))
            for outcome in outcomes
        ]

    async def _write(self, series: Series, count: int) -> list[IssuedCoupon]:
        new = NewCoupons(
            series=series,
            customer_id=self._customer.id,
            issued_at=self._issued_at,
            valid_till=series.coupon_valid_till(self._issued_at),
            metadata=self._metadata,
            request_id=self._request_id,
        )
        coupons = self._tx.coupons
        policy = series.policy
        if policy.code_source is CodeSource.UPLOADED:
            return await coupons.claim_uploaded(self._org_id, new, count)
        if policy.code_source is CodeSource.GENERIC:
            return await coupons.insert_new(self._org_id, new, [policy.generic_code], shared=True)
        issued: list[IssuedCoupon] = []
        for _ in range(_CODE_DRAWS):
            codes = generate_codes(
                count - len(issued),
                length=policy.random_code_length,
                alpha_numeric=policy.alpha_numeric,
                prefix=policy.code_prefix,
                suffix=policy.code_suffix,
            )
            # Codes the org already has are skipped by the database, and drawn again here.
            issued += await coupons.insert_new(self._org_id, new, codes, shared=False)
            if len(issued) == count:
                break
        return issued
