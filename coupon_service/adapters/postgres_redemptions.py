"""Redemption batches on PostgreSQL: each step of service/redemption_store.py one set-based
statement over arrays, on the asyncpg connection, as the issuing batches (postgres_batch.py).

The locks follow redemption_store.py's order. A lock statement sorts its keys and locks rows
in that order (the sort runs below the row locking), and the rows are read again by the
statement after it, whose snapshot sees what the transaction it waited for committed.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import Any

import asyncpg

from ..domain.model import Coupon
from ..service.batch_store import RequestKey, SeriesKey
from ..service.redemption_store import (
    CodeKey,
    CouponKey,
    NewRedemption,
    SeriesRedeemed,
    StoredRedemption,
    UsesTaken,
)
from ._convert import to_db
from ._rows import coupon_from_mapping, redemption_from_mapping
from .postgres_batch import PostgresBatchStore, as_columns
from .tables import COUNTER_SHARDS

_LIMITS = "s.code_source, s.max_redemptions_per_coupon, s.max_redemptions_per_customer"
_SERIES_OF_C = "JOIN series s ON s.org_id = c.org_id AND s.id = c.series_id"
# Each half names shared_code as its partial index does, so the index serves it.
COUPONS_WITH_CODES = f"""
SELECT k.org_id AS key_org, k.code AS key_code, k.holder_id AS key_holder, c.*, {_LIMITS}
FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS k(org_id, code, holder_id)
JOIN coupons c ON c.org_id = k.org_id AND c.code = k.code AND c.shared_code = false
{_SERIES_OF_C}
WHERE c.customer_id IS NOT NULL
UNION ALL
SELECT k.org_id, k.code, k.holder_id, c.*, {_LIMITS}
FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS k(org_id, code, holder_id)
JOIN coupons c ON c.org_id = k.org_id AND c.code = k.code AND c.shared_code = true
  AND c.customer_id = k.holder_id
{_SERIES_OF_C}
"""
SHARED_CODES = """
SELECT k.org_id, k.code FROM unnest($1::bigint[], $2::text[]) AS k(org_id, code)
WHERE EXISTS (
  SELECT 1 FROM coupons c WHERE c.org_id = k.org_id AND c.code = k.code
  AND c.shared_code = true AND c.customer_id IS NOT NULL
)
"""
# The first redemption of a limited series creates its counter row; the no-op update locks it.
LOCK_SERIES_USES = """
INSERT INTO series_redemptions AS r (org_id, series_id, redeemed)
SELECT k.org_id, k.series_id, 0 FROM unnest($1::bigint[], $2::bigint[]) AS k(org_id, series_id)
ORDER BY k.org_id, k.series_id
ON CONFLICT (org_id, series_id) DO UPDATE SET redeemed = r.redeemed
RETURNING r.org_id, r.series_id, r.redeemed
"""
LOCK_COUPONS = """
SELECT c.id FROM coupons c
JOIN unnest($1::bigint[], $2::bigint[]) AS k(org_id, id) ON c.org_id = k.org_id AND c.id = k.id
ORDER BY c.id
FOR UPDATE OF c
"""
COUPONS_BY_IDS = f"""
SELECT c.*, {_LIMITS} FROM coupons c
JOIN unnest($1::bigint[], $2::bigint[]) AS k(org_id, id) ON c.org_id = k.org_id AND c.id = k.id
{_SERIES_OF_C}
WHERE c.customer_id IS NOT NULL
"""
WITH_REQUEST_IDS = """
SELECT r.*, c.code FROM redemptions r
JOIN unnest($1::bigint[], $2::text[]) AS k(org_id, request_id)
  ON r.org_id = k.org_id AND r.request_id = k.request_id
JOIN coupons c ON c.id = r.coupon_id
"""
# Ids are taken first, so each row's id is known whatever order RETURNING gives.
NEXT_REDEMPTION_IDS = """
SELECT nextval(pg_get_serial_sequence('redemptions', 'id')) FROM generate_series(1, $1)
"""
ADD_REDEMPTIONS = """
INSERT INTO redemptions (id, org_id, coupon_id, series_id, customer_id, redeemed_at,
  bill_number, bill_amount, request_id, fingerprint)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
  $6::timestamp[], $7::text[], $8::bigint[], $9::text[], $10::text[])
ON CONFLICT (org_id, request_id) DO NOTHING
RETURNING id
"""
TAKE_USES = """
UPDATE coupons c
SET redemption_count = c.redemption_count + u.uses,
    latest_redeemed_at = greatest(c.latest_redeemed_at, u.latest_at)
FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::timestamp[])
  AS u(org_id, id, uses, latest_at)
