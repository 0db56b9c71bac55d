"""Issuing batches on SQLite: each step of service/batch_store.py as plain sqlite3 calls, with SQL
written against the same tables SQLAlchemy migrated. The batch runs in the driver's own thread,
from BEGIN IMMEDIATE to COMMIT (sqlite_runner.py says why).
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.events import NewEvent, by_org
from ..domain.model import Customer, IdentifierType, IssuedCoupon, Series
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
from ._rows import customer_from_mapping, series_from_mapping
from .sqlite_runner import from_text, to_text

_CUSTOMER_COLUMN = {
    IdentifierType.ID: "id",
    IdentifierType.MOBILE: "mobile",
    IdentifierType.EMAIL: "email",
    IdentifierType.EXTERNAL_ID: "external_id",
}
_SERIES = (
    "SELECT s.*,"
    " (SELECT coalesce(sum(c.num_issued), 0) FROM series_counters c"
    "  WHERE c.org_id = s.org_id AND c.series_id = s.id) AS num_issued,"
    " (SELECT max(c.latest_issued_at) FROM series_counters c"
    "  WHERE c.org_id = s.org_id AND c.series_id = s.id) AS latest_issued_at,"
    " (SELECT coalesce(sum(c.num_redeemed), 0) FROM series_counters c"
    "  WHERE c.org_id = s.org_id AND c.series_id = s.id) AS num_redeemed,"
    " (SELECT max(c.latest_redeemed_at) FROM series_counters c"
    "  WHERE c.org_id = s.org_id AND c.series_id = s.id) AS latest_redeemed_at"
    " FROM series s WHERE s.org_id = ? AND s.id = ?"
)
# A key stored before its window began is taken over as if new (rowcount 0: kept, not ours).
_CLAIM_REQUEST = (
    "INSERT INTO issue_requests (org_id, request_id, fingerprint, outcome, created_at)"
    " VALUES (?, ?, ?, '', ?) ON CONFLICT (org_id, request_id) DO UPDATE"
    " SET fingerprint = excluded.fingerprint, outcome = '', created_at = excluded.created_at"
    " WHERE issue_requests.created_at < ?"
)
# Rows per INSERT: 13 values each stays well under SQLite's 32,766 parameters.
_ROWS_PER_INSERT = 500


@functools.lru_cache(maxsize=_ROWS_PER_INSERT)
def _insert_coupons(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
    return (
        "INSERT INTO coupons (org_id, series_id, customer_id, code, shared_code, issued_at,"
        " valid_till, source_type, source_id, source_activity, notes, reason, request_id)"
        f" VALUES {values} ON CONFLICT DO NOTHING"
        " RETURNING id, org_id, series_id, customer_id, code, shared_code"
    )


_ASSIGN_POOL = (
    "UPDATE coupons SET customer_id = ?, issued_at = ?, valid_till = ?, source_type = ?,"
    " source_id = ?, source_activity = ?, notes = ?, reason = ?, request_id = ? WHERE id = ?"
)
_ADD_POOL_CODE = (
    "INSERT INTO coupons (org_id, series_id, code, shared_code) VALUES (?, ?, ?, 0)"
    " ON CONFLICT DO NOTHING"
)
_ADD_ISSUED = (
    "INSERT INTO series_counters (org_id, series_id, shard, num_issued, latest_issued_at)"
    " VALUES (?, ?, 0, ?, ?) ON CONFLICT (org_id, series_id, shard) DO UPDATE SET"
    " num_issued = num_issued + excluded.num_issued,"
    " latest_issued_at = max(coalesce(latest_issued_at, ''), excluded.latest_issued_at)"
)

_ADVANCE_FEED = (
    "INSERT INTO event_feeds (org_id, head) VALUES (?, ?)"
    " ON CONFLICT (org_id) DO UPDATE SET head = head + excluded.head RETURNING head"
)
_INSERT_EVENT = (
    "INSERT INTO events (org_id, position, type, coupon_id, redemption_id, occurred_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


class SqliteBatchStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def _rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = self._db.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def claim_request_ids(
        self, keys: Sequence[tuple[RequestKey, str]], kept_for: timedelta
    ) -> dict[RequestKey, StoredRequest]:
        stored: dict[RequestKey, StoredRequest] = {}
        now = datetime.now(UTC)
        created, expired = to_text(now), to_text(now - kept_for)
        for (org_id, request_id), fingerprint in keys:
            claimed = self._db.execute(
                _CLAIM_REQUEST, (org_id, request_id, fingerprint, created, expired)
            )
            if claimed.rowcount == 0:
                row = self._db.execute(
                    "SELECT fingerprint, outcome FROM issue_requests"
                    " WHERE org_id = ? AND request_id = ?",
                    (org_id, request_id),
                ).fetchone()
                stored[org_id, request_id] = StoredRequest(row[0], row[1])
        return stored

    def find_customers(self, keys: Collection[CustomerKey]) -> dict[CustomerKey, Customer]:
        found = {}
        for org_id, ref in keys:
            value = ref.lookup_value()
            if value is None:
                continue
            column = _CUSTOMER_COLUMN[ref.type]
            rows = self._rows(
                f"SELECT * FROM customers WHERE org_id = ? AND {column} = ?", (org_id, value)
            )
            if rows:
                found[org_id, ref] = customer_from_mapping(rows[0], from_text)
        return found

    def load_series(self, keys: Collection[SeriesKey], *, lock: bool) -> dict[SeriesKey, Series]:
        # No lock to take: BEGIN IMMEDIATE made this transaction the only writer.
        found = {}
        for key in sorted(keys):
            rows = self._rows(_SERIES, key)
            if rows:
                found[key] = series_from_mapping(rows[0], from_text)
        return found

    def holdings(self, keys: Collection[HoldingKey]) -> dict[HoldingKey, Holding]:
        held = {}
        for key in keys:
            count, first = self._db.execute(
                "SELECT count(*), min(id) FILTER (WHERE revoked_at IS NULL) FROM coupons"
                " WHERE org_id = ? AND series_id = ? AND customer_id = ?",
                key,
            ).fetchone()
            if count:
                held[key] = Holding(count, first)
        return held

    def reserve_pool(self, key: SeriesKey, count: int) -> list[PoolCode]:
        cursor = self._db.execute(
            "SELECT id, code FROM coupons WHERE org_id = ? AND series_id = ?"
            " AND customer_id IS NULL ORDER BY id LIMIT ?",
            (*key, count),
        )
        return [PoolCode(coupon_id, code) for coupon_id, code in cursor]

    def insert_coupons(self, groups: Sequence[NewCoupons]) -> list[list[int | None]]:
        rows: list[tuple[Any, ...]] = []
        for group in groups:
            org_id, series_id, customer_id, shared, issued_at, valid_till, *rest = group.alike
            alike = (shared, to_text(issued_at), to_text(valid_till), *rest)
            rows += [(org_id, series_id, customer_id, code, *alike) for code in group.codes]
        # An unshared code is unique in its org; a customer gets a shared (GENERIC) code at
        # most once per series: that is how the returned rows are told apart.
        by_code: dict[tuple[int, str], int] = {}
        by_holder: dict[tuple[int, int, int], int] = {}
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            params = list(itertools.chain.from_iterable(chunk))
            for coupon_id, org_id, series_id, customer_id, code, shared in self._db.execute(
                _insert_coupons(len(chunk)), params
            ):
                if shared:
                    by_holder[org_id, series_id, customer_id] = coupon_id
                else:
                    by_code[org_id, code] = coupon_id
        return [
            [by_holder.get((g.org_id, g.series_id, g.customer_id)) for _ in g.codes]
            if g.shared_code
            else [by_code.get((g.org_id, code)) for code in g.codes]
            for g in groups
        ]

    def assign_pool(self, groups: Sequence[NewCoupons]) -> None:
        params = []
        for group in groups:
            _, _, customer_id, _, issued_at, valid_till, *rest = group.alike
            alike = (customer_id, to_text(issued_at), to_text(valid_till), *rest)
            params += [(*alike, coupon_id) for coupon_id in group.pool_ids]
        self._db.executemany(_ASSIGN_POOL, params)

    def delete_coupons(self, coupon_ids: Sequence[int]) -> None:
        self._db.executemany("DELETE FROM coupons WHERE id = ?", [(i,) for i in coupon_ids])

    def add_issued(self, counts: Sequence[IssuedCount]) -> None:
        self._db.executemany(
            _ADD_ISSUED,
            [(c.org_id, c.series_id, c.issued, to_text(c.latest_issued_at)) for c in counts],
        )

    def issued_counts(
        self, keys: Collection[SeriesKey]
    ) -> dict[SeriesKey, tuple[int, datetime | None]]:
        counts = {}
        for key in keys:
            total, latest = self._db.execute(
                "SELECT coalesce(sum(num_issued), 0), max(latest_issued_at) FROM series_counters"
                " WHERE org_id = ? AND series_id = ?",
                key,
            ).fetchone()
            counts[key] = (int(total), from_text(latest))
        return counts

    def coupons_by_ids(self, org_id: int, coupon_ids: Collection[int]) -> dict[int, IssuedCoupon]:
        found = {}
        for coupon_id in coupon_ids:
            row = self._db.execute(
                "SELECT id, code, series_id, issued_at, valid_till, redemption_count"
                " FROM coupons WHERE org_id = ? AND id = ?",
                (org_id, coupon_id),
            ).fetchone()
            if row is not None:
                issued_at = from_text(row[3])
                assert issued_at is not None  # Only issued coupons are asked for.
                found[row[0]] = IssuedCoupon(
                    row[0], row[1], row[2], issued_at, from_text(row[4]), row[5]
                )
        return found

    def add_pool_codes(self, key: SeriesKey, codes: Sequence[str]) -> list[str]:
        execute = self._db.execute
        return [
            code
            for code in codes
            if execute(_ADD_POOL_CODE, (*key, code)).rowcount  # 0 where the org has the code.
        ]

    def add_uploaded(self, key: SeriesKey, count: int) -> None:
        self._db.execute(
            "UPDATE series SET num_uploaded = num_uploaded + ? WHERE org_id = ? AND id = ?",
            (count, *key),
        )

    def finish_requests(
        self, outcomes: Sequence[tuple[RequestKey, str]], released: Sequence[RequestKey]
    ) -> None:
        self._db.executemany(
            "UPDATE issue_requests SET outcome = ? WHERE org_id = ? AND request_id = ?",
            [(outcome, org_id, request_id) for (org_id, request_id), outcome in outcomes],
        )
        self._db.executemany(
            "DELETE FROM issue_requests WHERE org_id = ? AND request_id = ?", released
        )

    def append_events(self, events: Sequence[tuple[int, NewEvent]]) -> None:
        for org_id, of_org in by_org(events):
            (head,) = self._db.execute(_ADVANCE_FEED, (org_id, len(of_org))).fetchone()
            first = head - len(of_org) + 1
            self._db.executemany(
                _INSERT_EVENT,
                [
                    (
                        org_id,
                        first + offset,
                        int(e.type),
                        e.coupon_id,
                        e.redemption_id,
                        to_text(e.occurred_at),
                    )
                    for offset, e in enumerate(of_org)
                ],
            )
