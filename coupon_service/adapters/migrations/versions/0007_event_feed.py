"""The event feed: events, each organisation's feed head and the pruner's marks; coupons
issued without a sourceId leave the sourceId index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-24 08:00:00.000000

The feed starts with this revision: changes made before it have no events.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_SOURCE_COLUMNS = ["org_id", "series_id", "source_id", "issued_at", "id"]
_FULL_SOURCE_INDEX = "ix_coupons_org_id_series_id_source_id_issued_at_id"
_SOURCED_INDEX = "ix_coupons_org_id_series_id_source_id_issued_at_id_sourced"


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.SmallInteger(), nullable=False),
        sa.Column("coupon_id", _ID, nullable=False),
        sa.Column("redemption_id", _ID, nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "position", name=op.f("pk_events")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "event_feeds",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("head", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pruned_through", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_event_feeds_org_id_orgs")),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_event_feeds")),
    )
    op.create_table(
        "event_marks",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("noted_at", sa.DateTime(), nullable=False),
        sa.Column("head", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "noted_at", name=op.f("pk_event_marks")),
    )
    op.create_index(
        _SOURCED_INDEX,
        "coupons",
        _SOURCE_COLUMNS,
        sqlite_where=sa.text("source_id <> ''"),
        postgresql_where=sa.text("source_id <> ''"),
    )
    op.drop_index(_FULL_SOURCE_INDEX, table_name="coupons")


def downgrade() -> None:
    op.create_index(_FULL_SOURCE_INDEX, "coupons", _SOURCE_COLUMNS)
    op.drop_index(_SOURCED_INDEX, table_name="coupons")
    op.drop_table("event_marks")
    op.drop_table("event_feeds")
    op.drop_table("events")
