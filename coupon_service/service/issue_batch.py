"""One issuing batch, in one transaction: read for every call at once, plan call after call in
memory, then write for every call at once.

1. read: claim the calls' request ids (a key stored earlier replays its outcome), find the
   customers, load the series (locking those with a limit, in key order), count what each
   customer holds where a rule depends on it, and reserve pool codes for uploaded series.
2. plan: each call in turn, on a view of the batch that counts the calls before it (pure
   domain rules; a call that fails leaves nothing behind for the others).
3. write: insert the new coupons (drawing again for codes the org already has), hand out the
   reserved pool codes, add the counts to the series counters, store every outcome under its
   key, and record an ISSUED event per coupon. The store's transaction commits all of it, or
   none.

Planned coupons whose codes kept colliding through every draw are not written, but the calls
and series planned after them counted them. Rare as that is, the batch then gives up
(CodesRanShort, its transaction rolls back) and runs again `draft_by_draft`: each series'
coupons are written as soon as they are planned, and what could not be written is given back
to the view before the next series is planned.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta

from ..domain.batch_view import BatchView, CallView
from ..domain.errors import CouponServiceError, customer_not_found, series_not_found
from ..domain.events import EventType, NewEvent
from ..domain.issuing import (
    SeriesOutcome,
    Shortfall,
    check_still_valid,
    counts_holdings,
    needs_series_lock,
    plan_issue,
)
from ..domain.model import CodeSource, Customer, IssuedCoupon, Series
from .batch_store import BatchStore, Holding, HoldingKey, RequestKey, SeriesKey, StoredRequest
from .batching import DEFER, Defer
from .coupon_writer import CouponWriter, SeriesDraft
from .idempotency import (
    REQUEST_IDS_KEPT_FOR,
    decode_entries,
    decode_outcomes,
    encode_entries,
    encode_outcomes,
    request_id_reused,
    stored_references,
)
from .inputs import IssueCall
from .results import BulkEntry, BulkIssueResult, IssueMultipleResult

Answer = IssueMultipleResult | BulkIssueResult | CouponServiceError | Defer


@dataclasses.dataclass(frozen=True)
class BatchReport:
    """What a batch did, for telemetry, from what it read and wrote anyway (no query of its
    own): the coupons it added to each series' counters, the codes its uploaded series have
    left, the series it found, and the calls that only replayed a stored outcome."""

    issued: Mapping[SeriesKey, int]
    pools_left: Mapping[SeriesKey, int]
    series: Mapping[SeriesKey, Series]
    replayed: frozenset[int]  # Positions in the batch's calls.


class CodesRanShort(Exception):
    """Some planned coupons got no code, and later plans counted them: run again, draft by
    draft (nothing was written: raising rolls the batch's transaction back)."""


def issue_batch(
    store: BatchStore,
    calls: Sequence[IssueCall],
    *,
    request_ids_kept_for: timedelta = REQUEST_IDS_KEPT_FOR,
    draft_by_draft: bool = False,
) -> list[Answer]:
    """Runs one batch in the store's transaction; one answer per call, in order. A request id
    older than `request_ids_kept_for` is taken as new."""
    answers, _ = issue_batch_reported(
        store, calls, request_ids_kept_for=request_ids_kept_for, draft_by_draft=draft_by_draft
    )
    return answers


def issue_batch_reported(
    store: BatchStore,
    calls: Sequence[IssueCall],
    *,
    request_ids_kept_for: timedelta = REQUEST_IDS_KEPT_FOR,
    draft_by_draft: bool = False,
) -> tuple[list[Answer], BatchReport]:
    """`issue_batch`, with the report of what the batch did."""
    batch = _Batch(store, calls, request_ids_kept_for, draft_by_draft)
    batch.read()
    batch.plan()
    answers = batch.write()
    return answers, batch.report


@dataclasses.dataclass
class _CallDraft:
    call: IssueCall
    customer: Customer
    entries: list[SeriesDraft | CouponServiceError]


class _Batch:
    def __init__(
        self,
        store: BatchStore,
        calls: Sequence[IssueCall],
        request_ids_kept_for: timedelta,
        draft_by_draft: bool,
    ) -> None:
        self.store = store
        self.calls = calls
        self.request_ids_kept_for = request_ids_kept_for
        self.draft_by_draft = draft_by_draft
        self.writer = CouponWriter(store)
        self.abandoned: list[SeriesDraft] = []  # Written draft by draft, for a call that failed.
        self.answers: list[Answer | None] = [None] * len(calls)
        self.replays: dict[int, StoredRequest] = {}
        self.claimed: dict[int, RequestKey] = {}
        self.drafts: dict[int, _CallDraft] = {}

    # 1. read

    def read(self) -> None:
        self._claim_request_ids()
        live = self._live()
        self.customers = self.store.find_customers({(c.org_id, c.customer) for _, c in live})
        series_keys = {
            (c.org_id, s) for i, c in live if i not in self.replays for s in c.series_ids
        }
        replayed_coupons: dict[int, set[int]] = defaultdict(set)
        for index, stored in self.replays.items():
            org_id = self.calls[index].org_id
            series_ids, coupon_ids = stored_references(stored.outcome)
            series_keys.update((org_id, series_id) for series_id in series_ids)
            replayed_coupons[org_id].update(coupon_ids)
        self.series = self.store.load_series(series_keys, lock=False)
        limited = {key for key, series in self.series.items() if needs_series_lock(series)}
        if limited:
            self.series |= self.store.load_series(limited, lock=True)
        self.replayed = {
            org_id: self.store.coupons_by_ids(org_id, ids)
            for org_id, ids in replayed_coupons.items()
        }
        self.holdings = self.store.holdings(self._holding_keys(live))
        self.pools = {
            key: self.store.reserve_pool(key, want) for key, want in self._pool_demand(live)
        }

    def _claim_request_ids(self) -> None:
        wanted: dict[RequestKey, int] = {}
        for index, call in enumerate(self.calls):
            if call.request_id is None:
                continue
            key = (call.org_id, call.request_id)
            if key in wanted:  # It must see the first call's outcome, committed: next batch.
                self.answers[index] = DEFER
                continue
            wanted[key] = index
        keys = sorted((key, self.calls[index].fingerprint) for key, index in wanted.items())
        kept_for = self.request_ids_kept_for
        stored = self.store.claim_request_ids(keys, kept_for) if keys else {}
        for key, index in wanted.items():
            if key not in stored:
                self.claimed[index] = key
            elif stored[key].fingerprint != self.calls[index].fingerprint:
                self.answers[index] = request_id_reused()
            else:
                self.replays[index] = stored[key]

    def _live(self) -> list[tuple[int, IssueCall]]:
        return [(i, call) for i, call in enumerate(self.calls) if self.answers[i] is None]

    def _holding_keys(self, live: list[tuple[int, IssueCall]]) -> set[HoldingKey]:
        keys = set()
        for _, call in live:
            customer = self.customers.get((call.org_id, call.customer))
            for series_id in call.series_ids:
                series = self.series.get((call.org_id, series_id))
                if customer and series and counts_holdings(series):
                    keys.add((call.org_id, series_id, customer.id))
        return keys

    def _pool_demand(self, live: list[tuple[int, IssueCall]]) -> list[tuple[SeriesKey, int]]:
        demand: dict[SeriesKey, int] = defaultdict(int)
        for index, call in live:
            for series_id in call.series_ids:
                series = self.series.get((call.org_id, series_id))
                uploaded = series and series.policy.code_source is CodeSource.UPLOADED
                if uploaded and index not in self.replays:
                    demand[call.org_id, series_id] += call.count
        return sorted(demand.items())

    # 2. plan

    def plan(self) -> None:
        held = {key: holding.held for key, holding in self.holdings.items()}
        view = BatchView(self.series, held, {key: len(pool) for key, pool in self.pools.items()})
        for index, call in self._live():
            customer = self.customers.get((call.org_id, call.customer))
            if customer is None:
                self.answers[index] = customer_not_found()
            elif index in self.replays:
                self.answers[index] = self._replay(call, customer, self.replays[index])
            else:
                self._plan_call(index, call, customer, view.for_call())

    def _plan_call(self, index: int, call: IssueCall, customer: Customer, view: CallView) -> None:
        entries: list[SeriesDraft | CouponServiceError] = []
        for series_id in call.series_ids:
            try:
                draft = self._plan_series(call, customer, series_id, view)
            except CouponServiceError as error:
                if not call.bulk:
                    self.answers[index] = error
                    self.abandoned += [e for e in entries if isinstance(e, SeriesDraft)]
                    return
                entries.append(error)
                continue
            if self.draft_by_draft:
                self._write_now(call, draft, view)
            if call.bulk and not draft.gives_coupons:
                entries.append(draft.outcome().nothing_issued())
            else:
                entries.append(draft)
        drafts = [entry for entry in entries if isinstance(entry, SeriesDraft)]
        if not call.bulk and not any(draft.gives_coupons for draft in drafts):
            self.answers[index] = drafts[0].outcome().nothing_issued()
            return
        view.commit()
        self.drafts[index] = _CallDraft(call, customer, entries)

    def _write_now(self, call: IssueCall, draft: SeriesDraft, view: CallView) -> None:
        """Writes the draft's new coupons, and gives back to the view those that got no code."""
        planned = draft.new
        self.writer.add(call, draft)
        self.writer.insert_new()
        if draft.new < planned:
            view.give_back(draft.holding, planned - draft.new)

    def _plan_series(
        self, call: IssueCall, customer: Customer, series_id: int, view: CallView
    ) -> SeriesDraft:
        key = (call.org_id, series_id)
        series = view.series(key)
        if series is None or series.policy.externally_managed:
            raise series_not_found(series_id)
        check_still_valid(series, call.issued_at)
        holding_key = (call.org_id, series_id, customer.id)
        held = view.held(holding_key) if counts_holdings(series) else 0
        stored = self.holdings.get(holding_key)
        plan = plan_issue(
            series,
            requested=call.count,
            held_by_customer=held,
            pool_left=view.pool_left(key),
            held_all_revoked=stored is not None and stored.first_coupon_id is None,
        )
        draft = SeriesDraft(series, call.count, plan.shortfalls, holding_key)
        if plan.resend_held_coupon:
            draft.resend = True
            draft.resend_coupon_id = self.holdings.get(
                holding_key, Holding(0, None)
            ).first_coupon_id
        elif plan.new_coupons:
            uploaded = series.policy.code_source is CodeSource.UPLOADED
            if uploaded:
                taken = view.pool_taken(key)
                draft.pool = self.pools[key][taken : taken + plan.new_coupons]
            draft.new = plan.new_coupons
            view.take(holding_key, plan.new_coupons, from_pool=uploaded)
        return draft

    def _replay(
        self, call: IssueCall, customer: Customer, stored: StoredRequest
    ) -> IssueMultipleResult | BulkIssueResult | CouponServiceError:
        coupons = self.replayed.get(call.org_id, {})

        def series_of(series_id: int) -> Series | None:
            return self.series.get((call.org_id, series_id))

        try:
            if call.bulk:
                entries = decode_entries(stored.outcome, series_of, coupons)
                return BulkIssueResult(customer, tuple(entries))
            outcomes = decode_outcomes(stored.outcome, series_of, coupons)
            return IssueMultipleResult(customer, tuple(outcomes))
        except CouponServiceError as error:
            return error

    # 3. write

    def write(self) -> list[Answer]:
        if not self.draft_by_draft:
            for index in sorted(self.drafts):
                for entry in self._series_drafts(index):
                    self.writer.add(self.drafts[index].call, entry)
            if self.writer.insert_new() and self._planned_more_than_one_series():
                raise CodesRanShort()
        kept, dropped = self._settle()
        issued = self.writer.finish(kept, dropped + self.abandoned)
        fresh = self._fresh_series()
        self._answer(fresh)
        self._finish_requests()
        self.store.append_events(_issued_events(kept))  # Last: it locks the feeds till COMMIT.
        self.report = BatchReport(
            issued=issued,
            pools_left={
                key: series.num_uploaded_non_issued
                for key, series in fresh.items()
                if series.policy.code_source is CodeSource.UPLOADED
            },
            series=fresh,
            replayed=frozenset(self.replays),
        )
        return [answer if answer is not None else DEFER for answer in self.answers]

    def _planned_more_than_one_series(self) -> bool:
        """Whether anything was planned after a draft, counting on its coupons."""
        return sum(len(call.series_ids) for call in self.calls) > 1

    def _series_drafts(self, index: int) -> list[SeriesDraft]:
        return [e for e in self.drafts[index].entries if isinstance(e, SeriesDraft)]

    def _settle(self) -> tuple[list[SeriesDraft], list[SeriesDraft]]:
        """Hands out resent coupons, and fails what ended with no coupon after all: a call
        whose codes kept colliding, or that resends a coupon only such a call was to give."""
        resent = self._resent_coupons()
        first_given: dict[HoldingKey, IssuedCoupon] = {}
        kept: list[SeriesDraft] = []
        dropped: list[SeriesDraft] = []
        for index in sorted(self.drafts):
            draft = self.drafts[index]
            series_drafts = self._series_drafts(index)
            for given in series_drafts:  # In order: a call may name a series twice.
                if given.resend:
                    coupon = resent.get(given.resend_coupon_id or 0)
                    coupon = coupon or first_given.get(given.holding)
                    given.coupons = [coupon] if coupon else []
                elif given.coupons:  # Kept whatever follows: it gives its call a coupon.
                    first_given.setdefault(given.holding, given.coupons[0])
            if not draft.call.bulk and not any(entry.coupons for entry in series_drafts):
                self.answers[index] = series_drafts[0].outcome().nothing_issued()
                dropped += series_drafts
                del self.drafts[index]
                continue
            for position, entry in enumerate(draft.entries):
                if isinstance(entry, SeriesDraft) and draft.call.bulk and not entry.coupons:
                    draft.entries[position] = entry.outcome().nothing_issued()
                    dropped.append(entry)
                elif isinstance(entry, SeriesDraft):
                    kept.append(entry)  # In a call of several series, it may give nothing.
        return kept, dropped

    def _resent_coupons(self) -> dict[int, IssuedCoupon]:
        wanted: dict[int, set[int]] = defaultdict(set)
        for draft in self.drafts.values():
            for entry in draft.entries:
                if isinstance(entry, SeriesDraft) and entry.resend_coupon_id is not None:
                    wanted[draft.call.org_id].add(entry.resend_coupon_id)
        found: dict[int, IssuedCoupon] = {}
        for org_id, coupon_ids in wanted.items():
            found |= self.store.coupons_by_ids(org_id, coupon_ids)
        return found

    def _fresh_series(self) -> dict[SeriesKey, Series]:
        counts = self.store.issued_counts(set(self.series))
        return {
            key: dataclasses.replace(
                series, num_issued=counts[key][0], latest_issued_at=counts[key][1]
            )
            if key in counts
            else series
            for key, series in self.series.items()
        }

    def _answer(self, fresh: dict[SeriesKey, Series]) -> None:
        for index, draft in self.drafts.items():
            outcomes = [
                entry if isinstance(entry, CouponServiceError) else entry.outcome(fresh)
                for entry in draft.entries
            ]
            if draft.call.bulk:
                entries = tuple(
                    BulkEntry(series_id, None, outcome)
                    if isinstance(outcome, CouponServiceError)
                    else BulkEntry(series_id, outcome, None)
                    for series_id, outcome in zip(draft.call.series_ids, outcomes, strict=True)
                )
                self.answers[index] = BulkIssueResult(draft.customer, entries)
            else:
                series_outcomes = [o for o in outcomes if isinstance(o, SeriesOutcome)]
                self.answers[index] = IssueMultipleResult(draft.customer, tuple(series_outcomes))

    def _finish_requests(self) -> None:
        outcomes: list[tuple[RequestKey, str]] = []
        released: list[RequestKey] = []
        for index, key in sorted(self.claimed.items(), key=lambda item: item[1]):
            answer = self.answers[index]
            if isinstance(answer, BulkIssueResult):
                outcomes.append((key, encode_entries(answer.entries)))
            elif isinstance(answer, IssueMultipleResult):
                outcomes.append((key, encode_outcomes(answer.outcomes)))
            else:
                released.append(key)
        if outcomes or released:
            self.store.finish_requests(outcomes, released)


def _issued_events(kept: Sequence[SeriesDraft]) -> list[tuple[int, NewEvent]]:
    """An ISSUED event for each coupon the batch gave out, in call order (a resent one was
    issued before)."""
    return [
        (draft.holding[0], NewEvent(EventType.ISSUED, coupon.id, coupon.issued_at))
        for draft in kept
        if not draft.resend
        for coupon in draft.coupons
    ]


__all__ = ["Answer", "BatchReport", "IssueCall", "Shortfall", "issue_batch", "issue_batch_reported"]
