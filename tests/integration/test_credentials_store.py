"""API keys in the real store, on SQLite and PostgreSQL: hashed, scoped to one org, revocable."""

from __future__ import annotations

import asyncio
import logging
import pathlib
import uuid

import jwt
import pytest
from sqlalchemy import event, select

from coupon_service.adapters.database import create_engine
from coupon_service.adapters.jwt_tokens import JwtVerifier
from coupon_service.adapters.migrate import migrate
from coupon_service.adapters.tables import api_keys
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.demo import load_demo_data
from coupon_service.domain.credentials import Scope, basic_header
from coupon_service.domain.errors import AlreadyExists, InvalidRequest, Unauthenticated
from coupon_service.service.auth import (
    Authenticator,
    create_key,
    create_org,
    list_keys,
    revoke_key,
)

HS256_SECRET = "integration-tests-shared-secret-0123456789"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_authenticates_until_its_revocation_outlives_the_cache(
    uow: SqlUnitOfWork,
) -> None:
    org = _name("org")
    org_id = await create_org(uow, org)
    new = await create_key(uow, org, [Scope.ISSUE])
    clock = FakeClock()
    authenticator = Authenticator(uow, cache_seconds=1.0, clock=clock)

    caller = await authenticator.authenticate(new.authorization)
    assert (caller.org_id, caller.org_name, caller.scopes) == (org_id, org, {Scope.ISSUE})
    assert caller.subject == new.key.key_id

    revoked = await revoke_key(uow, new.key.key_id)
    assert revoked.revoked_at is not None
    clock.now += 1.0  # The promise: refused once the second has passed.
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(new.authorization)
    again = await revoke_key(uow, new.key.key_id)
    assert again.revoked_at == revoked.revoked_at


async def test_calls_within_the_cache_time_read_the_store_once(uow: SqlUnitOfWork) -> None:
    org = _name("org")
    await create_org(uow, org)
    new = await create_key(uow, org, [Scope.ISSUE])
    authenticator = Authenticator(uow, cache_seconds=60.0)
    transactions: list[object] = []

    def began(connection: object) -> None:
        transactions.append(connection)

    event.listen(uow.engine.sync_engine, "begin", began)
    try:
        callers = await asyncio.gather(
            *(authenticator.authenticate(new.authorization) for _ in range(64))
        )
        with pytest.raises(Unauthenticated):  # The digest is cached, the verdict is not.
            await authenticator.authenticate(basic_header(new.key.key_id, new.secret + "x"))
    finally:
        event.remove(uow.engine.sync_engine, "begin", began)
    assert {caller.subject for caller in callers} == {new.key.key_id}
    assert len(transactions) == 1


async def test_a_key_of_org_a_authenticates_as_org_a_only(uow: SqlUnitOfWork) -> None:
    org_a, org_b = _name("a"), _name("b")
    id_a, id_b = await create_org(uow, org_a), await create_org(uow, org_b)
    key_a = await create_key(uow, org_a, [Scope.MANAGE])
    key_b = await create_key(uow, org_b, [Scope.MANAGE])
    authenticator = Authenticator(uow)

    assert (await authenticator.authenticate(key_a.authorization)).org_id == id_a
    assert (await authenticator.authenticate(key_b.authorization)).org_id == id_b
    # A's key id with B's secret is no key at all.
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(basic_header(key_a.key.key_id, key_b.secret))


async def test_the_store_keeps_only_a_salted_digest(uow: SqlUnitOfWork) -> None:
    org = _name("org")
    await create_org(uow, org)
    new = await create_key(uow, org, [Scope.ISSUE])
    async with uow.engine.connect() as connection:
        row = (
            await connection.execute(select(api_keys).where(api_keys.c.key_id == new.key.key_id))
        ).one()
    assert all(new.secret not in str(value) for value in row)
    assert row.secret_hash.startswith("hmac-sha256$") and row.scopes == "issue"


async def test_keys_are_listed_without_secrets(uow: SqlUnitOfWork) -> None:
    org = _name("org")
    await create_org(uow, org)
    first = await create_key(uow, org, [Scope.ISSUE])
    second = await create_key(uow, org, [Scope.MANAGE])
    await revoke_key(uow, first.key.key_id)

    listed = {key.key_id: key for key in await list_keys(uow, org)}

    assert set(listed) == {first.key.key_id, second.key.key_id}
    assert listed[first.key.key_id].revoked_at is not None
    assert listed[second.key.key_id].revoked_at is None
    assert listed[second.key.key_id].scopes == {Scope.MANAGE}
    assert not hasattr(listed[second.key.key_id], "secret")


async def test_organisations_and_key_ids_are_never_taken_twice(uow: SqlUnitOfWork) -> None:
    org = _name("org")
    await create_org(uow, org)
    with pytest.raises(AlreadyExists):
        await create_org(uow, org)
    key_id = _name("chosen")
    await create_key(uow, org, [Scope.MANAGE], key_id=key_id, secret="chosen-secret")
    with pytest.raises(AlreadyExists):
        await create_key(uow, org, [Scope.ISSUE], key_id=key_id)


async def test_keys_need_an_existing_org_and_a_scope(uow: SqlUnitOfWork) -> None:
    with pytest.raises(InvalidRequest, match="no organisation"):
        await create_key(uow, _name("missing"), [Scope.ISSUE])
    org = _name("org")
    await create_org(uow, org)
    with pytest.raises(InvalidRequest, match="scope"):
        await create_key(uow, org, [])
    with pytest.raises(InvalidRequest, match="no API key"):
        await revoke_key(uow, _name("ck"))


async def test_a_bearer_token_acts_for_the_org_it_names(uow: SqlUnitOfWork) -> None:
    org = _name("org")
    org_id = await create_org(uow, org)
    verifier = JwtVerifier(issuer="https://idp", audience="coupons", hs256_secret=HS256_SECRET)
    authenticator = Authenticator(uow, verifier)
    token = jwt.encode(
        {"iss": "https://idp", "aud": "coupons", "exp": 2**40, "org": org, "sub": "svc"},
        HS256_SECRET,
        algorithm="HS256",
    )
    caller = await authenticator.authenticate(f"Bearer {token}")
    assert (caller.org_id, caller.subject, caller.scopes) == (org_id, "svc", frozenset())


async def test_the_demo_data_brings_the_published_demo_key_once(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    try:
        await migrate(engine)
        uow = SqlUnitOfWork(engine)
        org_id = await load_demo_data(uow)
        assert await load_demo_data(uow) == org_id  # A second start changes nothing.
        caller = await Authenticator(uow).authenticate(basic_header("demo", "demo-secret"))
        assert (caller.org_id, caller.org_name, caller.scopes) == (org_id, "demo", {Scope.MANAGE})
        assert [key.key_id for key in await list_keys(uow, "demo")] == ["demo"]
    finally:
        await engine.dispose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("DEMO CREDENTIALS" in message for message in warnings)
    assert not any("demo-secret" in record.getMessage() for record in caplog.records)
