"""Answers and stored state in plain, comparable form, and the checks on them: against the
model, and the guarantees that hold whatever the model says."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from coupon_service.domain.codes import DIGITS, UNAMBIGUOUS_ALPHANUMERIC
from coupon_service.domain.errors import CouponServiceError, InvalidRequest
from coupon_service.domain.issuing import SeriesOutcome
from coupon_service.domain.model import CodeSource, IssuedCoupon
from coupon_service.service.issue_batch import Answer
from coupon_service.service.results import BulkIssueResult, IssueMultipleResult

from . import model as m
from .backends import Stored, StoredCoupon
from .runs import Answered
from .scenarios import ORGS, SeriesSpec, World

Described = tuple[Any, ...]


class Canon:
    """Names coupons by the order they first appear in a run, and GENERATED codes likewise,
    so that two runs of the same calls compare equal though their ids and random codes differ."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._ids: dict[Hashable, int] = {}
        self._codes: dict[Hashable, str] = {}

    def coupon_id(self, org: int, coupon_id: int) -> int:
        return self._ids.setdefault((org, coupon_id), len(self._ids))

    def code(self, org: int, series_id: int, code: str) -> str:
        spec = self._world.spec(series_id)
        if spec is None or spec.code_source is not CodeSource.GENERATED:
            return code
        return self._codes.setdefault((org, code), f"generated-{len(self._codes)}")


def _coupon(org: int, coupon: IssuedCoupon, canon: Canon | None) -> Described:
    coupon_id, code = coupon.id, coupon.code
    if canon is not None:
        coupon_id = canon.coupon_id(org, coupon_id)
        code = canon.code(org, coupon.series_id, code)
    return (coupon_id, code, coupon.series_id, coupon.issued_at, coupon.valid_till)


def _outcome(org: int, outcome: SeriesOutcome, canon: Canon | None) -> Described:
    shortfalls = tuple(
        (int(reason.partial_code), count, "GENERIC" in reason.message)
        for reason, count in outcome.shortfalls
    )
    coupons = tuple(_coupon(org, coupon, canon) for coupon in outcome.coupons)
    return (outcome.series.id, outcome.requested, coupons, shortfalls)


def describe(org: int, answer: Answer, canon: Canon | None = None) -> Described:
    """The service's answer as plain tuples: everything a caller sees of the rules (the
    series' live counters in the answer are left out: they show the moment of answering)."""
    if isinstance(answer, CouponServiceError):
        return ("refused", int(answer.code), answer.kind.name)
    if isinstance(answer, IssueMultipleResult):
        outcomes = tuple(_outcome(org, outcome, canon) for outcome in answer.outcomes)
        counts = (answer.success_count, answer.failure_count, answer.total_count)
        return ("issued", answer.customer.mobile, *counts, outcomes)
    assert isinstance(answer, BulkIssueResult), answer
    entries = []
    for entry in answer.entries:
        if entry.outcome is not None:
            entries.append((entry.series_id, _outcome(org, entry.outcome, canon)))
        else:
            assert entry.error is not None, "a bulk entry with neither result nor error"
            entries.append((entry.series_id, describe(org, entry.error)))
    return ("bulk", answer.customer.mobile, answer.failure_count, tuple(entries))


def _model_result(result: m.SeriesResult) -> Described:
    coupons = tuple(
        (c.coupon_id, c.code, c.series_id, c.issued_at, c.valid_till) for c in result.coupons
    )
    shortfalls = tuple((s.code, s.count, s.generic) for s in result.shortfalls)
    return (result.series_id, result.requested, coupons, shortfalls)


def describe_model(answer: m.Answer) -> Described:
    if isinstance(answer, m.Refused):
        return ("refused", answer.code, answer.status)
    if isinstance(answer, m.Issued):
        results = tuple(_model_result(result) for result in answer.results)
        counts = (answer.success_count, answer.failure_count, answer.total_count)
        return ("issued", answer.mobile, *counts, results)
    entries = tuple(
        (series_id, describe_model(e) if isinstance(e, m.Refused) else _model_result(e))
        for series_id, e in answer.entries
    )
    return ("bulk", answer.mobile, answer.failure_count, entries)


def _real_coupons(answer: Answer) -> list[list[IssuedCoupon]]:
    if isinstance(answer, IssueMultipleResult):
        return [list(outcome.coupons) for outcome in answer.outcomes]
    if isinstance(answer, BulkIssueResult):
        return [list(e.outcome.coupons) if e.outcome else [] for e in answer.entries]
    return []


def _model_coupons(answer: m.Answer) -> list[list[m.ModelCoupon]]:
    if isinstance(answer, m.Issued):
        return [list(result.coupons) for result in answer.results]
    if isinstance(answer, m.BulkIssued):
        return [[] if isinstance(e, m.Refused) else list(e.coupons) for _, e in answer.entries]
    return []


