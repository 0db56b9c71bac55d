"""API keys of the organisations: hashed secrets, scopes, and revocation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.credentials import ApiKey, HashedSecret, scopes_from_text, scopes_text
from ..service.unit_of_work import IdentifierTaken, StoredKey
from ._convert import from_db, to_db
from .tables import api_keys, orgs

_KEY_COLUMNS = (
    api_keys.c.key_id,
    api_keys.c.org_id,
    api_keys.c.scopes,
    api_keys.c.created_at,
    api_keys.c.revoked_at,
)
_FIND_ACTIVE = (
    select(*_KEY_COLUMNS, api_keys.c.salt, api_keys.c.secret_hash, orgs.c.name.label("org_name"))
    .join(orgs, orgs.c.id == api_keys.c.org_id)
    .where(api_keys.c.key_id == bindparam("key_id"), api_keys.c.revoked_at.is_(None))
)
# Revoking twice keeps the first moment: only a row not yet revoked is stamped.
_REVOKE = (
    update(api_keys)
    .where(api_keys.c.key_id == bindparam("revoked_key"), api_keys.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("at"))
)
_GET = select(*_KEY_COLUMNS).where(api_keys.c.key_id == bindparam("key_id"))
_OF_ORG = (
    select(*_KEY_COLUMNS)
    .where(api_keys.c.org_id == bindparam("org_id"))
    .order_by(api_keys.c.created_at, api_keys.c.key_id)
)


def _key_from_row(row: Row[*tuple[Any, ...]]) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        org_id=row.org_id,
        scopes=scopes_from_text(row.scopes),
        created_at=from_db(row.created_at),
        revoked_at=from_db(row.revoked_at),
    )


class SqlCredentialRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, key: ApiKey, secret: HashedSecret) -> None:
        try:
            async with self._connection.begin_nested():
                await self._connection.execute(
                    insert(api_keys).values(
                        key_id=key.key_id,
                        org_id=key.org_id,
                        secret_hash=secret.digest,
                        salt=secret.salt,
                        scopes=scopes_text(key.scopes),
                        created_at=to_db(key.created_at),
                        revoked_at=to_db(key.revoked_at),
                    )
                )
        except IntegrityError:
            raise IdentifierTaken("keyId") from None

    async def find_active(self, key_id: str) -> StoredKey | None:
        row = (await self._connection.execute(_FIND_ACTIVE, {"key_id": key_id})).first()
        if row is None:
            return None
        return StoredKey(_key_from_row(row), row.org_name, HashedSecret(row.salt, row.secret_hash))

    async def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        await self._connection.execute(_REVOKE, {"revoked_key": key_id, "at": to_db(at)})
        row = (await self._connection.execute(_GET, {"key_id": key_id})).first()
        return None if row is None else _key_from_row(row)

    async def of_org(self, org_id: int) -> list[ApiKey]:
        result = await self._connection.execute(_OF_ORG, {"org_id": org_id})
        return [_key_from_row(row) for row in result]
