"""A reference model of the issuing rules: one call after another, over plain dicts and lists.

Written from the documented API (the README's errors and limits, and the issue/multiple and
bulk/issue contracts it follows), sharing no code with the service: it knows nothing of
batches, stores, locks or views. Where the documents leave a choice
open, the model takes the service's documented one (noted where it applies):

- limits cut the count in turn: the per-customer rule, then `maxCreate`, then the pool;
  each shortfall names the limit that cut it, and a call that issued nothing fails with the
  6xx of the last cut (the limit that left nothing);
- IssueMultiple over several series fails with the first series' error, and when no series
  issued anything, with the first series' 6xx; one series erring fails the whole call;
- a request id is stored only with a call that succeeded; a refused call leaves it free;
  the same id with another request is 629 with FAILED_PRECONDITION (the documents only say
  "refused");
- the README's limits: at most 1,000 coupons per call, control characters in an identifier
  are 629.

The codes of GENERATED series are random: the model does not know them until the service
shows them, so a new coupon's `code` and `coupon_id` are filled in by the test from the first
answer that hands it out (`ModelCoupon.bind`), and checked against every answer after.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime, timedelta

from coupon_service.domain.model import CodeSource, CouponValidity

from .scenarios import HOPELESS_PREFIX, ORGS, Request, SeriesSpec, Step, World

# The documented pairs: partial-success code, none-issued code, gRPC status of the latter.
ONE_PER_CUSTOMER = (5004, 679, "FAILED_PRECONDITION")
SERIES_LIMIT = (5001, 626, "RESOURCE_EXHAUSTED")
PER_CUSTOMER_LIMIT = (5002, 621, "RESOURCE_EXHAUSTED")
POOL_EMPTY = (5005, 702, "RESOURCE_EXHAUSTED")
OTHER = (5006, 678, "ABORTED")

MAX_COUNT = 500
MAX_SERIES_PER_CALL = 100
MAX_COUPONS_PER_CALL = 1_000  # The README's stated maximum: series named times count.
MAX_REQUEST_ID_LENGTH = 128
MAX_SOURCE_TYPE_LENGTH = 50

CUSTOMER_NOT_FOUND = 701
SERIES_INVALID = 707
ALREADY_HAS_COUPON = 709
EXPIRED = 713
MANDATORY = 756
INVALID_COUNT = 677
INVALID_INPUT = 629


@dataclasses.dataclass(eq=False)
class ModelCoupon:
    """One coupon the model issued; compared by identity, so a resend is the same object."""

    series_id: int
    mobile: str
    issued_at: datetime
    valid_till: datetime | None
    request_id: str | None
    code: str | None  # None until the service shows it: a random GENERATED code.
    coupon_id: int | None = None

    def bind(self, coupon_id: int, code: str) -> None:
        """Learns the service's id and code on first sight; afterwards they must not change."""
        if self.coupon_id is None:
            self.coupon_id = coupon_id
        if self.code is None:
            self.code = code


@dataclasses.dataclass(frozen=True)
class Shortfall:
    """`count` requested coupons not issued, for the reason with this 5xxx code."""

    code: int
    count: int
    generic: bool = False  # 5004 for a GENERIC series: "Cannot issue more than one GENERIC …"


@dataclasses.dataclass(frozen=True)
class SeriesResult:
    series_id: int
    requested: int
    coupons: tuple[ModelCoupon, ...]
    shortfalls: tuple[Shortfall, ...]


@dataclasses.dataclass(frozen=True)
class Refused:
    """A call, or one series of a BulkIssue, that failed: its code and gRPC status."""

    code: int
    status: str


@dataclasses.dataclass(frozen=True)
class Issued:
    """IssueMultiple's answer: one result per series named, in order."""

    mobile: str
    results: tuple[SeriesResult, ...]

    @property
    def success_count(self) -> int:
        return sum(len(r.coupons) for r in self.results)

    @property
    def failure_count(self) -> int:
        return sum(s.count for r in self.results for s in r.shortfalls)

    @property
    def total_count(self) -> int:
        return sum(r.requested for r in self.results)


