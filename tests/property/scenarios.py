"""What the property tests draw: a world (series policies, customers) and a run of issuing calls
cut into batches.

The same world is set up in two organisations, with the same series ids, customer ids, mobiles
and request ids, so that any leak between them shows. Call times move forward a minute per
call and series may expire in the middle of a run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hypothesis import settings
from hypothesis import strategies as st

from coupon_service.domain.model import CodeSource, CouponValidity, SeriesPolicy

_T = TypeVar("_T")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORGS = (1, 2)
SERIES_IDS = (101, 102, 103, 104)
UNKNOWN_SERIES = 999
MOBILES = ("919800000001", "919800000002", "919800000003")
UNKNOWN_MOBILE = "919899999999"
REQUEST_IDS = ("key-a", "key-b", "key-c")
SOURCE_TYPES = ("", "Journeys")
# A GENERATED series with this prefix draws only codes the org "already has" (the fake store's
# collision hook): every new coupon of it fails for another reason (5006 / 678).
HOPELESS_PREFIX = "NO"


def examples(share: float) -> settings:
    """Settings giving a test `share` of the loaded profile's example budget (at least 5)."""
    return settings(max_examples=max(5, int(settings().max_examples * share)))


def minutes(count: int) -> datetime:
    return NOW + timedelta(minutes=count)


@dataclasses.dataclass(frozen=True)
class SeriesSpec:
    """One series' policy, as the scenario chose it; `policy()` is the service's view of it."""

    series_id: int
    code_source: CodeSource
    multiple_per_user_allowed: bool = True
    max_vouchers_per_user: int | None = None
    do_not_resend_existing_voucher: bool = False
    max_create: int | None = None
    pool: tuple[str, ...] = ()
    externally_managed: bool = False
    valid_till: datetime | None = None
    coupon_validity: CouponValidity = CouponValidity.SERIES_EXPIRY
    fixed_expiry_date: datetime | None = None
    valid_days_after_issue: int = 0
    code_prefix: str = ""
    alpha_numeric: bool = False

    @property
    def generic_code(self) -> str:
        return f"GEN{self.series_id}" if self.code_source is CodeSource.GENERIC else ""

    @property
    def hopeless(self) -> bool:
        return self.code_prefix == HOPELESS_PREFIX

    def policy(self) -> SeriesPolicy:
        return SeriesPolicy(
            description=f"property series {self.series_id}",
            code_source=self.code_source,
            code_prefix=self.code_prefix,
            alpha_numeric=self.alpha_numeric,
            generic_code=self.generic_code,
            valid_till=self.valid_till,
            coupon_validity=self.coupon_validity,
            fixed_expiry_date=self.fixed_expiry_date,
            valid_days_after_issue=self.valid_days_after_issue,
            max_create=self.max_create,
            multiple_per_user_allowed=self.multiple_per_user_allowed,
            max_vouchers_per_user=self.max_vouchers_per_user,
            do_not_resend_existing=self.do_not_resend_existing_voucher,
            externally_managed=self.externally_managed,
        )


@dataclasses.dataclass(frozen=True)
class World:
    series: tuple[SeriesSpec, ...]
    mobiles: tuple[str, ...]

    def spec(self, series_id: int) -> SeriesSpec | None:
        return next((s for s in self.series if s.series_id == series_id), None)

    def customer_id(self, mobile: str) -> int:
        return self.mobiles.index(mobile) + 1


@dataclasses.dataclass(frozen=True)
class Request:
    """One IssueMultiple (bulk=False) or BulkIssue call as its caller wrote it.

    Two requests are the same request (a retry) when they are equal but for the request id
    and the organisation (which together are the key); `count` None is "omitted", which is
    not the same request as an explicit 1.
    """

    org: int
    bulk: bool
    mobile: str
    series_ids: tuple[int, ...]
    count: int | None
    source_type: str = ""
    request_id: str | None = None

    def asks_the_same_as(self, other: Request) -> bool:
        mine = dataclasses.replace(self, org=0, request_id=None)
        return mine == dataclasses.replace(other, org=0, request_id=None)


