"""Initial schema: orgs, customers, series, coupons, issue requests

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:27:30.458757
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orgs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orgs")),
        sa.UniqueConstraint("name", name=op.f("uq_orgs_name")),
    )
    op.create_table(
        "customers",
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("last_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("mobile", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_customers_org_id_orgs")),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_customers")),
        sa.UniqueConstraint("org_id", "email", name=op.f("uq_customers_org_id_email")),
        sa.UniqueConstraint("org_id", "external_id", name=op.f("uq_customers_org_id_external_id")),
        sa.UniqueConstraint("org_id", "mobile", name=op.f("uq_customers_org_id_mobile")),
    )
    op.create_table(
        "issue_requests",
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_issue_requests_org_id_orgs")
        ),
        sa.PrimaryKeyConstraint("org_id", "request_id", name=op.f("pk_issue_requests")),
    )
    op.create_table(
        "series",
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("discount_code", sa.String(length=100), server_default="", nullable=False),
        sa.Column("info", sa.String(length=2000), server_default="", nullable=False),
        sa.Column("discount_type", sa.String(length=8), nullable=False),
        sa.Column("discount_value", sa.Integer(), server_default="0", nullable=False),
        sa.Column("discount_upto", sa.Integer(), server_default="0", nullable=False),
        sa.Column("discount_on", sa.String(length=32), server_default="BILL", nullable=False),
        sa.Column("code_source", sa.String(length=16), nullable=False),
        sa.Column("random_code_length", sa.Integer(), server_default="10", nullable=False),
        sa.Column("alpha_numeric", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("code_prefix", sa.String(length=16), server_default="", nullable=False),
        sa.Column("code_suffix", sa.String(length=16), server_default="", nullable=False),
        sa.Column("generic_code", sa.String(length=64), server_default="", nullable=False),
        sa.Column("valid_till", sa.DateTime(), nullable=True),
        sa.Column("coupon_validity", sa.String(length=24), nullable=False),
        sa.Column("fixed_expiry_date", sa.DateTime(), nullable=True),
        sa.Column("valid_days_after_issue", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_create", sa.BigInteger(), nullable=True),
        sa.Column(
            "multiple_per_user_allowed",
            sa.Boolean(),
            server_default=sa.text("(false)"),
            nullable=False,
        ),
        sa.Column("max_vouchers_per_user", sa.Integer(), nullable=True),
        sa.Column(
            "do_not_resend_existing",
            sa.Boolean(),
            server_default=sa.text("(false)"),
            nullable=False,
        ),
        sa.Column(
            "externally_managed", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column("redemption_valid_after_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("custom_properties", sa.Text(), server_default="{}", nullable=False),
        sa.Column("num_issued", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("num_uploaded", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("latest_issued_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_series_org_id_orgs")),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_series")),
    )
    op.create_table(
        "coupons",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("series_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("shared_code", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("valid_till", sa.DateTime(), nullable=True),
        sa.Column("redemption_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source_type", sa.String(length=50), server_default="", nullable=False),
        sa.Column("source_id", sa.String(length=50), server_default="", nullable=False),
        sa.Column("source_activity", sa.String(length=50), server_default="", nullable=False),
        sa.Column("notes", sa.String(length=250), server_default="", nullable=False),
        sa.Column("reason", sa.String(length=250), server_default="", nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "customer_id"],
            ["customers.org_id", "customers.id"],
            name=op.f("fk_coupons_org_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "series_id"],
            ["series.org_id", "series.id"],
            name=op.f("fk_coupons_org_id_series"),
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_coupons_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupons_org_id_customer_id_id"),
            ["org_id", "customer_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_coupons_org_id_series_id_customer_id_id"),
            ["org_id", "series_id", "customer_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_coupons_org_id_code_unshared",
            ["org_id", "code"],
            unique=True,
            sqlite_where=sa.text("shared_code = 0"),
            postgresql_where=sa.text("shared_code = false"),
        )


def downgrade() -> None:
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_coupons_org_id_code_unshared",
            sqlite_where=sa.text("shared_code = 0"),
            postgresql_where=sa.text("shared_code = false"),
        )
        batch_op.drop_index(batch_op.f("ix_coupons_org_id_series_id_customer_id_id"))
        batch_op.drop_index(batch_op.f("ix_coupons_org_id_customer_id_id"))

    op.drop_table("coupons")
    op.drop_table("series")
    op.drop_table("issue_requests")
    op.drop_table("customers")
    op.drop_table("orgs")
