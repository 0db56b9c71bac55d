"""The credential check both doors share, on an in-memory store: bearer JWTs and Basic keys.

Every forged, expired, misdirected or malformed credential must be refused as UNAUTHENTICATED.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import pathlib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from coupon_service.adapters.jwt_tokens import JwtVerifier
from coupon_service.app import bearer_verifier
from coupon_service.config import Settings
from coupon_service.domain.credentials import ApiKey, Caller, HashedSecret, Scope, basic_header
from coupon_service.domain.errors import PermissionDenied, Unauthenticated
from coupon_service.service import auth
from coupon_service.service.auth import Authenticator, create_key, revoke_key
from coupon_service.service.unit_of_work import IdentifierTaken, StoredKey

ISSUER = "https://issuer.example"
AUDIENCE = "coupon-service"
HS256_SECRET = "an-hs256-shared-secret-of-40-characters!"
ORG_ID = 7


# --- an in-memory store -------------------------------------------------------------------


class _Orgs:
    def __init__(self) -> None:
        self.ids = {"acme": ORG_ID, "other": ORG_ID + 1}

    async def find(self, name: str) -> int | None:
        return self.ids.get(name)


class _Credentials:
    def __init__(self, orgs: _Orgs) -> None:
        self._orgs = orgs
        self.rows: dict[str, tuple[ApiKey, HashedSecret]] = {}

    async def add(self, key: ApiKey, secret: HashedSecret) -> None:
        if key.key_id in self.rows:
            raise IdentifierTaken("keyId")
        self.rows[key.key_id] = (key, secret)

    async def find_active(self, key_id: str) -> StoredKey | None:
        key, secret = self.rows.get(key_id, (None, None))
        if key is None or secret is None or key.revoked_at is not None:
            return None
        name = next(name for name, id_ in self._orgs.ids.items() if id_ == key.org_id)
        return StoredKey(key, name, secret)

    async def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        if key_id not in self.rows:
            return None
        key, secret = self.rows[key_id]
        self.rows[key_id] = (ApiKey(key.key_id, key.org_id, key.scopes, key.created_at, at), secret)
        return self.rows[key_id][0]


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.orgs = _Orgs()
        self.credentials = _Credentials(self.orgs)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeUnitOfWork]:
        yield self


# --- keys and tokens ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def jwks(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    rsa_jwk = RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    ec_jwk = ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    # The RSA key names its algorithm; the EC key leaves it to be derived from its curve.
    return {
        "keys": [
            rsa_jwk | {"kid": "rsa-1", "alg": "RS256", "use": "sig"},
            ec_jwk | {"kid": "ec-1", "use": "sig"},
        ]
    }


@pytest.fixture
def jwks_path(tmp_path: pathlib.Path, jwks: dict[str, Any]) -> pathlib.Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    return path


def _settings(**overrides: str) -> Settings:
    fields = {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE} | overrides
    return Settings(**fields)  # type: ignore[arg-type]


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def authenticator(uow: FakeUnitOfWork, jwks_path: pathlib.Path) -> Authenticator:
    verifier = bearer_verifier(_settings(jwt_jwks=str(jwks_path), jwt_hs256_secret=HS256_SECRET))
    return Authenticator(uow, verifier)  # type: ignore[arg-type]


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "pos-service",
        "org": "acme",
        "scope": "coupons:issue",
        "iat": now,
        "nbf": now - 5,
        "exp": now + 300,
    }
    return {k: v for k, v in (base | overrides).items() if v is not None}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forged(header: dict[str, object], payload: dict[str, object], hmac_key: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    if hmac_key is None:
        return signing_input + "."
    signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def rs256(key: rsa.RSAPrivateKey, kid: str = "rsa-1", **overrides: object) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


def es256(key: ec.EllipticCurvePrivateKey, kid: str = "ec-1", **overrides: object) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="ES256", headers={"kid": kid})


def hs256(secret: str = HS256_SECRET, **overrides: object) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


async def refused(authenticator: Authenticator, header: str | None) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        await authenticator.authenticate(header)
    return caught.value


# --- bearer tokens that verify ------------------------------------------------------------


async def test_a_valid_hs256_token_names_its_org_scopes_and_subject(
    authenticator: Authenticator,
) -> None:
    caller = await authenticator.authenticate(f"Bearer {hs256(scope='coupons:manage')}")
    assert caller == Caller(ORG_ID, "acme", frozenset({Scope.MANAGE}), "pos-service")


async def test_a_valid_rs256_token_verifies_against_the_jwks_file(
    authenticator: Authenticator, rsa_key: rsa.RSAPrivateKey
) -> None:
    caller = await authenticator.authenticate(f"Bearer {rs256(rsa_key)}")
    assert (caller.org_id, caller.scopes) == (ORG_ID, {Scope.ISSUE})


async def test_a_valid_es256_token_verifies_against_the_jwks_file(
    authenticator: Authenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    caller = await authenticator.authenticate(f"bearer {es256(ec_key, org='other')}")
    assert (caller.org_id, caller.org_name) == (ORG_ID + 1, "other")


async def test_a_token_within_the_leeway_of_its_expiry_still_verifies(
    authenticator: Authenticator,
) -> None:
    caller = await authenticator.authenticate(f"Bearer {hs256(exp=int(time.time()) - 10)}")
    assert caller.org_id == ORG_ID


async def test_the_org_claim_is_configurable(uow: FakeUnitOfWork) -> None:
    verifier = bearer_verifier(
        _settings(jwt_hs256_secret=HS256_SECRET, jwt_org_claim="https://coupons/org")
    )
    authenticator = Authenticator(uow, verifier)  # type: ignore[arg-type]
    token = hs256(org=None, **{"https://coupons/org": "other"})
    assert (await authenticator.authenticate(f"Bearer {token}")).org_id == ORG_ID + 1
    assert (
        "no 'https://coupons/org' claim"
        in (await refused(authenticator, f"Bearer {hs256()}")).message
    )


async def test_a_jwks_url_is_fetched_off_the_event_loop_and_cached(
    uow: FakeUnitOfWork, jwks: dict[str, Any], rsa_key: rsa.RSAPrivateKey
) -> None:
    class ServedJwks(jwt.PyJWKClient):
        fetches = 0

        def fetch_data(self) -> Any:
            ServedJwks.fetches += 1
            return jwks

    client = ServedJwks("https://issuer.example/.well-known/jwks.json")
    verifier = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_client=client)
    authenticator = Authenticator(uow, verifier)  # type: ignore[arg-type]
    for _ in range(3):
        assert (await authenticator.authenticate(f"Bearer {rs256(rsa_key)}")).org_id == ORG_ID
    assert ServedJwks.fetches == 1
    assert (
        "not one this service trusts"
        in (await refused(authenticator, f"Bearer {rs256(rsa_key, kid='rotated-away')}")).message
    )


# --- bearer tokens that must be refused ---------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_is_refused(authenticator: Authenticator, alg: str) -> None:
    token = _forged({"alg": alg, "typ": "JWT"}, claims(scope="coupons:manage"), None)
    assert "algorithm is not accepted" in (await refused(authenticator, f"Bearer {token}")).message


@pytest.mark.parametrize("alg", [["HS256"], {"alg": "HS256"}, 256, None, ""])
async def test_an_alg_that_is_not_a_name_is_refused(
    authenticator: Authenticator, alg: object
) -> None:
    token = _forged({"alg": alg}, claims(), HS256_SECRET.encode())
    assert "algorithm is not accepted" in (await refused(authenticator, f"Bearer {token}")).message


def _public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def test_hs256_signed_with_the_rsa_public_key_is_refused(
    authenticator: Authenticator, uow: FakeUnitOfWork, jwks_path: pathlib.Path
) -> None:
    for kid in (None, "rsa-1"):
        header = {"alg": "HS256", "typ": "JWT"} | ({"kid": kid} if kid else {})
        token = _forged(header, claims(scope="coupons:manage"), _public_pem_of(jwks_path))
        # With an HS256 secret configured the forged signature fails against that secret...
        await refused(authenticator, f"Bearer {token}")
        # ...and with only a JWKS configured, HS256 is not an algorithm this service accepts.
        jwks_only = Authenticator(uow, bearer_verifier(_settings(jwt_jwks=str(jwks_path))))  # type: ignore[arg-type]
        assert "algorithm is not accepted" in (await refused(jwks_only, f"Bearer {token}")).message


def _public_pem_of(jwks_path: pathlib.Path) -> bytes:
    rsa_jwk = json.loads(jwks_path.read_text())["keys"][0]
    public_key = RSAAlgorithm.from_jwk(rsa_jwk)
    assert isinstance(public_key, rsa.RSAPublicKey)
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def test_the_pem_used_for_forging_is_the_configured_public_key(
    rsa_key: rsa.RSAPrivateKey, jwks_path: pathlib.Path
) -> None:
    assert _public_pem_of(jwks_path) == _public_pem(rsa_key)


@dataclasses.dataclass(frozen=True)
class FromNow:
    """A time claim `seconds` from when the test runs (not from when it was collected)."""

    seconds: int


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "someone-else"}, "another audience"),
        ({"iss": "https://evil.example"}, "another issuer"),
        ({"exp": FromNow(-120)}, "has expired"),
        ({"nbf": FromNow(120)}, "not valid yet"),
        ({"exp": None}, "lacks a required claim"),
        ({"iss": None}, "lacks a required claim"),
        ({"aud": None}, "lacks a required claim"),
    ],
)
async def test_misdirected_expired_and_incomplete_tokens_are_refused(
    authenticator: Authenticator,
    rsa_key: rsa.RSAPrivateKey,
    overrides: dict[str, object],
    message: str,
) -> None:
    now = int(time.time())
    overrides = {k: now + v.seconds if isinstance(v, FromNow) else v for k, v in overrides.items()}
    for token in (hs256(**overrides), rs256(rsa_key, **overrides)):
        error = await refused(authenticator, f"Bearer {token}")
        assert message in error.message
        assert error.metadata == {"scheme": "Bearer"}


@pytest.mark.parametrize(
    "token", ["", "garbage", "a.b.c", "a.b", "eyJhbGciOiJIUzI1NiJ9.e30", "ey.ey.ey.ey"]
)
async def test_malformed_tokens_are_refused(authenticator: Authenticator, token: str) -> None:
    await refused(authenticator, f"Bearer {token}")


async def test_a_token_signed_by_an_unknown_key_is_refused(authenticator: Authenticator) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "not valid" in (await refused(authenticator, f"Bearer {rs256(stranger)}")).message
    assert (
        "not valid"
        in (await refused(authenticator, f"Bearer {hs256('x' * 40 + HS256_SECRET)}")).message
    )


async def test_a_key_only_verifies_with_its_own_algorithm(
    authenticator: Authenticator, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    # An ES256 token that names the RSA key's id.
    error = await refused(authenticator, f"Bearer {es256(ec_key, kid='rsa-1')}")
    assert "not one this service trusts" in error.message


async def test_only_configured_algorithms_are_accepted(
    uow: FakeUnitOfWork, rsa_key: rsa.RSAPrivateKey
) -> None:
    hs_only = Authenticator(uow, bearer_verifier(_settings(jwt_hs256_secret=HS256_SECRET)))  # type: ignore[arg-type]
    assert (
        "algorithm is not accepted" in (await refused(hs_only, f"Bearer {rs256(rsa_key)}")).message
    )
    token = jwt.encode(claims(), HS256_SECRET * 2, algorithm="HS512")
    assert "algorithm is not accepted" in (await refused(hs_only, f"Bearer {token}")).message


async def test_a_token_for_an_unknown_org_is_refused(authenticator: Authenticator) -> None:
    error = await refused(authenticator, f"Bearer {hs256(org='nobody')}")
    assert "no known organisation" in error.message


async def test_bearer_tokens_are_refused_when_no_issuer_is_configured(
    uow: FakeUnitOfWork,
) -> None:
    assert bearer_verifier(Settings()) is None
    no_tokens = Authenticator(uow)  # type: ignore[arg-type]
    assert "not accepted here" in (await refused(no_tokens, f"Bearer {hs256()}")).message


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"jwt_hs256_secret": "too-short"}, r"32\+ bytes"),
        ({"jwt_hs256_secret": HS256_SECRET, "jwt_issuer": ""}, "COUPON_JWT_ISSUER"),
        ({"jwt_hs256_secret": HS256_SECRET, "jwt_audience": ""}, "COUPON_JWT_AUDIENCE"),
        ({"jwt_jwks": "http://issuer.example/jwks.json"}, "https"),
    ],
)
def test_unsafe_token_configuration_is_refused_at_start(
    settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bearer_verifier(_settings(**settings))


def test_settings_never_show_the_shared_secret() -> None:
    assert HS256_SECRET not in repr(_settings(jwt_hs256_secret=HS256_SECRET))


# --- Basic credentials --------------------------------------------------------------------


@pytest.fixture
async def issue_key(uow: FakeUnitOfWork) -> auth.NewKey:
    return await create_key(uow, "acme", [Scope.ISSUE])  # type: ignore[arg-type]


async def test_a_valid_key_authenticates_as_its_org(
    authenticator: Authenticator, issue_key: auth.NewKey
) -> None:
    caller = await authenticator.authenticate(issue_key.authorization)
    assert caller == Caller(ORG_ID, "acme", frozenset({Scope.ISSUE}), issue_key.key.key_id)


async def test_a_key_without_the_scope_is_permission_denied(
    authenticator: Authenticator, issue_key: auth.NewKey
) -> None:
    assert (await authenticator.authorize(issue_key.authorization, "IssueMultiple")).org_id
    with pytest.raises(PermissionDenied):
        await authenticator.authorize(issue_key.authorization, "CreateSeries")


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!garbage!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":").decode(),
        "Basic",
        "Digest username=x",
        None,
    ],
)
async def test_garbage_basic_credentials_are_refused(
    authenticator: Authenticator, header: str | None
) -> None:
    await refused(authenticator, header)


@pytest.fixture
def counted_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[HashedSecret]]:
    checked: list[HashedSecret] = []
    real = auth.verify_secret

    def counting(secret: str, stored: HashedSecret) -> bool:
        checked.append(stored)
        return real(secret, stored)

    monkeypatch.setattr(auth, "verify_secret", counting)
    yield checked


async def test_unknown_key_wrong_secret_and_revoked_key_look_the_same(
    uow: FakeUnitOfWork, issue_key: auth.NewKey, counted_checks: list[HashedSecret]
) -> None:
    # Without the cache, so the revoked key is refused at once; revocation through the cache is
    # test_credential_cache's.
    authenticator = Authenticator(uow, cache_seconds=0)  # type: ignore[arg-type]
    key_id = issue_key.key.key_id
    unknown = await refused(authenticator, basic_header("ck_unknown", issue_key.secret))
    wrong = await refused(authenticator, basic_header(key_id, issue_key.secret + "x"))
    assert await authenticator.authenticate(issue_key.authorization)
    await revoke_key(uow, key_id)  # type: ignore[arg-type]
    revoked = await refused(authenticator, issue_key.authorization)
    assert unknown.message == wrong.message == revoked.message
    assert unknown.metadata == wrong.metadata == revoked.metadata == {"scheme": "Basic"}
    # Every attempt hashed a secret, the unknown and revoked ones against a stand-in.
    assert len(counted_checks) == 4


async def test_a_key_id_is_never_reused(uow: FakeUnitOfWork) -> None:
    await create_key(uow, "acme", [Scope.MANAGE], key_id="demo", secret="demo-secret")  # type: ignore[arg-type]
    with pytest.raises(auth.AlreadyExists):
        await create_key(uow, "other", [Scope.MANAGE], key_id="demo", secret="x")  # type: ignore[arg-type]