@dataclasses.dataclass(frozen=True)
class BulkIssued:
    """BulkIssue's answer: per series, its coupon or why it gave none."""

    mobile: str
    entries: tuple[tuple[int, SeriesResult | Refused], ...]

    @property
    def failure_count(self) -> int:
        return sum(1 for _, entry in self.entries if isinstance(entry, Refused))


Answer = Issued | BulkIssued | Refused


def _none_issued(result: SeriesResult) -> Refused:
    last = result.shortfalls[-1]
    reason = next(
        r
        for r in (ONE_PER_CUSTOMER, SERIES_LIMIT, PER_CUSTOMER_LIMIT, POOL_EMPTY, OTHER)
        if r[0] == last.code
    )
    return Refused(reason[1], reason[2])


def refused_before_issuing(request: Request) -> Refused | None:
    """The validation failures of the README's error table and its limits: nothing is read or
    written for them. (The scenarios spoil at most one field of a request, so the
    order of these checks is not a rule.)"""
    invalid = Refused(INVALID_INPUT, "INVALID_ARGUMENT")
    mandatory = Refused(MANDATORY, "INVALID_ARGUMENT")
    series_ids, count = request.series_ids, request.count
    if not series_ids or any(series_id <= 0 for series_id in series_ids):
        return mandatory
    if len(series_ids) > MAX_SERIES_PER_CALL:
        return invalid
    if count is not None and count <= 0:
        return mandatory
    if count is not None and count > MAX_COUNT:
        return Refused(INVALID_COUNT, "INVALID_ARGUMENT")
    if (count or 1) * len(series_ids) > MAX_COUPONS_PER_CALL:
        return invalid
    if any(unicodedata.category(character) == "Cc" for character in request.mobile):
        return invalid
    if not request.mobile.strip():
        return mandatory
    if len(request.source_type) > MAX_SOURCE_TYPE_LENGTH:
        return invalid
    if request.request_id is not None and len(request.request_id) > MAX_REQUEST_ID_LENGTH:
        return invalid
    return None


def _expired(spec: SeriesSpec, at: datetime) -> bool:
    if spec.valid_till is not None and spec.valid_till <= at:
        return True
    fixed = spec.coupon_validity is CouponValidity.FIXED_DATE
    return fixed and spec.fixed_expiry_date is not None and spec.fixed_expiry_date <= at


def _valid_till(spec: SeriesSpec, at: datetime) -> datetime | None:
    if spec.coupon_validity is CouponValidity.FIXED_DATE:
        return spec.fixed_expiry_date
    if spec.coupon_validity is CouponValidity.DAYS_AFTER_ISSUE:
        ends = at + timedelta(days=spec.valid_days_after_issue)
        return ends if spec.valid_till is None else min(ends, spec.valid_till)
    return spec.valid_till


@dataclasses.dataclass
class OrgState:
    """Everything one organisation has: what was issued, to whom, what the pools hold."""

    issued: dict[int, int]
    held: dict[tuple[str, int], list[ModelCoupon]]
    pools: dict[int, list[str]]
    requests: dict[str, tuple[Request, Answer]] = dataclasses.field(default_factory=dict)

    @classmethod
    def fresh(cls, world: World) -> OrgState:
        return cls(
            issued={s.series_id: 0 for s in world.series},
            held={},
            pools={s.series_id: list(s.pool) for s in world.series},
        )

    def copy(self) -> OrgState:
        return OrgState(
            dict(self.issued),
            {key: list(coupons) for key, coupons in self.held.items()},
            {key: list(pool) for key, pool in self.pools.items()},
            self.requests,
        )

    def coupons(self) -> list[ModelCoupon]:
        return [coupon for held in self.held.values() for coupon in held]


