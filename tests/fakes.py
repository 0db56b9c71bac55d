"""In-memory fakes of the storage: a BatchStore over plain dicts, and a unit of work whose
run_batch commits a copy of them, or discards it when the work raises.

The store keeps what the real ones keep: a unique (org, code) for every unshared code, pool
codes as coupon rows without a customer, series counters, request ids. A test can make codes
collide (`FakeDatabase.collides`), make a step fail (`FakeDatabase.fail`), and hold a batch
before it starts (`FakeUnitOfWork.gate`) to queue calls behind it.

`FakeUnitOfWork(transactions=True)` also opens transactions, with the repositories the
management use cases use (organisations, customers, series, a customer's coupons, request ids):
each works on a copy of the tables, committed when its block ends, discarded when it raises.
The unique keys are the real ones (an org's name; a customer's id, mobile, email and external
id; a series id), and taking one raises IdentifierTaken as the real repositories do. By
default the fake refuses to open transactions, for tests that prove a check refuses a call
before it reaches the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from coupon_service.domain.events import NewEvent
from coupon_service.domain.model import (
    Coupon,
    Customer,
    CustomerRef,
    IdentifierType,
    IssuanceMetadata,
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
from coupon_service.service.unit_of_work import (
    IdentifierTaken,
    StoreUnavailable,
    Transaction,
)

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
    metadata: IssuanceMetadata = IssuanceMetadata()


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
    orgs: dict[str, int] = dataclasses.field(default_factory=dict)  # Name to id.

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
            dict(self.orgs),
        )


@dataclasses.dataclass
class _Failure:
    step: str
    error: BaseException
    times: int
    skip: int = 0


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
        # One writer at a time, as SQLite has: a transaction or a batch commits before the next
        # one takes its copy, so neither overwrites what the other wrote.
        self.lock = asyncio.Lock()
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

    def fail(
        self, step: str, error: BaseException | None = None, *, times: int = 1, skip: int = 0
    ) -> None:
        """Makes the next `times` calls of the store's method `step` raise `error`, after
        `skip` calls that go through. The step "commit" is a transaction's commit."""
        self.failures.append(
            _Failure(step, error or FakeDiskError("injected disk I/O error"), times, skip)
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
            if failure.step != name or failure.times == 0:
                continue
            if failure.skip > 0:
                failure.skip -= 1
                return
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
                    metadata=_metadata_of(group),
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
                    metadata=_metadata_of(group),
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


def _metadata_of(group: NewCoupons) -> IssuanceMetadata:
    return IssuanceMetadata(
        group.source_type, group.source_id, group.source_activity, group.notes, group.reason
    )


def _names(customer: Customer, ref: CustomerRef) -> bool:
    if ref.type is IdentifierType.ID:
        return ref.value.isdigit() and int(ref.value) == customer.id
    value = {
        IdentifierType.MOBILE: customer.mobile,
        IdentifierType.EMAIL: customer.email,
        IdentifierType.EXTERNAL_ID: customer.external_id,
    }[ref.type]
    return value is not None and value == ref.value


# --- the transactions' repositories ---------------------------------------------------------


class FakeOrgRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def find(self, name: str) -> int | None:
        return self._t.orgs.get(name)

    async def add(self, name: str) -> int:
        if name in self._t.orgs:
            raise IdentifierTaken("name")
        org_id = max(self._t.orgs.values(), default=0) + 1
        self._t.orgs[name] = org_id
        return org_id

    async def find_or_add(self, name: str) -> int:
        found = await self.find(name)
        return found if found is not None else await self.add(name)


# A customer's unique identifiers: its attribute, and the field IdentifierTaken names.
_UNIQUE_IDENTIFIERS = (("mobile", "mobile"), ("email", "email"), ("external_id", "externalId"))


class FakeCustomerRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _of_org(self, org_id: int) -> list[Customer]:
        return [c for (org, _), c in self._t.customers.items() if org == org_id]

    async def find(self, org_id: int, ref: CustomerRef) -> Customer | None:
        if ref.lookup_value() is None:
            return None
        return next((c for c in self._of_org(org_id) if _names(c, ref)), None)

    async def add(self, org_id: int, customer: Customer) -> Customer:
        """A customer without a chosen id gets the org's highest id plus one."""
        customer_id = customer.id or max((c.id for c in self._of_org(org_id)), default=0) + 1
        if (org_id, customer_id) in self._t.customers:
            raise IdentifierTaken("id")
        stored = dataclasses.replace(customer, id=customer_id)
        self._check_unique(org_id, stored)
        self._t.customers[org_id, customer_id] = stored
        return stored

    async def update(self, org_id: int, customer: Customer) -> Customer:
        before = self._t.customers[org_id, customer.id]
        stored = dataclasses.replace(customer, created_at=before.created_at)
        self._check_unique(org_id, stored)
        self._t.customers[org_id, customer.id] = stored
        return stored

    def _check_unique(self, org_id: int, customer: Customer) -> None:
        for attribute, field in _UNIQUE_IDENTIFIERS:
            value = getattr(customer, attribute)
            others = (c for c in self._of_org(org_id) if c.id != customer.id)
            if value is not None and any(getattr(c, attribute) == value for c in others):
                raise IdentifierTaken(field)


class FakeSeriesRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _counted(self, key: SeriesKey) -> Series:
        issued, latest = self._t.counters.get(key, (0, None))
        return dataclasses.replace(self._t.series[key], num_issued=issued, latest_issued_at=latest)

    async def get(self, org_id: int, series_id: int) -> Series | None:
        key = (org_id, series_id)
        return self._counted(key) if key in self._t.series else None

    async def list(self, org_id: int, after_id: int, limit: int) -> list[Series]:
        ids = sorted(i for org, i in self._t.series if org == org_id and i > after_id)
        return [self._counted((org_id, i)) for i in ids[:limit]]

    async def add(self, org_id: int, series_id: int | None, policy: SeriesPolicy) -> Series:
        """A series without a chosen id gets the org's highest id plus one."""
        taken = [i for org, i in self._t.series if org == org_id]
        chosen = series_id or max(taken, default=0) + 1
        if chosen in taken:
            raise IdentifierTaken("id")
        self._t.series[org_id, chosen] = Series(chosen, policy, created_at=datetime.now(UTC))
        return self._counted((org_id, chosen))


class FakeCouponRepository:
    """The issued coupons of the tables, as the management use cases read them."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def of_customer(
        self, org_id: int, customer_id: int, series_id: int | None, after_id: int, limit: int
    ) -> list[Coupon]:
        held = sorted(
            (
                c
                for c in self._t.coupons.values()
                if c.org_id == org_id and c.customer_id == customer_id and c.id > after_id
            ),
            key=lambda coupon: coupon.id,
        )
        return [self._coupon(c) for c in held if series_id in (None, c.series_id)][:limit]

    async def get(self, org_id: int, coupon_id: int) -> Coupon | None:
        found = self._t.coupons.get(coupon_id)
        if found is None or found.org_id != org_id or found.customer_id is None:
            return None
        return self._coupon(found)

    def _coupon(self, row: FakeCoupon) -> Coupon:
        assert row.customer_id is not None and row.issued_at is not None
        series = self._t.series[row.org_id, row.series_id]
        return Coupon(
            id=row.id,
            code=row.code,
            series_id=row.series_id,
            customer_id=row.customer_id,
            issued_at=row.issued_at,
            valid_till=row.valid_till,
            redemption_count=row.redemption_count,
            metadata=row.metadata,
            request_id=row.request_id,
            uses_allowed=series.policy.uses_per_coupon,
        )


class FakeRequestRepository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def remove_stored_before(self, moment: datetime, limit: int) -> int:
        stored = sorted(self._t.request_times.items(), key=lambda item: item[1])
        expired = [key for key, at in stored if at < moment][:limit]
        for key in expired:
            del self._t.requests[key], self._t.request_times[key]
        return len(expired)


class FakeTransaction:
    """The repositories of one transaction, over its copy of the tables. Redemptions, keys and
    the event feed have no fake here: their use cases run against the real stores."""

    def __init__(self, tables: Tables) -> None:
        self.orgs = FakeOrgRepository(tables)
        self.customers = FakeCustomerRepository(tables)
        self.series = FakeSeriesRepository(tables)
        self.coupons = FakeCouponRepository(tables)
        self.requests = FakeRequestRepository(tables)

    @property
    def redemptions(self) -> Any:
        raise NotImplementedError("the fake transaction has no redemptions repository")

    @property
    def credentials(self) -> Any:
        raise NotImplementedError("the fake transaction has no credentials repository")

    @property
    def events(self) -> Any:
        raise NotImplementedError("the fake transaction has no events repository")


class FakeUnitOfWork:
    """One replica's door to a FakeDatabase: the issuing batches, and transactions when made
    with `transactions=True`."""

    def __init__(self, database: FakeDatabase | None = None, *, transactions: bool = False) -> None:
        self.database = database or FakeDatabase()
        self.batchers: dict[str, Any] = {}
        self.request_ids_kept_for = REQUEST_IDS_KEPT_FOR
        # While set and not yet opened, batches wait before they start: calls queue behind them.
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()
        self.transactions = transactions

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        if not self.transactions:
            raise NotImplementedError("the fake serves the issuing batches only")
        return self._transaction()  # type: ignore[return-value]

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[FakeTransaction]:
        """Commits the copy when the block ends, unless the step "commit" was made to fail."""
        await asyncio.sleep(0)  # A real store always hands the loop over at least once.
        database = self.database
        async with database.lock:
            working = database.tables.copy()  # BEGIN
            try:
                yield FakeTransaction(working)
                database._step("commit")
            except OSError as error:
                database.rollbacks += 1
                raise StoreUnavailable(f"the fake could not commit: {error}") from error
            except BaseException:
                database.rollbacks += 1
                raise
            database.tables = working  # COMMIT
            database.commits += 1

    async def run_batch(self, work: Callable[[BatchStore], _Result]) -> _Result:
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(0)  # A real store always hands the loop over at least once.
        database = self.database
        async with database.lock:
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
