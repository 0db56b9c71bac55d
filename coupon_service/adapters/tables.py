"""The database schema. Invariants live here: unique codes per organisation, unique identifiers."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ..domain.model import ISSUANCE_FIELDS

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

orgs = Table(
    "orgs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

# Customers and series are keyed by (org, id): an id is only meaningful inside its org, so one
# org choosing an id can never learn that another org already uses it.
customers = Table(
    "customers",
    metadata,
    Column("org_id", Id, ForeignKey("orgs.id"), primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("first_name", String(100), nullable=False, server_default=""),
    Column("last_name", String(100), nullable=False, server_default=""),
    Column("mobile", String(32)),
    Column("email", String(255)),
    Column("external_id", String(64)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("org_id", "mobile"),
    UniqueConstraint("org_id", "email"),
    UniqueConstraint("org_id", "external_id"),
)

series = Table(
    "series",
    metadata,
    Column("org_id", Id, ForeignKey("orgs.id"), primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("description", String(500), nullable=False, server_default=""),
    Column("discount_code", String(100), nullable=False, server_default=""),
    Column("info", String(2000), nullable=False, server_default=""),
    Column("discount_type", String(8), nullable=False),
    Column("discount_value", Integer, nullable=False, server_default="0"),
    Column("discount_upto", Integer, nullable=False, server_default="0"),
    Column("discount_on", String(32), nullable=False, server_default="BILL"),
    Column("code_source", String(16), nullable=False),
    Column("random_code_length", Integer, nullable=False, server_default="10"),
    Column("alpha_numeric", Boolean, nullable=False, server_default=text("false")),
    Column("code_prefix", String(16), nullable=False, server_default=""),
    Column("code_suffix", String(16), nullable=False, server_default=""),
    Column("generic_code", String(64), nullable=False, server_default=""),
    Column("valid_till", DateTime),
    Column("coupon_validity", String(24), nullable=False),
    Column("fixed_expiry_date", DateTime),
    Column("valid_days_after_issue", Integer, nullable=False, server_default="0"),
    Column("max_create", BigInteger),
    Column("multiple_per_user_allowed", Boolean, nullable=False, server_default=text("false")),
    Column("max_vouchers_per_user", Integer),
    Column("do_not_resend_existing", Boolean, nullable=False, server_default=text("false")),
    Column("externally_managed", Boolean, nullable=False, server_default=text("false")),
    Column("redemption_valid_after_days", Integer, nullable=False, server_default="0"),
    Column("custom_properties", Text, nullable=False, server_default="{}"),
    Column("num_uploaded", BigInteger, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("max_redemptions_per_coupon", Integer, nullable=False, server_default="1"),
    Column("max_redemptions_per_customer", Integer),
    Column("max_redemptions", BigInteger),
)

# How many coupons a series has issued, kept apart from its row: a popular series would
# otherwise be one hot row that every issuing batch on every replica queues on. Each batch adds
# its count to one shard of its choosing; the series' count is the sum of its shards. A series
# with a limit is locked while a batch issues from it, so the sum read under that lock is exact.
# Redemptions count the same way: each adds one to a shard, a reversal takes one off a shard
# (which may leave that shard below zero; only the sum means anything).
COUNTER_SHARDS = 16
series_counters = Table(
    "series_counters",
    metadata,
    Column("org_id", Id, primary_key=True),
    Column("series_id", BigInteger, primary_key=True),
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("num_issued", BigInteger, nullable=False, server_default="0"),
    Column("latest_issued_at", DateTime),
    Column("num_redeemed", BigInteger, nullable=False, server_default="0"),
    Column("latest_redeemed_at", DateTime),
    ForeignKeyConstraint(["org_id", "series_id"], ["series.org_id", "series.id"]),
)

# An uploaded code is a coupon row with no customer yet; issuing it fills customer_id.
# So one unique index keeps uploaded and generated codes apart within an organisation.
coupons = Table(
    "coupons",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", Id, ForeignKey("orgs.id"), nullable=False),
    Column("series_id", BigInteger, nullable=False),
    Column("customer_id", BigInteger),
    Column("code", String(100), nullable=False),
    Column("shared_code", Boolean, nullable=False, server_default=text("false")),
    Column("issued_at", DateTime),
    Column("valid_till", DateTime),
    Column("redemption_count", Integer, nullable=False, server_default="0"),
    # IssuanceMetadata (source_type, source_id, source_activity, notes, reason), sized as the
    # domain limits each.
    *(
        Column(field.attribute, String(field.max_length), nullable=False, server_default="")
        for field in ISSUANCE_FIELDS
    ),
    Column("request_id", String(128)),
    # Redemptions take uses with a guarded update of redemption_count (< the series' limit,
    # and never once revoked_at is set), so the row itself holds the limit.
    Column("latest_redeemed_at", DateTime),
    Column("revoked_at", DateTime),
    Column("revoke_reason", String(250), nullable=False, server_default=""),
    ForeignKeyConstraint(["org_id", "series_id"], ["series.org_id", "series.id"]),
    ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
    # Per-customer counts and pool claims: (series, NULL customer) rows in id order.
    # A plain index, not a partial one: SQLite's planner drops a partial index after ANALYZE.
    Index(None, "org_id", "series_id", "customer_id", "id"),
    Index(None, "org_id", "customer_id", "id"),
    Index(
        "uq_coupons_org_id_code_unshared",
        "org_id",
        "code",
        unique=True,
        sqlite_where=text("shared_code = 0"),
        postgresql_where=text("shared_code = false"),
    ),
    # A GENERIC code is one row per customer holding it: looked up by code and customer.
    Index(
        "ix_coupons_org_id_code_customer_id_shared",
        "org_id",
        "code",
        "customer_id",
        sqlite_where=text("shared_code = 1"),
        postgresql_where=text("shared_code = true"),
    ),
    # ListSeriesCoupons pages through a series by issue time: every filter but sourceId and
    # REVOKED is read off this order, sourceId and revocations (rare) have their own. Only
    # coupons issued with a sourceId are in its index: the others never pay for it.
    Index(None, "org_id", "series_id", "issued_at", "id"),
    Index(
        "ix_coupons_org_id_series_id_source_id_issued_at_id_sourced",
        "org_id",
        "series_id",
        "source_id",
        "issued_at",
        "id",
        sqlite_where=text("source_id <> ''"),
        postgresql_where=text("source_id <> ''"),
    ),
    Index(
        "ix_coupons_org_id_series_id_issued_at_id_revoked",
        "org_id",
        "series_id",
        "issued_at",
        "id",
        sqlite_where=text("revoked_at IS NOT NULL"),
        postgresql_where=text("revoked_at IS NOT NULL"),
    ),
)

# One use of a coupon. A reversal stamps reversed_at and keeps the row. The request id is the
# idempotency key of the call that redeemed: unique per organisation, kept with its redemption
# for good, with a digest of that call's request so a different request under it is refused.
redemptions = Table(
    "redemptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", Id, ForeignKey("orgs.id"), nullable=False),
    Column("coupon_id", Id, ForeignKey("coupons.id"), nullable=False),
    Column("series_id", BigInteger, nullable=False),
    Column("customer_id", BigInteger, nullable=False),
    Column("redeemed_at", DateTime, nullable=False),
    Column("bill_number", String(100), nullable=False, server_default=""),
    Column("bill_amount", BigInteger),  # In the currency's minor unit: exact, no rounding.
    Column("reversed_at", DateTime),
    Column("request_id", String(128)),
    Column("fingerprint", String(64)),
    ForeignKeyConstraint(["org_id", "series_id"], ["series.org_id", "series.id"]),
    ForeignKeyConstraint(["org_id", "customer_id"], ["customers.org_id", "customers.id"]),
    UniqueConstraint("org_id", "request_id"),
    Index(None, "coupon_id", "id"),
)

# The total limit of a GENERIC series (maxRedemptions): its redemptions not reversed, in one
# row per limited series, taken with a guarded increment. Only such series have a row, so an
# unlimited series' redemptions never queue on one.
series_redemptions = Table(
    "series_redemptions",
    metadata,
    Column("org_id", Id, primary_key=True),
    Column("series_id", BigInteger, primary_key=True, autoincrement=False),
    Column("redeemed", BigInteger, nullable=False, server_default="0"),
    ForeignKeyConstraint(["org_id", "series_id"], ["series.org_id", "series.id"]),
)

# The event feed (domain/events.py): one row per change to a coupon, written in the change's
# transaction. The facts that never change (code, customer, metadata, the bill) are read from
# the coupon and the redemption the event names, so an event row stays this small.
events = Table(
    "events",
    metadata,
    Column("org_id", Id, primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("type", SmallInteger, nullable=False),
    Column("coupon_id", Id, nullable=False),
    Column("redemption_id", Id),
    Column("occurred_at", DateTime, nullable=False),
    sqlite_with_rowid=False,  # One b-tree in position order, as PostgreSQL's primary key.
)

# Each organisation's last position taken. A transaction takes its events' positions from
# this row as its last statement, so the row's lock orders the commits: a position is never
# visible before a smaller one. `pruned_through` is the last position the pruner removed.
event_feeds = Table(
    "event_feeds",
    metadata,
    Column("org_id", Id, ForeignKey("orgs.id"), primary_key=True),
    Column("head", BigInteger, nullable=False, server_default="0"),
    Column("pruned_through", BigInteger, nullable=False, server_default="0"),
)

# What the head was at a moment, noted by the pruner on each round: the events up to a note
# older than the retention window are all older than it too, and can go.
event_marks = Table(
    "event_marks",
    metadata,
    Column("org_id", Id, primary_key=True),
    Column("noted_at", DateTime, primary_key=True),
    Column("head", BigInteger, nullable=False),
)

issue_requests = Table(
    "issue_requests",
    metadata,
    Column("org_id", Id, ForeignKey("orgs.id"), primary_key=True),
    Column("request_id", String(128), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("created_at", DateTime, nullable=False, index=True),  # For the pruner.
)

# A key's secret is kept only as a salted digest; revoking stamps revoked_at and keeps the row.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("org_id", Id, ForeignKey("orgs.id"), nullable=False, index=True),
    Column("secret_hash", String(100), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("scopes", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)
