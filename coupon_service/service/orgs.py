"""Use cases for organisations (tenants)."""

from __future__ import annotations

from ..domain.errors import AlreadyExists, ErrorCode, invalid_input
from .unit_of_work import IdentifierTaken, UnitOfWork

_MAX_NAME = 64


def _check_name(name: str) -> None:
    if not name or len(name) > _MAX_NAME or not name.isprintable():
        raise invalid_input("org", f"an organisation name takes 1 to {_MAX_NAME} characters")


async def ensure_org(uow: UnitOfWork, name: str) -> int:
    """The id of the organisation called `name`, created on first use."""
    _check_name(name)
    async with uow.transaction() as tx:
        return await tx.orgs.find_or_add(name)


async def create_org(uow: UnitOfWork, name: str) -> int:
    """Creates the organisation called `name`; refuses a name already taken."""
    _check_name(name)
    try:
        async with uow.transaction() as tx:
            return await tx.orgs.add(name)
    except IdentifierTaken:
        raise AlreadyExists(
            ErrorCode.INVALID_INPUT, f"an organisation called {name!r} already exists", field="org"
        ) from None