@dataclasses.dataclass(frozen=True)
class Step:
    """A request made at a moment."""

    request: Request
    at: datetime


@dataclasses.dataclass(frozen=True)
class Scenario:
    world: World
    steps: tuple[Step, ...]
    batch_sizes: tuple[int, ...]  # How the steps are cut into batches, in order.

    def explain(self) -> str:
        """One line per series and per call, batches apart: for `hypothesis.note`."""
        lines = ["Scenario(", "  series:"]
        lines += [f"    {spec!r}," for spec in self.world.series]
        lines.append(f"  mobiles: {self.world.mobiles!r},")
        for number, batch in enumerate(self.batches()):
            lines.append(f"  batch {number}:")
            lines += [f"    {step.at:%H:%M} {step.request!r}," for step in batch]
        return "\n".join([*lines, ")"])

    def batches(self) -> list[list[Step]]:
        cut, start = [], 0
        for size in self.batch_sizes:
            cut.append(list(self.steps[start : start + size]))
            start += size
        return cut


# Series end: never (most often), a day before the run, or in the middle of it.
_SERIES_END = st.sampled_from([None, None, None, None, NOW - timedelta(days=1), minutes(6)])
# A fixed coupon expiry: mostly after the run, sometimes before or in the middle of it.
_FIXED_EXPIRY = st.sampled_from([NOW + timedelta(days=30), NOW - timedelta(days=1), minutes(5)])


@st.composite
def series_specs(draw: st.DrawFn, series_id: int, *, collisions: bool) -> SeriesSpec:
    """A policy; each limit is off about half the time, so calls get to meet several."""
    source = draw(st.sampled_from(CodeSource))
    validity = draw(st.sampled_from(CouponValidity))
    pool: tuple[str, ...] = ()
    if source is CodeSource.UPLOADED:
        size = draw(st.sampled_from([8, 3, 5, 1, 0]))
        pool = tuple(f"P{series_id}-{i}" for i in range(size))
    prefix = ""
    if source is CodeSource.GENERATED:
        choices = ["", "X"] + ([HOPELESS_PREFIX] if collisions else [])
        prefix = draw(st.sampled_from(choices))
    return SeriesSpec(
        series_id=series_id,
        code_source=source,
        multiple_per_user_allowed=draw(st.sampled_from([True, True, False])),
        max_vouchers_per_user=draw(st.sampled_from([None, None, 3, 1, 2, 4])),
        do_not_resend_existing_voucher=draw(st.booleans()),
        max_create=draw(st.sampled_from([None, None, 8, 3, 1, 5, 0])),
        pool=pool,
        externally_managed=draw(st.sampled_from([False] * 15 + [True])),
        valid_till=draw(_SERIES_END),
        coupon_validity=validity,
        fixed_expiry_date=draw(_FIXED_EXPIRY) if validity is CouponValidity.FIXED_DATE else None,
        valid_days_after_issue=(
            draw(st.integers(1, 30)) if validity is CouponValidity.DAYS_AFTER_ISSUE else 0
        ),
        code_prefix=prefix,
        alpha_numeric=draw(st.booleans()) if source is CodeSource.GENERATED else False,
    )


@st.composite
def worlds(draw: st.DrawFn, *, collisions: bool = False) -> World:
    count = draw(st.integers(1, len(SERIES_IDS)))
    series = tuple(
        draw(series_specs(series_id, collisions=collisions)) for series_id in SERIES_IDS[:count]
    )
    return World(series, MOBILES[: draw(st.integers(1, len(MOBILES)))])


def _rarely(one_in: int = 8) -> st.SearchStrategy[bool]:
    """True once in `one_in` (sampled_from leans to its first element; integers would lean to
    their lower bound, and make the rare case common)."""
    return st.sampled_from([False] * (one_in - 1) + [True])


def _mostly(usual: st.SearchStrategy[_T], rare: _T) -> st.SearchStrategy[_T]:
    """`usual` seven times in eight: calls that meet in a batch are what the tests are about."""
    return _rarely().flatmap(lambda rare_one: st.just(rare) if rare_one else usual)


