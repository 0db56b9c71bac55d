"""Organisations (tenants), found or created by name."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..service.unit_of_work import IdentifierTaken
from ._convert import to_db
from .tables import orgs

_FIND = select(orgs.c.id).where(orgs.c.name == bindparam("name"))


class SqlOrgRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def find(self, name: str) -> int | None:
        return (await self._connection.execute(_FIND, {"name": name})).scalar()

    async def add(self, name: str) -> int:
        try:
            async with self._connection.begin_nested():
                return await self._insert(name)
        except IntegrityError:
            raise IdentifierTaken("name") from None

    async def _insert(self, name: str) -> int:
        result = await self._connection.execute(
            insert(orgs).values(name=name, created_at=to_db(datetime.now(UTC))).returning(orgs.c.id)
        )
        return int(result.scalar_one())

    async def find_or_add(self, name: str) -> int:
        found = await self.find(name)
        if found is not None:
            return found
        try:
            async with self._connection.begin_nested():
                return await self._insert(name)
        except IntegrityError:  # Another replica created it first.
            return int((await self._connection.execute(_FIND, {"name": name})).scalar_one())
