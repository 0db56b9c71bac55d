"""Who may call: organisations' API keys, and the one credential check both front doors use."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Sequence
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
from .clock import utcnow
from .credential_cache import DEFAULT_TTL_SECONDS, CredentialCache
from .orgs import create_org
from .telemetry import current_call
from .unit_of_work import IdentifierTaken, StoredKey, UnitOfWork

__all__ = [
    "Authenticator",
    "NewKey",
    "TokenVerifier",
    "create_key",
    "create_org",
    "list_keys",
    "revoke_key",
]

logger = logging.getLogger(__name__)


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
    """Revokes a key; every Authenticator refuses it within its `cache_seconds` (default 1 s).

    Revoking it again keeps the first moment.
    """
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
    """The credential check of both front doors.

    What the store says of a key id or an organisation is kept for `cache_seconds` (0: asked on
    every call), so a call needs no second transaction, and a revocation takes effect within
    that time on every replica. Verdicts are not kept: every call's secret is checked anew.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        tokens: TokenVerifier | None = None,
        *,
        cache_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow = uow
        self._tokens = tokens
        # Misses are kept too, as briefly: the miss a client repeats is a revoked or mistyped key
        # it keeps retrying, a transaction per call otherwise. Ids are drawn at random, so a key
        # is practically never tried before it exists. An attacker's random ids cannot grow the
        # cache past its bound; at worst they push real keys out, which then cost what they did
        # before there was a cache.
        self._keys: CredentialCache[str, StoredKey | None] = CredentialCache(
            cache_seconds, clock=clock
        )
        self._orgs: CredentialCache[str, int | None] = CredentialCache(cache_seconds, clock=clock)
        self._org_names: dict[int, str] = {}  # As many as there are organisations.

    async def authenticate(self, authorization: str | None) -> Caller:
        """The caller an authorization header value names; raises Unauthenticated."""
        scheme, credentials = split_authorization(authorization)
        if scheme == "basic":
            return await self._basic(credentials)
        return await self._bearer(credentials)

    async def authorize(self, authorization: str | None, operation: str) -> Caller:
        """`authenticate`, then PermissionDenied unless the caller may make `operation`."""
        caller = await self.authenticate(authorization)
        self._org_names[caller.org_id] = caller.org_name
        record = current_call()
        if record is not None:  # Named in the access line, refused for its scope or not.
            record.org = caller.org_name
        caller.require(scope_for(operation))
        return caller

    def org_name(self, org_id: int) -> str | None:
        """The name of an organisation a caller has acted for here (metrics label by names)."""
        return self._org_names.get(org_id)

    async def authorize_headers(self, values: Sequence[object], operation: str) -> Caller:
        """What both doors call: every authorization value the request carried (gRPC metadata,
        or Starlette's `request.headers.getlist("authorization")`) and the operation's name.

        Raises Unauthenticated (UNAUTHENTICATED, HTTP 401) or PermissionDenied
        (PERMISSION_DENIED, HTTP 403).
        """
        return await self.authorize(single_authorization(values), operation)

    async def _basic(self, credentials: str) -> Caller:
        key_id, secret = parse_basic(credentials)
        stored = None
        if KEY_ID_PATTERN.match(key_id):
            stored = await self._keys.get(key_id, lambda: self._find_key(key_id))
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
        org_id = await self._orgs.get(claims.org_name, lambda: self._find_org(claims.org_name))
        if org_id is None:
            raise Unauthenticated(
                "the bearer token names no known organisation", metadata={"scheme": "Bearer"}
            )
        return Caller(org_id, claims.org_name, claims.scopes, claims.subject)

    async def _find_key(self, key_id: str) -> StoredKey | None:
        async with self._uow.transaction() as tx:
            return await tx.credentials.find_active(key_id)

    async def _find_org(self, name: str) -> int | None:
        async with self._uow.transaction() as tx:
            return await tx.orgs.find(name)
