"""In-memory fakes of the issuing path's storage: a BatchStore over plain dicts, and a unit of
work whose run_batch commits a copy of them, or discards it when the work raises.

The store keeps what the real ones keep: a unique (org, code) for every unshared code, pool
codes as coupon rows without a customer, series counters, request ids. A test can make codes
collide (`FakeDatabase.collides`), make a step fail (`FakeDatabase.fail`), and hold a batch
before it starts (`FakeUnitOfWork.gate`) to queue calls behind it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from coupon_service.domain.events import NewEvent
from coupon_service.domain.model import (
    Customer,
    CustomerRef,
    IdentifierType,
    IssuedCoupon,
    Series,
    SeriesPolicy,
)
from coupon_service.service.batch_store import (
    BatchStore,
    CustomerKey,
    Holding,
    HoldingKey,
    IssuedCount,
    NewCoupons,
    PoolCode,
    RequestKey,
    SeriesKey,
    StoredRequest,
)
from coupon_service.service.idempotency import REQUEST_IDS_KEPT_FOR
from coupon_service.service.unit_of_work import StoreUnavailable, Transaction

_Result = TypeVar("_Result")
EPOCH = datetime.fromtimestamp(0, UTC)


class FakeDiskError(OSError):
    """What an injected failure raises by default: the fake's run_batch turns it into
    StoreUnavailable, as the real stores turn driver errors into it."""


@dataclasses.dataclass(frozen=True)
class FakeCoupon:
    """One row of the coupons table; a pool code has no customer and no issue time yet."""

    id: int
    org_id: int
    series_id: int
    customer_id: int | None
    code: str
    shared_code: bool
    issued_at: datetime | None = None
    valid_till: datetime | None = None
    request_id: str | None = None
    redemption_count: int = 0


@dataclasses.dataclass
class Tables:
    """Everything stored. Values are immutable, so a transaction's copy copies the dicts only."""

    series: dict[SeriesKey, Series] = dataclasses.field(default_factory=dict)
    customers: dict[tuple[int, int], Customer] = dataclasses.field(default_factory=dict)
    coupons: dict[int, FakeCoupon] = dataclasses.field(default_factory=dict)
    unshared_codes: dict[tuple[int, str], int] = dataclasses.field(default_factory=dict)
    counters: dict[SeriesKey, tuple[int, datetime | None]] = dataclasses.field(default_factory=dict)
    requests: dict[RequestKey, StoredRequest] = dataclasses.field(default_factory=dict)
    next_coupon_id: int = 1
    request_times: dict[RequestKey, datetime] = dataclasses.field(default_factory=dict)
    events: list[tuple[int, NewEvent]] = dataclasses.field(default_factory=list)

    def copy(self) -> Tables:
        return Tables(
            dict(self.series),
            dict(self.customers),
            dict(self.coupons),
            dict(self.unshared_codes),
            dict(self.counters),
            dict(self.requests),
            self.next_coupon_id,
            dict(self.request_times),
            list(self.events),
        )


@dataclasses.dataclass
class _Failure:
    step: str
    error: BaseException
    times: int


class FakeDatabase:
    """The committed state, shared by every FakeUnitOfWork on it (replicas of one database)."""

    def __init__(self) -> None:
        self.tables = Tables()
        # Called with (org_id, code) for every unshared code inserted: True makes it collide,
        # as if the org already had the code.
        self.collides: Callable[[int, str], bool] | None = None
        self.failures: list[_Failure] = []
        self.commits = 0
        self.rollbacks = 0
        self._ids = itertools.count(1)

    # Setting up, outside any batch: what the management use cases would have stored.

    def add_series(self, org_id: int, series_id: int | None = None, **policy: Any) -> Series:
        """A series; ids are an org's own, so two orgs may each have a series `series_id`."""
        defaults: dict[str, Any] = {"description": "fake series", "multiple_per_user_allowed": True}
        series_id = series_id or next(self._ids)
        series = Series(series_id, SeriesPolicy(**(defaults | policy)), created_at=EPOCH)
        self.tables.series[org_id, series.id] = series
        return series

    def add_customer(
        self, org_id: int, mobile: str | None = None, customer_id: int | None = None
    ) -> Customer:
        number = customer_id or next(self._ids)
        mobile = mobile or f"9100{number:08d}"
        customer = Customer(number, "Fake", "Customer", mobile, None, None, EPOCH, EPOCH)
        self.tables.customers[org_id, customer.id] = customer
        return customer

    def upload(self, org_id: int, series_id: int, codes: Sequence[str]) -> None:
        store = FakeBatchStore(self.tables, self)
        added = store.add_pool_codes((org_id, series_id), codes)
        store.add_uploaded((org_id, series_id), len(added))

    def fail(self, step: str, error: BaseException | None = None, *, times: int = 1) -> None:
        """Makes the next `times` calls of the store's method `step` raise `error`."""
        self.failures.append(
            _Failure(step, error or FakeDiskError("injected disk I/O error"), times)
        )

    # Reading what is committed.

    def coupons(self, org_id: int, series_id: int | None = None) -> list[FakeCoupon]:
        return [
            coupon
            for coupon in self.tables.coupons.values()
            if coupon.org_id == org_id and series_id in (None, coupon.series_id)
        ]

    def held(self, org_id: int, customer_id: int) -> list[FakeCoupon]:
        return [c for c in self.coupons(org_id) if c.customer_id == customer_id]

    def num_issued(self, org_id: int, series_id: int) -> int:
        return self.tables.counters.get((org_id, series_id), (0, None))[0]

    def free_pool(self, org_id: int, series_id: int) -> list[str]:
        return [c.code for c in self.coupons(org_id, series_id) if c.customer_id is None]

    def _step(self, name: str) -> None:
        for failure in self.failures:
            if failure.step == name and failure.times > 0:
                failure.times -= 1
                raise failure.error


