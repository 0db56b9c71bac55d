"""Series counters in shards: issuing no longer updates the series row

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "series_counters",
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("series_id", sa.BigInteger(), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("num_issued", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("latest_issued_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id", "series_id"],
            ["series.org_id", "series.id"],
            name=op.f("fk_series_counters_org_id_series"),
        ),
        sa.PrimaryKeyConstraint("org_id", "series_id", "shard", name=op.f("pk_series_counters")),
    )
    op.execute(
        "INSERT INTO series_counters (org_id, series_id, shard, num_issued, latest_issued_at) "
        "SELECT org_id, id, 0, num_issued, latest_issued_at FROM series "
        "WHERE num_issued > 0 OR latest_issued_at IS NOT NULL"
    )
    # SQLite (3.35+) and PostgreSQL both drop a plain column in place; a batch copy of the
    # series table would have to drop a table the coupons refer to.
    op.execute("ALTER TABLE series DROP COLUMN num_issued")
    op.execute("ALTER TABLE series DROP COLUMN latest_issued_at")
    if op.get_bind().dialect.name == "postgresql":
        # Every batch updates a counter row: vacuum them often, and leave room on each page
        # so the new row versions stay on it (HOT updates, no index churn).
        op.execute(
            "ALTER TABLE series_counters SET (fillfactor = 50, "
            "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500, "
            "autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 500)"
        )


def downgrade() -> None:
    op.add_column(
        "series", sa.Column("num_issued", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column("series", sa.Column("latest_issued_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE series SET num_issued = (SELECT coalesce(sum(c.num_issued), 0) "
        "FROM series_counters c WHERE c.org_id = series.org_id AND c.series_id = series.id), "
        "latest_issued_at = (SELECT max(c.latest_issued_at) FROM series_counters c "
        "WHERE c.org_id = series.org_id AND c.series_id = series.id)"
    )
    op.drop_table("series_counters")
