"""Bearer tokens for the e2e tests: valid HS256 and RS256 ones, forgeries, and a service that
accepts them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pathlib
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from coupon_service.app import RunningService, start
from coupon_service.config import Settings

JWT_ISSUER = "https://idp.example.test"
JWT_AUDIENCE = "coupon-service"
JWT_SECRET = "e2e-hs256-shared-secret-of-at-least-32-bytes"
RSA_KID = "e2e-rsa-1"
_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PUBLIC_PEM = _RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def claims(**overrides: object) -> dict[str, object]:
    """Valid claims for org demo with the issue scope; an override of None drops the claim."""
    now = int(time.time())
    base: dict[str, object] = {
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "sub": "checkout-service",
        "org": "demo",
        "scope": "coupons:issue",
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def hs256_token(secret: str = JWT_SECRET, **overrides: object) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def rs256_token(**overrides: object) -> str:
    return jwt.encode(claims(**overrides), _RSA_KEY, algorithm="RS256", headers={"kid": RSA_KID})


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_token(header: dict[str, object], signature: Callable[[bytes], bytes]) -> str:
    """A token built by hand, as a forger would: any header, any signature."""
    signing_input = (
        f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims()).encode())}"
    )
    return f"{signing_input}.{_b64url(signature(signing_input.encode()))}"


def alg_none_token() -> str:
    return unsigned_token({"alg": "none", "typ": "JWT"}, lambda _: b"")


def hs256_signed_with_rsa_public_key() -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": RSA_KID}
    return unsigned_token(
        header, lambda data: hmac.new(RSA_PUBLIC_PEM, data, hashlib.sha256).digest()
    )


def forged_tokens() -> dict[str, str]:
    """Tokens that must be refused as UNAUTHENTICATED / 401; made when a test runs (`exp`)."""
    now = int(time.time())
    return {
        "expired": hs256_token(exp=now - 3600, iat=now - 7200),
        "not-yet-valid": hs256_token(nbf=now + 3600),
        "wrong-audience": hs256_token(aud="another-service"),
        "wrong-issuer": hs256_token(iss="https://evil.example.test"),
        "without-exp": hs256_token(exp=None),
        "alg-none": alg_none_token(),
        "wrong-hs256-secret": hs256_token(secret="another-shared-secret-of-32-bytes-or-more"),
        "hs256-signed-with-the-rsa-public-key": hs256_signed_with_rsa_public_key(),
        "unknown-org": hs256_token(org="no-such-org"),
        "garbage": "garbage",
    }


def write_jwks(path: pathlib.Path) -> pathlib.Path:
    jwk = RSAAlgorithm.to_jwk(_RSA_KEY.public_key(), as_dict=True)
    path.write_text(json.dumps({"keys": [{**jwk, "kid": RSA_KID, "alg": "RS256", "use": "sig"}]}))
    return path


@asynccontextmanager
async def jwt_service(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> AsyncIterator[RunningService]:
    """What the `service` fixture starts, accepting HS256 tokens and RS256 ones from a JWKS."""
    database = tmp_path / "jwt.db"
    shutil.copyfile(demo_database, database)
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}",
        grpc_port=0,
        http_port=0,
        metrics_port=0,
        jwt_issuer=JWT_ISSUER,
        jwt_audience=JWT_AUDIENCE,
        jwt_hs256_secret=JWT_SECRET,
        jwt_jwks=str(write_jwks(tmp_path / "jwks.json")),
    )
    running = await start(settings)
    try:
        yield running
    finally:
        await running.stop(0)
