"""Where a scenario runs: the fake store, or new organisations of a real database; and what
each holds afterwards, in one plain shape."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import func, select

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.tables import coupons, issue_requests, series_counters
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.model import Customer, SeriesPolicy
from coupon_service.service.customers import create_customer
from coupon_service.service.inputs import IssueCall
from coupon_service.service.issue_batch import Answer
from coupon_service.service.issuing import run_issue_batch
from coupon_service.service.orgs import ensure_org
from coupon_service.service.series import upload_codes
from tests.fakes import EPOCH, FakeDatabase, FakeUnitOfWork

from .scenarios import HOPELESS_PREFIX, ORGS, World


@dataclasses.dataclass(frozen=True)
class StoredCoupon:
    coupon_id: int
    series_id: int
    customer_id: int | None  # None: a pool code not handed out yet.
    code: str
    request_id: str | None


@dataclasses.dataclass
class Stored:
    """What a database holds for the scenario's organisations, keyed by scenario org."""

    coupons: dict[int, list[StoredCoupon]]  # In id order.
    issued: dict[tuple[int, int], int]  # (org, series id): the series counter.
    requests: dict[int, dict[str, str]]  # Request id: its stored outcome.


class Backend(Protocol):
    org_ids: dict[int, int]

    async def run_batch(self, calls: Sequence[IssueCall]) -> list[Answer]: ...

    async def stored(self) -> Stored: ...


class FakeBackend:
    """The world on the in-memory store, in organisations 1 and 2."""

    def __init__(self, world: World) -> None:
        self.database = FakeDatabase()
        self.uow = FakeUnitOfWork(self.database)
        self.org_ids = {org: org for org in ORGS}
        for org in ORGS:
            for spec in world.series:
                policy = spec.policy()
                fields = {f.name: getattr(policy, f.name) for f in dataclasses.fields(policy)}
                self.database.add_series(org, spec.series_id, **fields)
                if spec.pool:
                    self.database.upload(org, spec.series_id, spec.pool)
            for mobile in world.mobiles:
                self.database.add_customer(org, mobile, world.customer_id(mobile))
        self.database.collides = lambda _org, code: code.startswith(HOPELESS_PREFIX)

    async def run_batch(self, calls: Sequence[IssueCall]) -> list[Answer]:
        return await run_issue_batch(self.uow, calls)

    async def stored(self) -> Stored:
        tables = self.database.tables
        return Stored(
            coupons={
                org: [
                    StoredCoupon(c.id, c.series_id, c.customer_id, c.code, c.request_id)
                    for c in sorted(self.database.coupons(org), key=lambda c: c.id)
                ]
                for org in ORGS
            },
            issued={key: issued for key, (issued, _) in tables.counters.items()},
            requests={
                org: {rid: s.outcome for (o, rid), s in tables.requests.items() if o == org}
                for org in ORGS
            },
        )


class SqlBackend:
    """The world in two new organisations of a migrated SQLite or PostgreSQL database."""

    def __init__(self, uow: SqlUnitOfWork, org_ids: dict[int, int]) -> None:
        self.uow = uow
        self.org_ids = org_ids

    @classmethod
    async def open(cls, url: str, world: World) -> SqlBackend:
        uow = SqlUnitOfWork(create_engine(url))
        org_ids = {org: await ensure_org(uow, f"property-{uuid.uuid4().hex[:16]}") for org in ORGS}
        for org_id in org_ids.values():
            for spec in world.series:
                await _add_series(uow, org_id, spec.series_id, spec.policy())
                if spec.pool:
                    await upload_codes(uow, org_id, spec.series_id, list(spec.pool))
            for mobile in world.mobiles:
                customer = Customer(
                    world.customer_id(mobile), "Property", "Test", mobile, None, None, EPOCH, EPOCH
                )
                await create_customer(uow, org_id, customer)
        return cls(uow, org_ids)

    async def close(self) -> None:
        await self.uow.engine.dispose()

    async def run_batch(self, calls: Sequence[IssueCall]) -> list[Answer]:
        return await run_issue_batch(self.uow, calls)

    async def stored(self) -> Stored:
        orgs = {org_id: org for org, org_id in self.org_ids.items()}
        found = Stored({org: [] for org in ORGS}, {}, {org: {} for org in ORGS})
        async with self.uow.engine.connect() as connection:
            rows = await connection.execute(
                select(
                    coupons.c.org_id,
                    coupons.c.id,
                    coupons.c.series_id,
                    coupons.c.customer_id,
                    coupons.c.code,
                    coupons.c.request_id,
                )
                .where(coupons.c.org_id.in_(orgs))
                .order_by(coupons.c.id)
            )
            for org_id, *coupon in rows:
                found.coupons[orgs[org_id]].append(StoredCoupon(*coupon))
            counters = await connection.execute(
                select(
                    series_counters.c.org_id,
                    series_counters.c.series_id,
                    func.sum(series_counters.c.num_issued),
                )
                .where(series_counters.c.org_id.in_(orgs))
                .group_by(series_counters.c.org_id, series_counters.c.series_id)
            )
            for org_id, series_id, issued in counters:
                found.issued[orgs[org_id], series_id] = int(issued)
            requests = await connection.execute(
                select(
                    issue_requests.c.org_id, issue_requests.c.request_id, issue_requests.c.outcome
                ).where(issue_requests.c.org_id.in_(orgs))
            )
            for org_id, request_id, outcome in requests:
                found.requests[orgs[org_id]][request_id] = outcome
        return found


async def _add_series(
    uow: SqlUnitOfWork, org_id: int, series_id: int, policy: SeriesPolicy
) -> None:
    """Stores the series as it is, past the creation checks: a series may have expired, or
    been created with limits a later check would refuse, and issuing must still be right."""
    async with uow.transaction() as tx:
        await tx.series.add(org_id, series_id, policy)
