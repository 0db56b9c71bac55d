"""The statements of an issuing batch on PostgreSQL: each takes the whole batch as arrays."""

from __future__ import annotations

from ..domain.model import IdentifierType

CLAIM_REQUESTS = """
INSERT INTO issue_requests (org_id, request_id, fingerprint, outcome, created_at)
SELECT k.org_id, k.request_id, k.fingerprint, '', $4
FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k(org_id, request_id, fingerprint)
ON CONFLICT (org_id, request_id) DO UPDATE
  SET fingerprint = excluded.fingerprint, outcome = '', created_at = excluded.created_at
  WHERE issue_requests.created_at < $5
RETURNING org_id, request_id
"""
STORED_REQUESTS = """
SELECT r.org_id, r.request_id, r.fingerprint, r.outcome
FROM issue_requests r
JOIN unnest($1::bigint[], $2::text[]) AS k(org_id, request_id)
  ON r.org_id = k.org_id AND r.request_id = k.request_id
"""
STORE_OUTCOMES = """
UPDATE issue_requests r SET outcome = k.outcome
FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k(org_id, request_id, outcome)
WHERE r.org_id = k.org_id AND r.request_id = k.request_id
"""
RELEASE_REQUESTS = """
DELETE FROM issue_requests r
USING unnest($1::bigint[], $2::text[]) AS k(org_id, request_id)
WHERE r.org_id = k.org_id AND r.request_id = k.request_id
"""
_CUSTOMER_COLUMNS = {
    IdentifierType.ID: ("id", "bigint"),
    IdentifierType.MOBILE: ("mobile", "text"),
    IdentifierType.EMAIL: ("email", "text"),
    IdentifierType.EXTERNAL_ID: ("external_id", "text"),
}
FIND_CUSTOMERS = {
    kind: f"""
SELECT k.org_id AS key_org, k.value AS key_value, c.*
FROM unnest($1::bigint[], $2::{sql_type}[]) AS k(org_id, value)
JOIN customers c ON c.org_id = k.org_id AND c.{column} = k.value
"""
    for kind, (column, sql_type) in _CUSTOMER_COLUMNS.items()
}
LOCK_SERIES = """
SELECT s.id FROM series s
JOIN unnest($1::bigint[], $2::bigint[]) AS k(org_id, id) ON s.org_id = k.org_id AND s.id = k.id
ORDER BY s.org_id, s.id
FOR UPDATE OF s
"""
SERIES = """
SELECT s.*,
  coalesce((SELECT sum(c.num_issued) FROM series_counters c
            WHERE c.org_id = s.org_id AND c.series_id = s.id), 0)::bigint AS num_issued,
  (SELECT max(c.latest_issued_at) FROM series_counters c
   WHERE c.org_id = s.org_id AND c.series_id = s.id) AS latest_issued_at,
  coalesce((SELECT sum(c.num_redeemed) FROM series_counters c
            WHERE c.org_id = s.org_id AND c.series_id = s.id), 0)::bigint AS num_redeemed,
  (SELECT max(c.latest_redeemed_at) FROM series_counters c
   WHERE c.org_id = s.org_id AND c.series_id = s.id) AS latest_redeemed_at
FROM series s
JOIN unnest($1::bigint[], $2::bigint[]) AS k(org_id, id) ON s.org_id = k.org_id AND s.id = k.id
"""
HOLDINGS = """
SELECT c.org_id, c.series_id, c.customer_id, count(*) AS held,
  min(c.id) FILTER (WHERE c.revoked_at IS NULL) AS first
FROM coupons c
JOIN unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS k(org_id, series_id, customer_id)
  ON c.org_id = k.org_id AND c.series_id = k.series_id AND c.customer_id = k.customer_id
GROUP BY c.org_id, c.series_id, c.customer_id
"""
# SKIP LOCKED passes over pool rows another batch has reserved instead of queueing behind it.
# The ORDER BY names the index's own columns: "ORDER BY id" alone was planned as a sort of the
# whole pool (330 ms on a million codes), because IS NULL does not count as an equality there.
RESERVE_POOL = """
SELECT id, code FROM coupons
WHERE org_id = $1 AND series_id = $2 AND customer_id IS NULL
ORDER BY org_id, series_id, customer_id, id LIMIT $3
FOR UPDATE SKIP LOCKED
"""
INSERT_COUPONS = """
INSERT INTO coupons (org_id, series_id, customer_id, code, shared_code, issued_at, valid_till,
                     source_type, source_id, source_activity, notes, reason, request_id)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bool[],
                     $6::timestamp[], $7::timestamp[], $8::text[], $9::text[], $10::text[],
                     $11::text[], $12::text[], $13::text[])
ON CONFLICT DO NOTHING
RETURNING id, org_id, series_id, customer_id, code, shared_code
"""
ASSIGN_POOL = """
UPDATE coupons c SET customer_id = k.customer_id, issued_at = k.issued_at,
  valid_till = k.valid_till, source_type = k.source_type, source_id = k.source_id,
  source_activity = k.source_activity, notes = k.notes, reason = k.reason,
  request_id = k.request_id
FROM unnest($1::bigint[], $2::bigint[], $3::timestamp[], $4::timestamp[], $5::text[],
            $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
  AS k(id, customer_id, issued_at, valid_till, source_type, source_id, source_activity,
       notes, reason, request_id)
WHERE c.id = k.id
"""
DELETE_COUPONS = "DELETE FROM coupons WHERE id = ANY($1::bigint[])"
# Rows in key order, so two batches adding to the same shards never wait in a ring.
ADD_ISSUED = """
INSERT INTO series_counters AS c (org_id, series_id, shard, num_issued, latest_issued_at)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::timestamp[])
ON CONFLICT (org_id, series_id, shard) DO UPDATE
SET num_issued = c.num_issued + excluded.num_issued,
    latest_issued_at = greatest(c.latest_issued_at, excluded.latest_issued_at)
"""
ISSUED_COUNTS = """
SELECT c.org_id, c.series_id, sum(c.num_issued)::bigint AS issued, max(c.latest_issued_at) AS latest
FROM series_counters c
JOIN unnest($1::bigint[], $2::bigint[]) AS k(org_id, series_id)
  ON c.org_id = k.org_id AND c.series_id = k.series_id
GROUP BY c.org_id, c.series_id
"""
COUPONS_BY_IDS = """
SELECT id, code, series_id, issued_at, valid_till, redemption_count
FROM coupons WHERE org_id = $1 AND id = ANY($2::bigint[])
"""
ADD_POOL_CODES = """
INSERT INTO coupons (org_id, series_id, code, shared_code)
SELECT $1, $2, code, false FROM unnest($3::text[]) AS code
ON CONFLICT DO NOTHING
RETURNING code
"""
ADD_UPLOADED = "UPDATE series SET num_uploaded = num_uploaded + $1 WHERE org_id = $2 AND id = $3"
# One organisation's events at the next positions of its feed: the feed's row is advanced and
# stays locked until the commit, so the positions come out in commit order.
APPEND_EVENTS = """
WITH feed AS (
  INSERT INTO event_feeds AS f (org_id, head) VALUES ($1, cardinality($2::smallint[]))
  ON CONFLICT (org_id) DO UPDATE SET head = f.head + excluded.head
  RETURNING f.head
)
INSERT INTO events (org_id, position, type, coupon_id, redemption_id, occurred_at)
SELECT $1, feed.head - cardinality($2::smallint[]) + e.n, e.type, e.coupon_id, e.redemption_id,
  e.occurred_at
FROM feed, unnest($2::smallint[], $3::bigint[], $4::bigint[], $5::timestamp[])
  WITH ORDINALITY AS e(type, coupon_id, redemption_id, occurred_at, n)
"""