class FakeBatchStore:
    """The BatchStore protocol over one transaction's copy of the tables."""

    def __init__(self, tables: Tables, database: FakeDatabase) -> None:
        self._t = tables
        self._db = database

    def _coupons(self, org_id: int, series_id: int) -> Iterator[FakeCoupon]:
        for coupon in self._t.coupons.values():
            if coupon.org_id == org_id and coupon.series_id == series_id:
                yield coupon

    def claim_request_ids(
        self, keys: Sequence[tuple[RequestKey, str]], kept_for: timedelta
    ) -> dict[RequestKey, StoredRequest]:
        self._db._step("claim_request_ids")
        stored: dict[RequestKey, StoredRequest] = {}
        now = datetime.now(UTC)
        for key, fingerprint in keys:
            if key in self._t.requests and self._t.request_times[key] >= now - kept_for:
                stored[key] = self._t.requests[key]
            else:
                self._t.requests[key] = StoredRequest(fingerprint, "")
                self._t.request_times[key] = now
        return stored

    def find_customers(self, keys: Collection[CustomerKey]) -> dict[CustomerKey, Customer]:
        self._db._step("find_customers")
        found: dict[CustomerKey, Customer] = {}
        for org_id, ref in keys:
            for (customer_org, _), customer in self._t.customers.items():
                if customer_org == org_id and _names(customer, ref):
                    found[org_id, ref] = customer
        return found

    def load_series(self, keys: Collection[SeriesKey], *, lock: bool) -> dict[SeriesKey, Series]:
        self._db._step("load_series")
        found = {}
        for key in sorted(keys):
            series = self._t.series.get(key)
            if series is not None:
                issued, latest = self._t.counters.get(key, (0, None))
                found[key] = dataclasses.replace(series, num_issued=issued, latest_issued_at=latest)
        return found

    def holdings(self, keys: Collection[HoldingKey]) -> dict[HoldingKey, Holding]:
        self._db._step("holdings")
        held: dict[HoldingKey, Holding] = {}
        for org_id, series_id, customer_id in keys:
            ids = [c.id for c in self._coupons(org_id, series_id) if c.customer_id == customer_id]
            if ids:
                held[org_id, series_id, customer_id] = Holding(len(ids), min(ids))
        return held

    def reserve_pool(self, key: SeriesKey, count: int) -> list[PoolCode]:
        self._db._step("reserve_pool")
        free = sorted(c.id for c in self._coupons(*key) if c.customer_id is None)
        return [PoolCode(i, self._t.coupons[i].code) for i in free[:count]]

    def insert_coupons(self, groups: Sequence[NewCoupons]) -> list[list[int | None]]:
        self._db._step("insert_coupons")
        return [self._insert_group(group) for group in groups]

    def _insert_group(self, group: NewCoupons) -> list[int | None]:
        assert not group.pool_ids, "a pool code is handed out, not inserted"
        self._check_references(group)
        ids: list[int | None] = []
        for code in group.codes:
            unique = (group.org_id, code)
            if not group.shared_code and (
                unique in self._t.unshared_codes
                or (self._db.collides is not None and self._db.collides(*unique))
            ):
                ids.append(None)
                continue
            coupon_id = self._add(
                FakeCoupon(
                    self._t.next_coupon_id,
                    group.org_id,
                    group.series_id,
                    group.customer_id,
                    code,
                    group.shared_code,
                    group.issued_at,
                    group.valid_till,
                    group.request_id,
                )
            )
            ids.append(coupon_id)
        return ids

    def assign_pool(self, groups: Sequence[NewCoupons]) -> None:
        self._db._step("assign_pool")
        for group in groups:
            assert len(group.pool_ids) == len(group.codes)
            self._check_references(group)
            for code, pool_id in zip(group.codes, group.pool_ids, strict=True):
                pooled = self._t.coupons[pool_id]
                assert (pooled.org_id, pooled.series_id, pooled.code) == (
                    group.org_id,
                    group.series_id,
                    code,
                )
                assert pooled.customer_id is None, f"pool code {pooled.code} handed out twice"
                self._t.coupons[pooled.id] = dataclasses.replace(
                    pooled,
                    customer_id=group.customer_id,
                    issued_at=group.issued_at,
                    valid_till=group.valid_till,
                    request_id=group.request_id,
                )

    def delete_coupons(self, coupon_ids: Sequence[int]) -> None:
        self._db._step("delete_coupons")
        for coupon_id in coupon_ids:
            coupon = self._t.coupons.pop(coupon_id, None)
            if coupon is not None and not coupon.shared_code:
                del self._t.unshared_codes[coupon.org_id, coupon.code]

    def add_issued(self, counts: Sequence[IssuedCount]) -> None:
        self._db._step("add_issued")
        for count in counts:
            key = (count.org_id, count.series_id)
            issued, latest = self._t.counters.get(key, (0, None))
            newest = (
                count.latest_issued_at if latest is None else max(latest, count.latest_issued_at)
            )
            self._t.counters[key] = (issued + count.issued, newest)

    def issued_counts(
        self, keys: Collection[SeriesKey]
    ) -> dict[SeriesKey, tuple[int, datetime | None]]:
        self._db._step("issued_counts")
        return {key: self._t.counters.get(key, (0, None)) for key in keys}

    def coupons_by_ids(self, org_id: int, coupon_ids: Collection[int]) -> dict[int, IssuedCoupon]:
        self._db._step("coupons_by_ids")
        found = {}
        for coupon_id in coupon_ids:
            coupon = self._t.coupons.get(coupon_id)
            if coupon is not None and coupon.org_id == org_id:
                assert coupon.issued_at is not None, "only issued coupons are asked for"
                found[coupon_id] = IssuedCoupon(
                    coupon.id,
                    coupon.code,
                    coupon.series_id,
                    coupon.issued_at,
                    coupon.valid_till,
                    coupon.redemption_count,
                )
        return found

    def add_pool_codes(self, key: SeriesKey, codes: Sequence[str]) -> list[str]:
        self._db._step("add_pool_codes")
        added = []
        for code in codes:
            if (key[0], code) not in self._t.unshared_codes:
                self._add(FakeCoupon(self._t.next_coupon_id, *key, None, code, False))
                added.append(code)
        return added

    def add_uploaded(self, key: SeriesKey, count: int) -> None:
        self._db._step("add_uploaded")
        series = self._t.series[key]
        self._t.series[key] = dataclasses.replace(series, num_uploaded=series.num_uploaded + count)

    def finish_requests(
        self, outcomes: Sequence[tuple[RequestKey, str]], released: Sequence[RequestKey]
    ) -> None:
        self._db._step("finish_requests")
        for key, outcome in outcomes:
            assert key in self._t.requests, "an outcome is stored under a claimed key"
            self._t.requests[key] = dataclasses.replace(self._t.requests[key], outcome=outcome)
        for key in released:
            self._t.requests.pop(key, None)

    def append_events(self, events: Sequence[tuple[int, NewEvent]]) -> None:
        self._db._step("append_events")
        self._t.events += events

    def _add(self, coupon: FakeCoupon) -> int:
        self._t.coupons[coupon.id] = coupon
        if not coupon.shared_code:
            self._t.unshared_codes[coupon.org_id, coupon.code] = coupon.id
        self._t.next_coupon_id += 1
        return coupon.id

    def _check_references(self, row: NewCoupons) -> None:
        """The foreign keys: a coupon names a series and a customer of its own org."""
        assert (row.org_id, row.series_id) in self._t.series
        assert (row.org_id, row.customer_id) in self._t.customers


