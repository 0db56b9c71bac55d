"""Idempotency keys and the outcome of the call that first used each."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..service.unit_of_work import RequestIdTaken, StoredRequest
from ._convert import to_db
from .tables import issue_requests

_GET = select(issue_requests.c.fingerprint, issue_requests.c.outcome).where(
    issue_requests.c.org_id == bindparam("org_id"),
    issue_requests.c.request_id == bindparam("request_id"),
)


class SqlRequestRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, org_id: int, request_id: str) -> StoredRequest | None:
        row = (
            await self._connection.execute(_GET, {"org_id": org_id, "request_id": request_id})
        ).first()
        return None if row is None else StoredRequest(row.fingerprint, row.outcome)

    async def add(self, org_id: int, request_id: str, stored: StoredRequest) -> None:
        try:
            await self._connection.execute(
                insert(issue_requests).values(
                    org_id=org_id,
                    request_id=request_id,
                    fingerprint=stored.fingerprint,
                    outcome=stored.outcome,
                    created_at=to_db(datetime.now(UTC)),
                )
            )
        except IntegrityError:
            raise RequestIdTaken(request_id) from None
