"""Idempotency keys past their window, removed a chunk at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from ._convert import to_db
from .tables import issue_requests


class SqlRequestRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def remove_stored_before(self, moment: datetime, limit: int) -> int:
        oldest = (
            select(issue_requests.c.org_id, issue_requests.c.request_id)
            .where(issue_requests.c.created_at < to_db(moment))
            .order_by(issue_requests.c.created_at)
            .limit(limit)
        )
        key = tuple_(issue_requests.c.org_id, issue_requests.c.request_id)
        result = await self._connection.execute(delete(issue_requests).where(key.in_(oldest)))
        return int(result.rowcount)
