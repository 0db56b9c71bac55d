"""API key ids and secrets, how secrets are hashed and checked, Basic parsing, and scopes."""

from __future__ import annotations

import base64
import hmac

import pytest

from coupon_service.domain import credentials
from coupon_service.domain.credentials import (
    HASH_SCHEME,
    KEY_ID_PATTERN,
    Caller,
    HashedSecret,
    Scope,
    basic_header,
    check_key_id,
    hash_secret,
    new_key_id,
    new_secret,
    parse_basic,
    scope_for,
    scopes_from_text,
    scopes_from_token,
    scopes_text,
    single_authorization,
    split_authorization,
    verify_secret,
)
from coupon_service.domain.errors import (
    ErrorKind,
    InvalidRequest,
    PermissionDenied,
    Unauthenticated,
)


def test_key_ids_are_public_prefixed_random_and_distinct() -> None:
    ids = {new_key_id() for _ in range(200)}
    assert len(ids) == 200
    for key_id in ids:
        assert key_id.startswith("ck_") and len(key_id) == 27
        assert KEY_ID_PATTERN.match(key_id)


def test_secrets_carry_256_random_bits() -> None:
    secrets_drawn = {new_secret() for _ in range(200)}
    assert len(secrets_drawn) == 200
    for secret in secrets_drawn:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        assert len(raw) * 8 >= 256


@pytest.mark.parametrize("key_id", ["demo", "ck_0123abcd", "team.pos-1", "A" * 64])
def test_chosen_key_ids_are_accepted(key_id: str) -> None:
    check_key_id(key_id)


@pytest.mark.parametrize("key_id", ["", "a:b", "has space", "A" * 65, "-leading", "é"])
def test_key_ids_that_cannot_travel_in_basic_credentials_are_refused(key_id: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_key_id(key_id)
    assert caught.value.field == "keyId"


def test_a_hashed_secret_verifies_and_never_contains_the_secret() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert stored.digest.startswith(f"{HASH_SCHEME}$")
    assert secret not in stored.digest and secret not in stored.salt
    assert len(bytes.fromhex(stored.salt)) == 16
    assert verify_secret(secret, stored)


def test_a_wrong_secret_does_not_verify() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret(secret[:-1], stored)
    assert not verify_secret("", stored)


def test_each_key_gets_its_own_salt() -> None:
    first, second = hash_secret("same-secret"), hash_secret("same-secret")
    assert first.salt != second.salt and first.digest != second.digest
    assert verify_secret("same-secret", first) and verify_secret("same-secret", second)


def test_the_same_salt_gives_the_same_digest() -> None:
    salt = bytes(range(16))
    assert hash_secret("s", salt) == hash_secret("s", salt)


def test_an_unknown_hash_scheme_never_verifies() -> None:
    stored = hash_secret("secret")
    other_scheme = HashedSecret(stored.salt, stored.digest.replace(HASH_SCHEME, "md5", 1))
    assert not verify_secret("secret", other_scheme)


def test_verification_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    constant_time = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", spy)
    stored = hash_secret("secret")
    assert verify_secret("secret", stored)
    assert not verify_secret("wrong", stored)
    assert len(compared) == 2


def test_basic_header_round_trips_through_parse_basic() -> None:
    header = basic_header("ck_abc", "s3cret:with:colons")
    scheme, credentials_part = split_authorization(header)
    assert scheme == "basic"
    assert parse_basic(credentials_part) == ("ck_abc", "s3cret:with:colons")


@pytest.mark.parametrize(
    "encoded",
    [
        "!!!not-base64!!!",
        base64.b64encode(b"no-colon-here").decode(),
        base64.b64encode(b":secret-without-key").decode(),
        base64.b64encode(b"key-without-secret:").decode(),
        base64.b64encode(b"\xff\xfe:\xff").decode(),
        "",
    ],
)
def test_malformed_basic_credentials_are_unauthenticated(encoded: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        parse_basic(encoded)
    assert caught.value.kind is ErrorKind.UNAUTHENTICATED
    assert caught.value.reason == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_credentials_is_unauthenticated(header: str | None) -> None:
    with pytest.raises(Unauthenticated, match="needs credentials"):
        split_authorization(header)


@pytest.mark.parametrize("header", ["Digest abc", "Token abc", "basicabc", "ApiKey x"])
def test_other_schemes_are_unauthenticated(header: str) -> None:
    with pytest.raises(Unauthenticated, match="Basic or Bearer"):
        split_authorization(header)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic abc", ("basic", "abc")),
        ("basic abc", ("basic", "abc")),
        ("BEARER  tok.en.x ", ("bearer", "tok.en.x")),
    ],
)
def test_schemes_are_case_insensitive(header: str, expected: tuple[str, str]) -> None:
    assert split_authorization(header) == expected


def _caller(*scopes: Scope) -> Caller:
    return Caller(org_id=1, org_name="acme", scopes=frozenset(scopes), subject="ck_x")


def test_manage_includes_issue_but_issue_does_not_include_manage() -> None:
    assert _caller(Scope.MANAGE).may(Scope.ISSUE) and _caller(Scope.MANAGE).may(Scope.MANAGE)
    assert _caller(Scope.ISSUE).may(Scope.ISSUE)
    assert not _caller(Scope.ISSUE).may(Scope.MANAGE)
    assert not _caller().may(Scope.ISSUE)


def test_a_missing_scope_is_permission_denied_naming_the_scope() -> None:
    with pytest.raises(PermissionDenied) as caught:
        _caller(Scope.ISSUE).require(Scope.MANAGE)
    assert caught.value.kind is ErrorKind.PERMISSION_DENIED
    assert caught.value.metadata == {"requiredScope": "manage"}


@pytest.mark.parametrize(
    ("operation", "scope"),
    [
        ("IssueMultiple", Scope.ISSUE),
        ("BulkIssue", Scope.ISSUE),
        ("GetSeries", Scope.ISSUE),
        ("ListCustomerCoupons", Scope.ISSUE),
        ("CreateSeries", Scope.MANAGE),
        ("UploadCodes", Scope.MANAGE),
        ("CreateCustomer", Scope.MANAGE),
        ("UpdateCustomer", Scope.MANAGE),
        ("SomethingAddedLater", Scope.MANAGE),
    ],
)
def test_each_operation_needs_its_scope_and_unlisted_ones_need_manage(
    operation: str, scope: Scope
) -> None:
    assert scope_for(operation) is scope


def test_stored_scopes_round_trip() -> None:
    both = frozenset({Scope.ISSUE, Scope.MANAGE})
    assert scopes_text(both) == "issue manage"
    assert scopes_from_text(scopes_text(both)) == both
    assert scopes_from_text("issue bogus") == {Scope.ISSUE}


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("coupons:issue coupons:manage", {Scope.ISSUE, Scope.MANAGE}),
        ("openid coupons:issue", {Scope.ISSUE}),
        ("issue manage", set()),
        (["coupons:manage"], set()),
        (None, set()),
    ],
)
def test_token_scopes_use_the_coupons_prefix(claim: object, expected: set[Scope]) -> None:
    assert scopes_from_token(claim) == expected


def test_a_request_carries_at_most_one_authorization_header() -> None:
    assert single_authorization([]) is None
    assert single_authorization(["Basic abc"]) == "Basic abc"
    with pytest.raises(Unauthenticated, match="one authorization header"):
        single_authorization(["Basic abc", "Bearer xyz"])
    with pytest.raises(Unauthenticated, match="must be text"):
        single_authorization([b"Basic abc"])