class Binder:
    """Teaches the model the ids and random codes the service chose, one answer at a time,
    and fails when one coupon of the service would stand for two of the model's."""

    def __init__(self) -> None:
        self._bound: dict[tuple[int, int], m.ModelCoupon] = {}

    def bind(self, org: int, expected: m.Answer, answer: Answer) -> None:
        wanted, got = _model_coupons(expected), _real_coupons(answer)
        if [len(c) for c in wanted] != [len(c) for c in got]:
            return  # Shapes differ: the comparison that follows reports it.
        for mine, theirs in zip(wanted, got, strict=True):
            for model_coupon, coupon in zip(mine, theirs, strict=True):
                earlier = self._bound.setdefault((org, coupon.id), model_coupon)
                assert earlier is model_coupon, (
                    f"coupon {coupon.id} ({coupon.code}) given as two different coupons"
                )
                model_coupon.bind(coupon.id, coupon.code)


def check_against_model(world: World, answered: Sequence[Answered]) -> m.Model:
    """Replays the calls on the model, in the order the service decided them, and compares
    every answer; returns the model for a look at the final state."""
    model, binder = m.Model(world), Binder()
    for number, done in enumerate(answered):
        expected = model.call(done.step)
        org = done.step.request.org
        binder.bind(org, expected, done.answer)
        got, wanted = describe(org, done.answer), describe_model(expected)
        assert got == wanted, f"call {number}: {done.step.request}\n got: {got}\nwant: {wanted}"
    return model


def check_stored_against_model(model: m.Model, stored: Stored) -> None:
    for org in ORGS:
        state = model.orgs[org]
        customers = {model.world.customer_id(mobile): mobile for mobile in model.world.mobiles}
        held = sorted(
            (c.coupon_id, c.series_id, customers[c.customer_id], c.code, c.request_id)
            for c in stored.coupons[org]
            if c.customer_id is not None
        )
        expected = sorted(
            (c.coupon_id, c.series_id, c.mobile, c.code, c.request_id) for c in state.coupons()
        )
        assert held == expected, f"org {org}: coupons held"
        for spec in model.world.series:
            pool = [
                c.code
                for c in stored.coupons[org]
                if c.customer_id is None and c.series_id == spec.series_id
            ]
            assert pool == state.pools[spec.series_id], f"org {org}: pool of {spec.series_id}"
            issued = stored.issued.get((org, spec.series_id), 0)
            assert issued == state.issued[spec.series_id], f"org {org}: {spec.series_id} issued"
        assert set(stored.requests[org]) == set(state.requests), f"org {org}: request ids"


def check_guarantees(world: World, answered: Sequence[Answered], stored: Stored) -> None:
    """What holds whatever the rules: never more than was asked, no code twice, no limit
    exceeded, a replay is the first answer exactly, and the store holds what the answers gave."""
    for done in answered:
        _check_no_more_than_asked(world, done)
    first_answers = _check_replays(answered)
    for org in ORGS:
        rows = stored.coupons[org]
        _check_no_code_twice(world, rows)
        _check_limits(world, rows, {s: n for (o, s), n in stored.issued.items() if o == org})
        _check_store_holds_the_answers(world, org, answered, rows)
        _check_request_ids(org, first_answers, rows, stored.requests[org])


def _check_no_more_than_asked(world: World, done: Answered) -> None:
    request, answer = done.step.request, done.answer
    if isinstance(answer, IssueMultipleResult):
        count = 1 if request.count is None else request.count
        assert answer.total_count == count * len(request.series_ids)
        assert 0 < answer.success_count <= answer.total_count
        for asked, outcome in zip(request.series_ids, answer.outcomes, strict=True):
            assert outcome.series.id == asked
            # Every coupon asked for is issued or has a reason: the counts add up.
            assert len(outcome.coupons) + outcome.failure_count == outcome.requested == count
            assert all(c.series_id == asked for c in outcome.coupons)
    elif isinstance(answer, BulkIssueResult):
        assert [e.series_id for e in answer.entries] == list(request.series_ids)
        for entry in answer.entries:
            assert (entry.outcome is None) != (entry.error is None)
            if entry.outcome is not None:
                assert [c.series_id for c in entry.outcome.coupons] == [entry.series_id]
    for coupons in _real_coupons(answer):
        for coupon in coupons:
            _check_code_shape(world, coupon)


def _spec(world: World, series_id: int) -> SeriesSpec:
    spec = world.spec(series_id)
    assert spec is not None, f"a coupon of series {series_id}, which the world does not have"
    return spec