class Model:
    def __init__(self, world: World) -> None:
        self.world = world
        self.orgs = {org: OrgState.fresh(world) for org in ORGS}

    def call(self, step: Step) -> Answer:
        """The answer to one call, made after every call before it has been answered."""
        request = step.request
        org = self.orgs[request.org]
        refused = refused_before_issuing(request)
        if refused is not None:
            return refused
        if request.request_id is not None and request.request_id in org.requests:
            first, answer = org.requests[request.request_id]
            if first.asks_the_same_as(request):
                return answer  # The very answer of the first call: same coupons, same reasons.
            return Refused(INVALID_INPUT, "FAILED_PRECONDITION")
        if request.mobile not in self.world.mobiles:
            return Refused(CUSTOMER_NOT_FOUND, "NOT_FOUND")
        if request.bulk:
            answer = self._bulk(org, request, step.at)
        else:
            tentative = org.copy()
            answer = self._multiple(tentative, request, step.at)
            if not isinstance(answer, Refused):
                self.orgs[request.org] = org = tentative
        if request.request_id is not None and not isinstance(answer, Refused):
            org.requests[request.request_id] = (request, answer)
        return answer

    def _multiple(self, org: OrgState, request: Request, at: datetime) -> Answer:
        count = 1 if request.count is None else request.count
        results = []
        for series_id in request.series_ids:
            result = self._series(org, request, series_id, count, at)
            if isinstance(result, Refused):
                return result
            results.append(result)
        if not any(result.coupons for result in results):
            return _none_issued(results[0])
        return Issued(request.mobile, tuple(results))

    def _bulk(self, org: OrgState, request: Request, at: datetime) -> BulkIssued:
        entries: list[tuple[int, SeriesResult | Refused]] = []
        for series_id in request.series_ids:
            result = self._series(org, request, series_id, 1, at)
            if isinstance(result, SeriesResult) and not result.coupons:
                result = _none_issued(result)
            entries.append((series_id, result))
        return BulkIssued(request.mobile, tuple(entries))

    def _series(
        self, org: OrgState, request: Request, series_id: int, requested: int, at: datetime
    ) -> SeriesResult | Refused:
        """Issues up to `requested` coupons of one series, changing `org`; or refuses."""
        spec = self.world.spec(series_id)
        if spec is None or spec.externally_managed:
            return Refused(SERIES_INVALID, "NOT_FOUND")
        if _expired(spec, at):
            return Refused(EXPIRED, "FAILED_PRECONDITION")
        held = org.held.setdefault((request.mobile, series_id), [])
        generic = spec.code_source is CodeSource.GENERIC
        shortfalls: list[Shortfall] = []
        allowed = requested

        def limit(most: int, reason: tuple[int, int, str]) -> None:
            nonlocal allowed
            if allowed > most:
                one_generic_code = generic and reason is ONE_PER_CUSTOMER
                shortfalls.append(Shortfall(reason[0], allowed - most, one_generic_code))
                allowed = most

        if generic or not spec.multiple_per_user_allowed:
            if held and spec.do_not_resend_existing_voucher:
                return Refused(ALREADY_HAS_COUPON, "ALREADY_EXISTS")
            limit(1, ONE_PER_CUSTOMER)
            if held:  # Hands the coupon held back again; nothing new is issued.
                return SeriesResult(series_id, requested, (held[0],), tuple(shortfalls))
        elif spec.max_vouchers_per_user is not None:
            limit(spec.max_vouchers_per_user - len(held), PER_CUSTOMER_LIMIT)
        if spec.max_create is not None:
            limit(spec.max_create - org.issued[series_id], SERIES_LIMIT)
        if spec.code_source is CodeSource.UPLOADED:
            limit(len(org.pools[series_id]), POOL_EMPTY)
        if spec.code_prefix == HOPELESS_PREFIX:  # The fake store's collision hook.
            limit(0, OTHER)  # No code can be drawn: whatever the limits left fails, 5006.
        new = []
        for _ in range(allowed):
            if spec.code_source is CodeSource.UPLOADED:
                code: str | None = org.pools[series_id].pop(0)
            else:
                code = spec.generic_code or None
            coupon = ModelCoupon(
                series_id, request.mobile, at, _valid_till(spec, at), request.request_id, code
            )
            new.append(coupon)
        held.extend(new)
        org.issued[series_id] += len(new)
        return SeriesResult(series_id, requested, tuple(new), tuple(shortfalls))
