"""Series redemption counters: series_counters also counts redemptions and the latest one

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-17 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs, as in 0005.
    op.add_column(
        "series_counters",
        sa.Column("num_redeemed", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("series_counters", sa.Column("latest_redeemed_at", sa.DateTime(), nullable=True))
    # The redemptions made before this revision go to shard 0, so the sums count them too.
    # ("WHERE true" lets SQLite tell the upsert's ON CONFLICT from a join's ON.)
    op.execute(
        "INSERT INTO series_counters (org_id, series_id, shard, num_redeemed, latest_redeemed_at)"
        " SELECT org_id, series_id, 0,"
        " sum(CASE WHEN reversed_at IS NULL THEN 1 ELSE 0 END), max(redeemed_at)"
        " FROM redemptions WHERE true GROUP BY org_id, series_id"
        " ON CONFLICT (org_id, series_id, shard) DO UPDATE"
        " SET num_redeemed = excluded.num_redeemed,"
        " latest_redeemed_at = excluded.latest_redeemed_at"
    )


def downgrade() -> None:
    # SQLite (3.35+) and PostgreSQL both drop a plain column in place, as 0003 does.
    for column in ("latest_redeemed_at", "num_redeemed"):
        op.execute(f"ALTER TABLE series_counters DROP COLUMN {column}")
