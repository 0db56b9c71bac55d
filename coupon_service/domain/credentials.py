"""Who is calling: API key ids and secrets, how secrets are kept, and what each scope allows."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from .errors import PermissionDenied, Unauthenticated, invalid_input

KEY_ID_PREFIX = "ck_"
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SECRET_BYTES = 32  # 256 bits from the CSPRNG.
_SALT_BYTES = 16
# Secrets are 256 random bits, not passwords a person chose, so no dictionary or brute force
# can reach them and a slow KDF buys nothing: a salted HMAC-SHA256 is the usual choice for API
# keys. It costs ~5 microseconds per call where scrypt (n=2**14) cost ~65 ms, and every call
# checks the key. The scheme is stored in the digest so a later one can be rolled in.
HASH_SCHEME = "hmac-sha256"
TOKEN_SCOPE_PREFIX = "coupons:"

MISSING_CREDENTIALS = "this call needs credentials: an authorization header, Basic or Bearer"
UNSUPPORTED_SCHEME = "the authorization scheme must be Basic or Bearer"
MALFORMED_BASIC = "Basic credentials must be base64 of key_id:secret"
BAD_KEY = "the API key id or secret is not valid, or the key was revoked"


class Scope(enum.Enum):
    """What a key or token lets its holder do. MANAGE includes ISSUE."""

    ISSUE = "issue"
    MANAGE = "manage"

    @property
    def token_scope(self) -> str:
        """The OAuth scope string naming it in a bearer token, e.g. "coupons:issue"."""
        return TOKEN_SCOPE_PREFIX + self.value


_INCLUDED = {Scope.ISSUE: {Scope.ISSUE}, Scope.MANAGE: {Scope.ISSUE, Scope.MANAGE}}

# The scope each operation needs, named as the gRPC methods are; the REST routes map onto the
# same names. Issuing clients may read what they issue from (series, customers, their coupons)
# and redeem and reverse what they issued, as a point of sale does; changing series, pools and
# customers, and revoking coupons, is management. An operation not listed needs MANAGE.
OPERATION_SCOPES: dict[str, Scope] = {
    "IssueMultiple": Scope.ISSUE,
    "BulkIssue": Scope.ISSUE,
    "GetSeries": Scope.ISSUE,
    "ListSeries": Scope.ISSUE,
    "GetCustomer": Scope.ISSUE,
    "ListCustomerCoupons": Scope.ISSUE,
    "GetCoupon": Scope.ISSUE,
    "ValidateCoupon": Scope.ISSUE,
    "RedeemCoupon": Scope.ISSUE,
    "ReverseRedemption": Scope.ISSUE,
    "ListSeriesCoupons": Scope.ISSUE,
    "WatchEvents": Scope.ISSUE,
    "CreateSeries": Scope.MANAGE,
    "UploadCodes": Scope.MANAGE,
    "CreateCustomer": Scope.MANAGE,
    "UpdateCustomer": Scope.MANAGE,
    "RevokeCoupon": Scope.MANAGE,
}


def scope_for(operation: str) -> Scope:
    return OPERATION_SCOPES.get(operation, Scope.MANAGE)


@dataclasses.dataclass(frozen=True)
class Caller:
    """An authenticated caller: the organisation it acts for and what it may do there."""

    org_id: int
    org_name: str
    scopes: frozenset[Scope]
    subject: str  # The API key id, or the bearer token's `sub`.

    def may(self, needed: Scope) -> bool:
        return any(needed in _INCLUDED[scope] for scope in self.scopes)

    def require(self, needed: Scope) -> None:
        if not self.may(needed):
            raise PermissionDenied(
                f"these credentials may not make this call: it needs the {needed.value} scope",
                metadata={"requiredScope": needed.value},
            )


@dataclasses.dataclass(frozen=True)
class TokenClaims:
    """What a verified bearer token says about its holder."""

    org_name: str
    scopes: frozenset[Scope]
    subject: str


@dataclasses.dataclass(frozen=True)
class HashedSecret:
    salt: str  # Hex.
    digest: str  # "<scheme>$<hex>".


@dataclasses.dataclass(frozen=True)
class ApiKey:
    """A key as listed: never its secret, which is shown once and kept only hashed."""

    key_id: str
    org_id: int
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None


def new_key_id() -> str:
    return KEY_ID_PREFIX + secrets.token_hex(12)


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def check_key_id(key_id: str) -> None:
    if not KEY_ID_PATTERN.match(key_id):
        raise invalid_input(
            "keyId", "a key id takes 1 to 64 letters, digits, '.', '-' or '_', no ':'"
        )


def _digest(secret: str, salt: bytes) -> str:
    return hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()


def hash_secret(secret: str, salt: bytes | None = None) -> HashedSecret:
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    return HashedSecret(salt.hex(), f"{HASH_SCHEME}${_digest(secret, salt)}")


def verify_secret(secret: str, stored: HashedSecret) -> bool:
    scheme, _, expected = stored.digest.partition("$")
    actual = _digest(secret, bytes.fromhex(stored.salt))
    return hmac.compare_digest(actual, expected) and scheme == HASH_SCHEME


# Checked against when the key id is unknown, so that case costs what a wrong secret costs.
UNKNOWN_KEY = hash_secret(new_secret())


def single_authorization(values: Sequence[object]) -> str | None:
    """The one authorization header of a request. Several are refused: two doors, or a proxy
    and this service, must never disagree about which of them counts."""
    if len(values) > 1:
        raise Unauthenticated("send one authorization header, not several")
    if values and not isinstance(values[0], str):
        raise Unauthenticated("the authorization header must be text")
    return values[0] if values else None  # type: ignore[return-value]


def split_authorization(header: str | None) -> tuple[str, str]:
    """("basic" | "bearer", credentials) from an authorization header value."""
    if header is None or not header.strip():
        raise Unauthenticated(MISSING_CREDENTIALS)
    scheme, _, credentials = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme not in ("basic", "bearer"):
        raise Unauthenticated(UNSUPPORTED_SCHEME)
    return scheme, credentials.strip()


def parse_basic(credentials: str) -> tuple[str, str]:
    """(key id, secret) from the base64 part of a Basic authorization header."""
    try:
        decoded = base64.b64decode(credentials.encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        raise Unauthenticated(MALFORMED_BASIC, metadata={"scheme": "Basic"}) from None
    key_id, colon, secret = decoded.partition(":")
    if not colon or not key_id or not secret:
        raise Unauthenticated(MALFORMED_BASIC, metadata={"scheme": "Basic"})
    return key_id, secret


def basic_header(key_id: str, secret: str) -> str:
    """The authorization header value a caller sends with this key."""
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode("ascii")


def scopes_from_text(text: str) -> frozenset[Scope]:
    """Scopes as stored: "issue" or "issue manage"; unknown words are ignored."""
    known = {scope.value: scope for scope in Scope}
    return frozenset(known[word] for word in text.split() if word in known)


def scopes_text(scopes: Iterable[Scope]) -> str:
    return " ".join(sorted(scope.value for scope in set(scopes)))


def scopes_from_token(claim: object) -> frozenset[Scope]:
    """Scopes from an OAuth `scope` claim such as "coupons:issue coupons:manage"."""
    if not isinstance(claim, str):
        return frozenset()
    known = {scope.token_scope: scope for scope in Scope}
    return frozenset(known[word] for word in claim.split() if word in known)
