"""Issuing batches on PostgreSQL: one set-based statement per step for the whole batch.

Each step sends the batch's values as arrays (`unnest`, `= ANY`) on the asyncpg connection of
SQLAlchemy's pool, so a batch of 64 calls costs about as many round trips as a single call,
and asyncpg keeps every statement prepared. The steps are plain synchronous code, run in a
greenlet (postgres_runner.py).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy.util import await_only

from ..domain.events import NewEvent
from ..domain.events import by_org as _by_org
from ..domain.model import Customer, IssuedCoupon, Series
from ..service.batch_store import (
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
from ._convert import to_db
from ._rows import customer_from_mapping, series_from_mapping
from .postgres_sql import (
    ADD_ISSUED,
    ADD_POOL_CODES,
    ADD_UPLOADED,
    APPEND_EVENTS,
    ASSIGN_POOL,
    CLAIM_REQUESTS,
    COUPONS_BY_IDS,
    DELETE_COUPONS,
    FIND_CUSTOMERS,
    HOLDINGS,
    INSERT_COUPONS,
    ISSUED_COUNTS,
    LOCK_SERIES,
    RELEASE_REQUESTS,
    RESERVE_POOL,
    SERIES,
    STORE_OUTCOMES,
    STORED_REQUESTS,
)
from .tables import COUNTER_SHARDS


def as_columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows as one list per column: the arrays `unnest` takes apart again."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


class PostgresBatchStore:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await_only(self._connection.fetch(sql, *args))
        return rows

    def _execute(self, sql: str, *args: Any) -> None:
        await_only(self._connection.execute(sql, *args))

    def claim_request_ids(
        self, keys: Sequence[tuple[RequestKey, str]], kept_for: timedelta
    ) -> dict[RequestKey, StoredRequest]:
        orgs, ids, prints = as_columns([(o, r, f) for (o, r), f in keys], 3)
        now = datetime.now(UTC)
        claimed = {
            (r["org_id"], r["request_id"])
            for r in self._fetch(
                CLAIM_REQUESTS, orgs, ids, prints, to_db(now), to_db(now - kept_for)
            )
        }
        taken = [(key, f) for key, f in keys if key not in claimed]
        if not taken:
            return {}
        orgs, ids = as_columns([key for key, _ in taken], 2)
        return {
            (r["org_id"], r["request_id"]): StoredRequest(r["fingerprint"], r["outcome"])
            for r in self._fetch(STORED_REQUESTS, orgs, ids)
        }

    def find_customers(self, keys: Collection[CustomerKey]) -> dict[CustomerKey, Customer]:
        found: dict[CustomerKey, Customer] = {}
        for kind, sql in FIND_CUSTOMERS.items():
            asked: dict[tuple[int, int | str], list[CustomerKey]] = {}
            for org_id, ref in keys:
                value = ref.lookup_value()
                if ref.type is not kind or value is None:
                    continue
                asked.setdefault((org_id, value), []).append((org_id, ref))
            if not asked:
                continue
            orgs, values = as_columns(list(asked), 2)
            for row in self._fetch(sql, orgs, values):
                customer = customer_from_mapping(
                    {name: value for name, value in row.items() if not name.startswith("key_")}
                )
                for key in asked[row["key_org"], row["key_value"]]:
                    found[key] = customer
        return found

    def load_series(self, keys: Collection[SeriesKey], *, lock: bool) -> dict[SeriesKey, Series]:
        if not keys:
            return {}
        orgs, ids = as_columns(sorted(keys), 2)
        if lock:
            # A statement of its own: the counts below must be read after the locks were
            # granted, by a statement whose snapshot sees what the batch before us committed.
            self._execute(LOCK_SERIES, orgs, ids)
        return {
            (row["org_id"], row["id"]): series_from_mapping(row)
            for row in self._fetch(SERIES, orgs, ids)
        }

    def holdings(self, keys: Collection[HoldingKey]) -> dict[HoldingKey, Holding]:
        if not keys:
            return {}
        orgs, series, customers = as_columns(list(keys), 3)
        return {
            (row["org_id"], row["series_id"], row["customer_id"]): Holding(
                row["held"], row["first"]
            )
            for row in self._fetch(HOLDINGS, orgs, series, customers)
        }

    def reserve_pool(self, key: SeriesKey, count: int) -> list[PoolCode]:
        return [PoolCode(r["id"], r["code"]) for r in self._fetch(RESERVE_POOL, *key, count)]

    def insert_coupons(self, groups: Sequence[NewCoupons]) -> list[list[int | None]]:
        columns: list[list[Any]] = [[] for _ in range(13)]
        for group in groups:
            count = len(group.codes)
            for column, value in zip(columns, _alike_for_postgres(group), strict=False):
                column += [value] * count
            columns[12] += group.codes
        # Columns in the statement's order: org, series, customer, code, then the rest.
        org, series, customer, shared, issued_at, valid_till, *rest, codes = columns
        ordered = [org, series, customer, codes, shared, issued_at, valid_till, *rest]
        inserted = {}
        for r in self._fetch(INSERT_COUPONS, *ordered):
            key = (r["series_id"], r["customer_id"]) if r["shared_code"] else r["code"]
            inserted[r["org_id"], key] = r["id"]
        return [
            [
                inserted.get((g.org_id, (g.series_id, g.customer_id) if g.shared_code else code))
                for code in g.codes
            ]
            for g in groups
        ]

    def assign_pool(self, groups: Sequence[NewCoupons]) -> None:
        columns: list[list[Any]] = [[] for _ in range(10)]
        for group in groups:
            count = len(group.pool_ids)
            columns[0] += group.pool_ids
            _, _, customer_id, _, issued_at, valid_till, *rest = _alike_for_postgres(group)
            for column, value in zip(
                columns[1:], (customer_id, issued_at, valid_till, *rest), strict=True
            ):
                column += [value] * count
        self._execute(ASSIGN_POOL, *columns)

    def delete_coupons(self, coupon_ids: Sequence[int]) -> None:
        self._execute(DELETE_COUPONS, list(coupon_ids))

    def add_issued(self, counts: Sequence[IssuedCount]) -> None:
        # Concurrent batches on several replicas each pick a shard at random, so they rarely
        # wait on the same counter row.
        shard = random.randrange(COUNTER_SHARDS)
        values = [
            (c.org_id, c.series_id, shard, c.issued, to_db(c.latest_issued_at)) for c in counts
        ]
        self._execute(ADD_ISSUED, *as_columns(values, 5))

    def issued_counts(
        self, keys: Collection[SeriesKey]
    ) -> dict[SeriesKey, tuple[int, datetime | None]]:
        if not keys:
            return {}
        orgs, ids = as_columns(list(keys), 2)
        counts = {
            (r["org_id"], r["series_id"]): (int(r["issued"]), _aware(r["latest"]))
            for r in self._fetch(ISSUED_COUNTS, orgs, ids)
        }
        return {key: counts.get(key, (0, None)) for key in keys}

    def coupons_by_ids(self, org_id: int, coupon_ids: Collection[int]) -> dict[int, IssuedCoupon]:
        rows = self._fetch(COUPONS_BY_IDS, org_id, list(coupon_ids))
        return {row["id"]: _issued_coupon(row) for row in rows}

    def add_pool_codes(self, key: SeriesKey, codes: Sequence[str]) -> list[str]:
        return [row["code"] for row in self._fetch(ADD_POOL_CODES, *key, list(codes))]

    def add_uploaded(self, key: SeriesKey, count: int) -> None:
        self._execute(ADD_UPLOADED, count, *key)

    def finish_requests(
        self, outcomes: Sequence[tuple[RequestKey, str]], released: Sequence[RequestKey]
    ) -> None:
        if outcomes:
            self._execute(STORE_OUTCOMES, *as_columns([(o, r, out) for (o, r), out in outcomes], 3))
        if released:
            self._execute(RELEASE_REQUESTS, *as_columns(list(released), 2))

    def append_events(self, events: Sequence[tuple[int, NewEvent]]) -> None:
        for org_id, of_org in _by_org(events):  # In org order: two batches never wait in a ring.
            rows = [
                (int(e.type), e.coupon_id, e.redemption_id, to_db(e.occurred_at)) for e in of_org
            ]
            self._execute(APPEND_EVENTS, org_id, *as_columns(rows, 4))


def _alike_for_postgres(group: NewCoupons) -> tuple[Any, ...]:
    """The group's shared columns, with timestamps as the naive UTC the columns hold."""
    values = list(group.alike)
    values[4], values[5] = to_db(group.issued_at), to_db(group.valid_till)
    return tuple(values)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _issued_coupon(row: asyncpg.Record) -> IssuedCoupon:
    return IssuedCoupon(
        id=row["id"],
        code=row["code"],
        series_id=row["series_id"],
        issued_at=row["issued_at"].replace(tzinfo=UTC),
        valid_till=_aware(row["valid_till"]),
        redemption_count=row["redemption_count"],
    )
