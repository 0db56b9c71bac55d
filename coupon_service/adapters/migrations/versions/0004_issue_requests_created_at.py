"""Index idempotency keys by when they were stored, for the pruner

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 08:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_issue_requests_created_at", "issue_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_issue_requests_created_at", table_name="issue_requests")