WHERE c.org_id = u.org_id AND c.id = u.id
"""
ADD_SERIES_USES = """
UPDATE series_redemptions r SET redeemed = r.redeemed + u.uses
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(org_id, series_id, uses)
WHERE r.org_id = u.org_id AND r.series_id = u.series_id
"""
COUNT_REDEEMED = """
INSERT INTO series_counters AS c (org_id, series_id, shard, num_redeemed, latest_redeemed_at)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::timestamp[])
ON CONFLICT (org_id, series_id, shard) DO UPDATE
SET num_redeemed = c.num_redeemed + excluded.num_redeemed,
    latest_redeemed_at = greatest(c.latest_redeemed_at, excluded.latest_redeemed_at)
"""


def _without_keys(row: asyncpg.Record) -> dict[str, Any]:
    return {name: value for name, value in row.items() if not name.startswith("key_")}


class PostgresRedemptionStore(PostgresBatchStore):
    def coupons_with_codes(self, keys: Collection[CodeKey]) -> dict[CodeKey, Coupon]:
        if not keys:
            return {}
        found: dict[CodeKey, Coupon] = {}
        for row in self._fetch(COUPONS_WITH_CODES, *as_columns(list(keys), 3)):
            key = CodeKey(row["key_org"], row["key_code"], row["key_holder"])
            if key not in found or not row["shared_code"]:  # An unshared code comes first.
                found[key] = coupon_from_mapping(_without_keys(row))
        return found

    def shared_codes(self, keys: Collection[tuple[int, str]]) -> set[tuple[int, str]]:
        if not keys:
            return set()
        rows = self._fetch(SHARED_CODES, *as_columns(list(keys), 2))
        return {(row["org_id"], row["code"]) for row in rows}

    def lock_series_uses(self, keys: Collection[SeriesKey]) -> dict[SeriesKey, int]:
        if not keys:
            return {}
        rows = self._fetch(LOCK_SERIES_USES, *as_columns(sorted(keys), 2))
        return {(r["org_id"], r["series_id"]): int(r["redeemed"]) for r in rows}

    def load_coupons(self, keys: Collection[CouponKey], *, lock: bool) -> dict[int, Coupon]:
        if not keys:
            return {}
        columns = as_columns(sorted(keys, key=lambda key: key[1]), 2)
        if lock:
            self._execute(LOCK_COUPONS, *columns)
        return {
            row["id"]: coupon_from_mapping(dict(row.items()))
            for row in self._fetch(COUPONS_BY_IDS, *columns)
        }

    def redemptions_with_request_ids(
        self, keys: Collection[RequestKey]
    ) -> dict[RequestKey, StoredRedemption]:
        if not keys:
            return {}
        return {
            (row["org_id"], row["request_id"]): StoredRedemption(
                redemption_from_mapping(dict(row.items())), row["fingerprint"]
            )
            for row in self._fetch(WITH_REQUEST_IDS, *as_columns(list(keys), 2))
        }

    def add_redemptions(self, new: Sequence[NewRedemption]) -> list[int | None]:
        if not new:
            return []
        ids = [row[0] for row in self._fetch(NEXT_REDEMPTION_IDS, len(new))]
        rows = [
            (
                redemption_id,
                one.org_id,
                one.coupon_id,
                one.series_id,
                one.customer_id,
                to_db(one.redeemed_at),
                one.bill_number,
                one.bill_amount,
                one.request_id,
                one.fingerprint,
            )
            for redemption_id, one in zip(ids, new, strict=True)
        ]
        stored = {row["id"] for row in self._fetch(ADD_REDEMPTIONS, *as_columns(rows, 10))}
        return [redemption_id if redemption_id in stored else None for redemption_id in ids]

    def take_uses(self, uses: Sequence[UsesTaken]) -> None:
        if uses:
            rows = [(u.org_id, u.coupon_id, u.uses, to_db(u.latest_at)) for u in uses]
            self._execute(TAKE_USES, *as_columns(rows, 4))

    def add_series_uses(self, uses: Sequence[tuple[SeriesKey, int]]) -> None:
        if uses:
            self._execute(ADD_SERIES_USES, *as_columns([(*key, n) for key, n in uses], 3))

    def count_redemptions(self, counts: Sequence[SeriesRedeemed]) -> None:
        if counts:
            # Concurrent batches spread over the shards, as the issuing batches do.
            shard = random.randrange(COUNTER_SHARDS)
            rows = [(c.org_id, c.series_id, shard, c.redeemed, to_db(c.latest_at)) for c in counts]
            self._execute(COUNT_REDEEMED, *as_columns(rows, 5))
