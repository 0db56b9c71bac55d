"""OAuth 2 bearer access tokens: JWTs checked against the configured issuer, audience and keys.

Which algorithms are accepted follows from the configured keys alone: RS256 and ES256 for the
keys of a JWKS, HS256 for a shared secret. The token's header only picks among those keys, and
each key verifies with its own algorithm, so `alg: none` and an HS256 token "signed" with a
public key never verify.
"""

from __future__ import annotations

import asyncio
import logging
import pathlib
from typing import Any

import jwt

from ..domain.credentials import TokenClaims, scopes_from_token
from ..domain.errors import Unauthenticated

logger = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "ES256"})
LEEWAY_SECONDS = 30
MIN_HS256_SECRET_BYTES = 32
_REQUIRED_CLAIMS = ["exp", "iss", "aud"]
_REASONS: list[tuple[type[jwt.PyJWTError], str]] = [
    (jwt.ExpiredSignatureError, "the bearer token has expired"),
    (jwt.ImmatureSignatureError, "the bearer token is not valid yet"),
    (jwt.InvalidAudienceError, "the bearer token is for another audience"),
    (jwt.InvalidIssuerError, "the bearer token is from another issuer"),
    (jwt.MissingRequiredClaimError, "the bearer token lacks a required claim (exp, iss, aud)"),
]
_INVALID = "the bearer token is not valid"


def _refused(message: str = _INVALID) -> Unauthenticated:
    return Unauthenticated(message, metadata={"scheme": "Bearer"})


class JwtVerifier:
    """Verifies bearer tokens; construct it with `configured`."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        org_claim: str = "org",
        jwks: jwt.PyJWKSet | None = None,
        jwks_client: jwt.PyJWKClient | None = None,
        hs256_secret: str = "",
    ) -> None:
        if not issuer or not audience:
            raise ValueError("bearer tokens need COUPON_JWT_ISSUER and COUPON_JWT_AUDIENCE")
        if hs256_secret and len(hs256_secret.encode()) < MIN_HS256_SECRET_BYTES:
            raise ValueError(f"COUPON_JWT_HS256_SECRET needs {MIN_HS256_SECRET_BYTES}+ bytes")
        if not (jwks or jwks_client or hs256_secret):
            raise ValueError("bearer tokens need COUPON_JWT_JWKS or COUPON_JWT_HS256_SECRET")
        self._issuer = issuer
        self._audience = audience
        self._org_claim = org_claim
        self._jwks = jwks
        self._jwks_client = jwks_client
        self._hs256_secret = hs256_secret
        self._algorithms = (ASYMMETRIC_ALGORITHMS if jwks or jwks_client else frozenset()) | (
            {"HS256"} if hs256_secret else frozenset()
        )

    @classmethod
    def configured(
        cls, *, jwks: str, hs256_secret: str, issuer: str, audience: str, org_claim: str
    ) -> JwtVerifier | None:
        """The verifier for the configured keys: `jwks` is a JWK Set file path or an https://
        URL. None when neither `jwks` nor `hs256_secret` is given: then bearer tokens are
        refused."""
        source = jwks.strip()
        if not source and not hs256_secret:
            return None
        key_set, client = None, None
        if source.startswith("https://"):
            client = jwt.PyJWKClient(source, timeout=5)
        elif source.startswith("http://"):
            raise ValueError("COUPON_JWT_JWKS must be a file path or an https:// URL")
        elif source:
            key_set = _read_jwks(pathlib.Path(source))
        return cls(
            issuer=issuer,
            audience=audience,
            org_claim=org_claim,
            jwks=key_set,
            jwks_client=client,
            hs256_secret=hs256_secret,
        )

    async def verify(self, token: str) -> TokenClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refused() from None
        key, algorithm = await self._key_for(header.get("alg"), header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
            )
        except jwt.PyJWTError as error:
            reason = next((text for kind, text in _REASONS if isinstance(error, kind)), _INVALID)
            raise _refused(reason) from None
        org = claims.get(self._org_claim)
        if not isinstance(org, str) or not org:
            raise _refused(f"the bearer token has no {self._org_claim!r} claim")
        subject = claims.get("sub")
        return TokenClaims(
            org, scopes_from_token(claims.get("scope")), subject if isinstance(subject, str) else ""
        )

    async def _key_for(self, alg: object, kid: object) -> tuple[Any, str]:
        """The configured key for the token's header, and the one algorithm it verifies with."""
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise _refused("the bearer token's algorithm is not accepted")
        if alg == "HS256":
            return self._hs256_secret, "HS256"
        key: jwt.PyJWK | None = None
        if self._jwks is not None:
            candidates = [k for k in self._jwks if k.algorithm_name == alg]
            matching = [k for k in candidates if kid is None or k.key_id == kid]
            key = matching[0] if len(matching) == 1 else None
        elif self._jwks_client is not None and isinstance(kid, str):
            try:  # urllib blocks: fetch (at most every few minutes) off the event loop.
                key = await asyncio.to_thread(self._jwks_client.get_signing_key, kid)
            except jwt.PyJWKClientError as error:
                logger.warning("could not find the bearer token's key in the JWKS: %s", error)
        if key is None or key.algorithm_name != alg:
            raise _refused("the bearer token's key is not one this service trusts")
        return key, key.algorithm_name


def _read_jwks(path: pathlib.Path) -> jwt.PyJWKSet:
    try:
        return jwt.PyJWKSet.from_json(path.read_text())
    except OSError as error:
        raise ValueError(f"COUPON_JWT_JWKS: cannot read {path}: {error.strerror}") from None
    except (ValueError, jwt.PyJWTError) as error:  # json's errors are ValueErrors.
        raise ValueError(f"COUPON_JWT_JWKS: {path} is not a JWK Set: {error}") from None
