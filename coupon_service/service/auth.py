"""Who may call: organisations' API keys, and the one credential check both front doors use."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from ..domain.credentials import (
    BAD_KEY,
    KEY_ID_PATTERN,
    UNKNOWN_KEY,
    ApiKey,
    Caller,
    Scope,
    TokenClaims,
    basic_header,
    check_key_id,
    hash_secret,
    new_key_id,
    new_secret,
    parse_basic,
    scope_for,
    single_authorization,
    split_authorization,
    verify_secret,
)
from ..domain.errors import AlreadyExists, ErrorCode, Unauthenticated, invalid_input
from .issuing import utcnow
from .orgs import create_org
from .unit_of_work import IdentifierTaken, UnitOfWork

__all__ = [
    "CHALLENGE",
    "Authenticator",
    "NewKey",
    "TokenVerifier",
    "create_key",
    "create_org",
    "list_keys",
    "revoke_key",
]

logger = logging.getLogger(__name__)

# The WWW-Authenticate value of an HTTP 401: both schemes this service accepts.
CHALLENGE = 'Basic realm="coupon-service", Bearer realm="coupon-service"'


class TokenVerifier(Protocol):
    """Checks a bearer token's signature and claims; raises Unauthenticated when it fails."""

    async def verify(self, token: str) -> TokenClaims: ...


@dataclasses.dataclass(frozen=True)
class NewKey:
    """A key just created. Its secret exists only here: the store keeps a digest."""

    key: ApiKey
    org_name: str
    secret: str = dataclasses.field(repr=False)

    @property
    def authorization(self) -> str:
        return basic_header(self.key.key_id, self.secret)


async def create_key(
    uow: UnitOfWork,
    org_name: str,
    scopes: Iterable[Scope],
    *,
    key_id: str | None = None,
    secret: str | None = None,
    now: datetime | None = None,
) -> NewKey:
    """Creates an API key for the organisation; the id and secret are drawn unless given."""
    wanted = frozenset(scopes)
    if not wanted:
        raise invalid_input("scope", "a key needs at least one scope: issue or manage")
    key_id = new_key_id() if key_id is None else key_id
    check_key_id(key_id)
    if secret is not None and not secret:
        raise invalid_input("secret", "a secret must not be empty")
    secret = new_secret() if secret is None else secret
    try:
        async with uow.transaction() as tx:
            org_id = await tx.orgs.find(org_name)
            if org_id is None:
                raise invalid_input("org", f"no organisation is called {org_name!r}")
            key = ApiKey(key_id, org_id, wanted, now or utcnow())
            await tx.credentials.add(key, hash_secret(secret))
    except IdentifierTaken:
        raise AlreadyExists(
            ErrorCode.INVALID_INPUT, f"an API key {key_id!r} already exists", field="keyId"
        ) from None
    return NewKey(key, org_name, secret)


async def revoke_key(uow: UnitOfWork, key_id: str, *, now: datetime | None = None) -> ApiKey:
    """Revokes a key from the next call on; revoking it again keeps the first moment."""
    async with uow.transaction() as tx:
        revoked = await tx.credentials.revoke(key_id, now or utcnow())
    if revoked is None:
        raise invalid_input("keyId", f"no API key is called {key_id!r}")
    return revoked


async def list_keys(uow: UnitOfWork, org_name: str) -> list[ApiKey]:
    async with uow.transaction() as tx:
        org_id = await tx.orgs.find(org_name)
        if org_id is None:
            raise invalid_input("org", f"no organisation is called {org_name!r}")
        return await tx.credentials.of_org(org_id)


class Authenticator:
    """The credential check of both front doors, against the store on every call."""

    def __init__(self, uow: UnitOfWork, tokens: TokenVerifier | None = None) -> None:
        self._uow = uow
        self._tokens = tokens

    async def authenticate(self, authorization: str | None) -> Caller:
        """The caller an authorization header value names; raises Unauthenticated."""
        scheme, credentials = split_authorization(authorization)
        if scheme == "basic":
            return await self._basic(credentials)
        return await self._bearer(credentials)

    async def authorize(self, authorization: str | None, operation: str) -> Caller:
        """`authenticate`, then PermissionDenied unless the caller may make `operation`."""
        caller = await self.authenticate(authorization)
        caller.require(scope_for(operation))
        return caller

    async def authorize_headers(self, values: Sequence[object], operation: str) -> Caller:
        """What both doors call: every authorization value the request carried (gRPC metadata,
        or Starlette's `request.headers.getlist("authorization")`) and the operation's name.

        Raises Unauthenticated (UNAUTHENTICATED, HTTP 401 with CHALLENGE) or PermissionDenied
        (PERMISSION_DENIED, HTTP 403).
        """
        return await self.authorize(single_authorization(values), operation)

    async def _basic(self, credentials: str) -> Caller:
        key_id, secret = parse_basic(credentials)
        stored = None
        if KEY_ID_PATTERN.match(key_id):
            async with self._uow.transaction() as tx:
                stored = await tx.credentials.find_active(key_id)
        # An unknown key is checked against a stand-in digest: it costs what a wrong secret does.
        matches = verify_secret(secret, UNKNOWN_KEY if stored is None else stored.secret)
        if stored is None or not matches:
            if stored is not None:  # A real key id is public; anything else might be a secret.
                logger.info("refused a wrong secret for API key %s", key_id)
            raise Unauthenticated(BAD_KEY, metadata={"scheme": "Basic"})
        return Caller(stored.key.org_id, stored.org_name, stored.key.scopes, key_id)

    async def _bearer(self, token: str) -> Caller:
        if self._tokens is None:
            raise Unauthenticated(
                "bearer tokens are not accepted here: no token issuer is configured",
                metadata={"scheme": "Bearer"},
            )
        claims = await self._tokens.verify(token)
        async with self._uow.transaction() as tx:
            org_id = await tx.orgs.find(claims.org_name)
        if org_id is None:
            raise Unauthenticated(
                "the bearer token names no known organisation", metadata={"scheme": "Bearer"}
            )
        return Caller(org_id, claims.org_name, claims.scopes, claims.subject)
