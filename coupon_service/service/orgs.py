"""Use cases for organisations (tenants)."""

from __future__ import annotations

from ..domain.errors import invalid_input
from .unit_of_work import UnitOfWork

_MAX_NAME = 64


async def ensure_org(uow: UnitOfWork, name: str) -> int:
    """The id of the organisation called `name`, created on first use."""
    if not name or len(name) > _MAX_NAME or not name.isprintable():
        raise invalid_input("org", f"an organisation name takes 1 to {_MAX_NAME} characters")
    async with uow.transaction() as tx:
        return await tx.orgs.find_or_add(name)