def _counts(most: int) -> st.SearchStrategy[int]:
    """Counts up to `most`, leaning to a few (integers alone lean to 1)."""
    return st.sampled_from([3, 2, most]) | st.integers(1, most)


@st.composite
def requests(draw: st.DrawFn, world: World, *, max_count: int = 5) -> Request:
    known = [s.series_id for s in world.series]
    series_id = _mostly(st.sampled_from(known), UNKNOWN_SERIES)
    bulk = draw(st.booleans())
    return Request(
        org=draw(_mostly(st.just(ORGS[0]), ORGS[1])),
        bulk=bulk,
        mobile=draw(_mostly(st.sampled_from(world.mobiles), UNKNOWN_MOBILE)),
        series_ids=tuple(draw(series_id) for _ in range(draw(st.sampled_from([1, 1, 2, 3])))),
        count=None if bulk or draw(_rarely()) else draw(_counts(max_count)),
        source_type=draw(st.sampled_from(SOURCE_TYPES)),
        request_id=draw(st.none() | st.sampled_from(REQUEST_IDS)),
    )


def _replace(**changes: object) -> Callable[[Request], Request]:
    return lambda request: dataclasses.replace(request, **changes)  # type: ignore[arg-type]


# Each makes one field of a request one the use cases refuse before issuing anything.
_SPOILERS: dict[str, Callable[[Request], Request]] = {
    "no series": _replace(series_ids=()),
    "series id 0": lambda r: dataclasses.replace(r, series_ids=(*r.series_ids, 0)),
    "101 series": lambda r: dataclasses.replace(r, series_ids=r.series_ids[:1] * 101),
    "blank customer": _replace(mobile="  "),
    "control character": lambda r: dataclasses.replace(r, mobile=r.mobile + "\x07"),
    "long sourceType": _replace(source_type="s" * 51),
    "long requestId": _replace(request_id="r" * 129),
}
_COUNT_SPOILERS: dict[str, Callable[[Request], Request]] = {
    "count 0": _replace(count=0),
    "negative count": _replace(count=-3),
    "count 501": _replace(count=501),
    "1,500 coupons": lambda r: dataclasses.replace(r, count=500, series_ids=r.series_ids[:1] * 3),
}


@st.composite
def _spoiled(draw: st.DrawFn, request: Request) -> Request:
    spoilers = _SPOILERS if request.bulk else _SPOILERS | _COUNT_SPOILERS
    return spoilers[draw(st.sampled_from(sorted(spoilers)))](request)


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    max_calls: int = 10,
    max_count: int = 5,
    collisions: bool = False,
    invalid: bool = False,
) -> Scenario:
    """A world and up to `max_calls` calls: new requests, or an earlier one made again (a
    retry with its request id, or a plain repeat without one), cut into random batches.
    With `invalid`, one new request in five has a field the use cases refuse."""
    world = draw(worlds(collisions=collisions))
    made: list[Request] = []
    for _ in range(draw(st.integers(1, max_calls))):
        keyed = [request for request in made if request.request_id is not None]
        again = draw(st.sampled_from(["new", "new", "retry", "repeat"]))
        if again == "retry" and keyed:
            made.append(draw(st.sampled_from(keyed[::-1])))  # The latest first.
        elif again == "repeat" and made:
            made.append(draw(st.sampled_from(made[::-1])))
        else:
            request = draw(requests(world, max_count=max_count))
            if invalid and draw(_rarely(5)):
                request = draw(_spoiled(request))
            made.append(request)
    steps = tuple(Step(request, minutes(number)) for number, request in enumerate(made))
    sizes: list[int] = []
    left = len(steps)
    while left:  # Mostly batches of several calls: those are where calls meet.
        sizes.append(min(left, draw(st.sampled_from([left, 3, 2, 5, 1]))))
        left -= sizes[-1]
    return Scenario(world, steps, tuple(sizes))
