"""Redemptions: coupons can be redeemed, reversed and revoked; series get redemption limits

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_COUPON_INDEXES = {
    "ix_coupons_org_id_series_id_issued_at_id": ["org_id", "series_id", "issued_at", "id"],
    "ix_coupons_org_id_series_id_source_id_issued_at_id": [
        "org_id",
        "series_id",
        "source_id",
        "issued_at",
        "id",
    ],
}


def upgrade() -> None:
    # Plain ADD COLUMNs: both databases add them in place (PostgreSQL keeps a constant default
    # in the catalogue), where a batch copy would rewrite the coupons table.
    op.add_column(
        "series",
        sa.Column("max_redemptions_per_coupon", sa.Integer(), server_default="1", nullable=False),
    )
    op.add_column("series", sa.Column("max_redemptions_per_customer", sa.Integer(), nullable=True))
    op.add_column("series", sa.Column("max_redemptions", sa.BigInteger(), nullable=True))
    op.add_column("coupons", sa.Column("latest_redeemed_at", sa.DateTime(), nullable=True))
    op.add_column("coupons", sa.Column("revoked_at", sa.DateTime(), nullable=True))
    op.add_column(
        "coupons",
        sa.Column("revoke_reason", sa.String(length=250), server_default="", nullable=False),
    )
    for name, columns in _COUPON_INDEXES.items():
        op.create_index(name, "coupons", columns)
    op.create_index(
        "ix_coupons_org_id_series_id_issued_at_id_revoked",
        "coupons",
        ["org_id", "series_id", "issued_at", "id"],
        sqlite_where=sa.text("revoked_at IS NOT NULL"),
        postgresql_where=sa.text("revoked_at IS NOT NULL"),
    )
    op.create_index(
        "ix_coupons_org_id_code_customer_id_shared",
        "coupons",
        ["org_id", "code", "customer_id"],
        sqlite_where=sa.text("shared_code = 1"),
        postgresql_where=sa.text("shared_code = true"),
    )
    op.create_table(
        "redemptions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("coupon_id", _ID, nullable=False),
        sa.Column("series_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(), nullable=False),
        sa.Column("bill_number", sa.String(length=100), server_default="", nullable=False),
        sa.Column("bill_amount", sa.BigInteger(), nullable=True),
        sa.Column("reversed_at", sa.DateTime(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_redemptions_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "customer_id"],
            ["customers.org_id", "customers.id"],
            name=op.f("fk_redemptions_org_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "series_id"],
            ["series.org_id", "series.id"],
            name=op.f("fk_redemptions_org_id_series"),
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_redemptions_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
        sa.UniqueConstraint("org_id", "request_id", name=op.f("uq_redemptions_org_id_request_id")),
    )
    op.create_index("ix_redemptions_coupon_id_id", "redemptions", ["coupon_id", "id"])
    op.create_table(
        "series_redemptions",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("series_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("redeemed", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "series_id"],
            ["series.org_id", "series.id"],
            name=op.f("fk_series_redemptions_org_id_series"),
        ),
        sa.PrimaryKeyConstraint("org_id", "series_id", name=op.f("pk_series_redemptions")),
    )


def downgrade() -> None:
    op.drop_table("series_redemptions")
    op.drop_index("ix_redemptions_coupon_id_id", table_name="redemptions")
    op.drop_table("redemptions")
    for name in (
        "ix_coupons_org_id_code_customer_id_shared",
        "ix_coupons_org_id_series_id_issued_at_id_revoked",
        *_COUPON_INDEXES,
    ):
        op.drop_index(name, table_name="coupons")
    # SQLite (3.35+) and PostgreSQL both drop a plain column in place, as 0003 does.
    for table, column in (
        ("coupons", "revoke_reason"),
        ("coupons", "revoked_at"),
        ("coupons", "latest_redeemed_at"),
        ("series", "max_redemptions"),
        ("series", "max_redemptions_per_customer"),
        ("series", "max_redemptions_per_coupon"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