def _check_code_shape(world: World, coupon: IssuedCoupon) -> None:
    spec = _spec(world, coupon.series_id)
    if spec.code_source is CodeSource.GENERIC:
        assert coupon.code == spec.generic_code
    elif spec.code_source is CodeSource.UPLOADED:
        assert coupon.code in spec.pool
    else:  # No ambiguous characters where letters are allowed.
        alphabet = UNAMBIGUOUS_ALPHANUMERIC if spec.alpha_numeric else DIGITS
        pattern = f"{re.escape(spec.code_prefix)}[{alphabet}]{{10}}"
        assert re.fullmatch(pattern, coupon.code), coupon.code


def _check_replays(answered: Sequence[Answered]) -> dict[tuple[int, str], Answered]:
    """Once a call with a request id succeeded, the same id with the same request answers
    exactly as it did, and with another request is refused. Returns each key's first
    success."""
    first: dict[tuple[int, str], Answered] = {}
    for done in answered:
        request = done.step.request
        if request.request_id is None or isinstance(done.answer, InvalidRequest):
            continue  # Refused before the request id was looked at.
        key = (request.org, request.request_id)
        if key not in first:
            if not isinstance(done.answer, CouponServiceError):
                first[key] = done
            continue
        original = first[key]
        if original.step.request.asks_the_same_as(request):
            assert describe(request.org, done.answer) == describe(request.org, original.answer)
        else:
            assert isinstance(done.answer, CouponServiceError), done.answer
            assert (int(done.answer.code), done.answer.field) == (629, "requestId")
    return first


def _check_no_code_twice(world: World, rows: Sequence[StoredCoupon]) -> None:
    unshared = [c.code for c in rows if _spec(world, c.series_id).generic_code == ""]
    assert len(unshared) == len(set(unshared)), "a code stored twice"


def _check_limits(world: World, rows: Sequence[StoredCoupon], issued: dict[int, int]) -> None:
    handed = [c for c in rows if c.customer_id is not None]
    per_series = Counter(c.series_id for c in handed)
    held = Counter((c.series_id, c.customer_id) for c in handed)
    for spec in world.series:
        count = issued.get(spec.series_id, 0)
        assert count == per_series[spec.series_id], "the counter disagrees with the coupons"
        if spec.max_create is not None:
            assert count <= spec.max_create, f"maxCreate of {spec.series_id} exceeded"
        if spec.code_source is CodeSource.UPLOADED:
            pool = [c.code for c in rows if c.series_id == spec.series_id]
            assert pool == list(spec.pool), "a pool gained or lost codes"
        if spec.externally_managed:
            assert count == 0, "an externally managed series issued"
        one_each = spec.code_source is CodeSource.GENERIC or not spec.multiple_per_user_allowed
        most = 1 if one_each else spec.max_vouchers_per_user
        for (series_id, _), holding in held.items():
            if series_id == spec.series_id and most is not None:
                assert holding <= most, f"a customer holds {holding} of {series_id}"


def _check_store_holds_the_answers(
    world: World, org: int, answered: Sequence[Answered], rows: Sequence[StoredCoupon]
) -> None:
    """Every coupon an answer gave is stored, held by that customer, and every coupon held
    was given in an answer: one coupon is never given to two customers."""
    given: dict[int, tuple[str, int]] = {}
    for done in answered:
        if done.step.request.org != org:
            continue
        for coupons in _real_coupons(done.answer):
            for coupon in coupons:
                holder = (done.step.request.mobile, coupon.series_id)
                assert given.setdefault(coupon.id, holder) == holder, "a coupon given to two"
    mobiles = {world.customer_id(mobile): mobile for mobile in world.mobiles}
    held = {
        c.coupon_id: (mobiles[c.customer_id], c.series_id)
        for c in rows
        if c.customer_id is not None
    }
    assert held == given, "the stored coupons are not the ones the answers gave"


def _check_request_ids(
    org: int,
    first_answers: dict[tuple[int, str], Answered],
    rows: Sequence[StoredCoupon],
    requests: dict[str, str],
) -> None:
    """The coupons stored under a request id are the first answer's with it: a replay
    issued nothing; and every key kept has its outcome stored."""
    for request_id, outcome in requests.items():
        assert outcome, f"request id {request_id} claimed but never finished"
    for coupon in rows:
        if coupon.request_id is None:
            continue
        first = first_answers.get((org, coupon.request_id))
        assert first is not None, f"coupon {coupon.coupon_id} of a key no call succeeded with"
        first_ids = {c.id for coupons in _real_coupons(first.answer) for c in coupons}
        assert coupon.coupon_id in first_ids, f"coupon {coupon.coupon_id} issued by a replay"