def _names(customer: Customer, ref: CustomerRef) -> bool:
    if ref.type is IdentifierType.ID:
        return ref.value.isdigit() and int(ref.value) == customer.id
    value = {
        IdentifierType.MOBILE: customer.mobile,
        IdentifierType.EMAIL: customer.email,
        IdentifierType.EXTERNAL_ID: customer.external_id,
    }[ref.type]
    return value is not None and value == ref.value


class FakeUnitOfWork:
    """One replica's door to a FakeDatabase: only the issuing batches are served."""

    def __init__(self, database: FakeDatabase | None = None) -> None:
        self.database = database or FakeDatabase()
        self.batchers: dict[str, Any] = {}
        self.request_ids_kept_for = REQUEST_IDS_KEPT_FOR
        # While set and not yet opened, batches wait before they start: calls queue behind them.
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        raise NotImplementedError("the fake serves the issuing batches only")

    async def run_batch(self, work: Callable[[BatchStore], _Result]) -> _Result:
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(0)  # A real store always hands the loop over at least once.
        database = self.database
        working = database.tables.copy()  # BEGIN
        try:
            result = work(FakeBatchStore(working, database))
        except OSError as error:
            database.rollbacks += 1
            raise StoreUnavailable(f"the fake could not run the batch: {error}") from error
        except BaseException:
            database.rollbacks += 1
            raise
        database.tables = working  # COMMIT
        database.commits += 1
        return result
