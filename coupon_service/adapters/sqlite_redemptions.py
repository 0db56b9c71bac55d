"""Redemption batches on SQLite: the steps of service/redemption_store.py as plain sqlite3 calls,
run in the driver's thread like the issuing batches (sqlite_runner.py).

BEGIN IMMEDIATE makes the batch SQLite's only writer, so nothing needs locking: the "locks"
read the rows, which no one else can change until the commit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

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
from ._rows import coupon_from_mapping, redemption_from_mapping
from .sqlite_batch import SqliteBatchStore
from .sqlite_runner import from_text, to_text

# A coupon with the limits of its series (as coupon_repository's _WITH_LIMITS).
_COUPONS = (
    "SELECT c.*, s.code_source, s.max_redemptions_per_coupon, s.max_redemptions_per_customer"
    " FROM coupons c JOIN series s ON s.org_id = c.org_id AND s.id = c.series_id"
    " WHERE c.customer_id IS NOT NULL AND c.org_id = ?"
)
_UNSHARED_CODE = _COUPONS + " AND c.code = ? AND c.shared_code = 0"
_HELD_SHARED_CODE = _COUPONS + " AND c.code = ? AND c.shared_code = 1 AND c.customer_id = ?"
_BY_ID = _COUPONS + " AND c.id = ?"
_SHARED_CODE_HELD = (
    "SELECT 1 FROM coupons WHERE org_id = ? AND code = ? AND shared_code = 1"
    " AND customer_id IS NOT NULL LIMIT 1"
)
_WITH_REQUEST_ID = (
    "SELECT r.*, c.code FROM redemptions r JOIN coupons c ON c.id = r.coupon_id"
    " WHERE r.org_id = ? AND r.request_id = ?"
)
_ADD_REDEMPTION = (
    "INSERT INTO redemptions (org_id, coupon_id, series_id, customer_id, redeemed_at,"
    " bill_number, bill_amount, request_id, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (org_id, request_id) DO NOTHING RETURNING id"
)
_TAKE_USES = (
    "UPDATE coupons SET redemption_count = redemption_count + ?,"
    " latest_redeemed_at = max(coalesce(latest_redeemed_at, ''), ?) WHERE org_id = ? AND id = ?"
)
_ADD_SERIES_USES = (
    "INSERT INTO series_redemptions (org_id, series_id, redeemed) VALUES (?, ?, ?)"
    " ON CONFLICT (org_id, series_id) DO UPDATE SET redeemed = redeemed + excluded.redeemed"
)
_COUNT_REDEEMED = (
    "INSERT INTO series_counters (org_id, series_id, shard, num_redeemed, latest_redeemed_at)"
    " VALUES (?, ?, 0, ?, ?) ON CONFLICT (org_id, series_id, shard) DO UPDATE SET"
    " num_redeemed = num_redeemed + excluded.num_redeemed,"
    " latest_redeemed_at = max(coalesce(latest_redeemed_at, ''), excluded.latest_redeemed_at)"
)


class SqliteRedemptionStore(SqliteBatchStore):
    def _coupon(self, sql: str, params: Sequence[object]) -> Coupon | None:
        rows = self._rows(sql, params)
        return coupon_from_mapping(rows[0], from_text) if rows else None

    def coupons_with_codes(self, keys: Collection[CodeKey]) -> dict[CodeKey, Coupon]:
        found = {}
        for key in keys:
            coupon = self._coupon(_UNSHARED_CODE, (key.org_id, key.code)) or self._coupon(
                _HELD_SHARED_CODE, (key.org_id, key.code, key.holder_id)
            )
            if coupon is not None:
                found[key] = coupon
        return found

    def shared_codes(self, keys: Collection[tuple[int, str]]) -> set[tuple[int, str]]:
        return {key for key in keys if self._db.execute(_SHARED_CODE_HELD, key).fetchone()}

    def lock_series_uses(self, keys: Collection[SeriesKey]) -> dict[SeriesKey, int]:
        used = {}
        for key in sorted(keys):
            row = self._db.execute(
                "SELECT redeemed FROM series_redemptions WHERE org_id = ? AND series_id = ?", key
            ).fetchone()
            used[key] = 0 if row is None else int(row[0])
        return used

    def load_coupons(self, keys: Collection[CouponKey], *, lock: bool) -> dict[int, Coupon]:
        found = {}
        for key in sorted(keys, key=lambda key: key.coupon_id):
            coupon = self._coupon(_BY_ID, key)
            if coupon is not None:
                found[coupon.id] = coupon
        return found

    def redemptions_with_request_ids(
        self, keys: Collection[RequestKey]
    ) -> dict[RequestKey, StoredRedemption]:
        stored = {}
        for key in keys:
            rows = self._rows(_WITH_REQUEST_ID, key)
            if rows:
                redemption = redemption_from_mapping(rows[0], from_text)
                stored[key] = StoredRedemption(redemption, rows[0]["fingerprint"])
        return stored

    def add_redemptions(self, new: Sequence[NewRedemption]) -> list[int | None]:
        ids: list[int | None] = []
        for one in new:
            row = self._db.execute(
                _ADD_REDEMPTION,
                (
                    one.org_id,
                    one.coupon_id,
                    one.series_id,
                    one.customer_id,
                    to_text(one.redeemed_at),
                    one.bill_number,
                    one.bill_amount,
                    one.request_id,
                    one.fingerprint,
                ),
            ).fetchone()
            ids.append(None if row is None else row[0])
        return ids

    def take_uses(self, uses: Sequence[UsesTaken]) -> None:
        self._db.executemany(
            _TAKE_USES,
            [(u.uses, to_text(u.latest_at), u.org_id, u.coupon_id) for u in uses],
        )

    def add_series_uses(self, uses: Sequence[tuple[SeriesKey, int]]) -> None:
        self._db.executemany(_ADD_SERIES_USES, [(*key, count) for key, count in uses])

    def count_redemptions(self, counts: Sequence[SeriesRedeemed]) -> None:
        self._db.executemany(
            _COUNT_REDEEMED,
            [(c.org_id, c.series_id, c.redeemed, to_text(c.latest_at)) for c in counts],
        )
