"""The Authenticator's cache of store lookups, on a counting in-memory store and a fake clock.

A hit within the TTL costs no transaction; after it, one; concurrent misses share one; a
revoked key is refused once the TTL has passed; a wrong secret is refused however fresh the key.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from coupon_service.domain.credentials import (
    ApiKey,
    Scope,
    TokenClaims,
    basic_header,
    hash_secret,
)
from coupon_service.domain.errors import Unauthenticated
from coupon_service.service.auth import Authenticator
from coupon_service.service.credential_cache import CredentialCache
from coupon_service.service.unit_of_work import StoredKey

TTL = 1.0
ORG_ID, ORG_NAME = 7, "acme"
KEY_ID, SECRET = "ck_cached", "the-right-secret"
CALLERS = 64


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingStore:
    """Keys and orgs in memory; counts transactions, and can hold them open or fail them."""

    def __init__(self) -> None:
        self.transactions = 0
        self.keys: dict[str, StoredKey] = {}
        self.org_ids = {ORG_NAME: ORG_ID}
        self.gate: asyncio.Event | None = None  # While unset, lookups wait.
        self.failure: Exception | None = None

    def add_key(self, key_id: str, secret: str) -> None:
        key = ApiKey(key_id, ORG_ID, frozenset({Scope.ISSUE}), datetime.now(UTC))
        self.keys[key_id] = StoredKey(key, ORG_NAME, hash_secret(secret))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[CountingStore]:
        self.transactions += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        yield self

    # The repositories the Authenticator reads: tx.credentials and tx.orgs.
    @property
    def credentials(self) -> CountingStore:
        return self

    @property
    def orgs(self) -> CountingStore:
        return self

    async def find_active(self, key_id: str) -> StoredKey | None:
        return self.keys.get(key_id)

    async def find(self, name: str) -> int | None:
        return self.org_ids.get(name)


class FixedTokens:
    async def verify(self, token: str) -> TokenClaims:
        return TokenClaims(token, frozenset({Scope.ISSUE}), "svc")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> CountingStore:
    store = CountingStore()
    store.add_key(KEY_ID, SECRET)
    return store


def authenticator_of(store: CountingStore, clock: FakeClock, ttl: float = TTL) -> Authenticator:
    return Authenticator(store, FixedTokens(), cache_seconds=ttl, clock=clock)  # type: ignore[arg-type]


GOOD = basic_header(KEY_ID, SECRET)


async def test_a_hit_within_the_ttl_needs_no_transaction(
    store: CountingStore, clock: FakeClock
) -> None:
    authenticator = authenticator_of(store, clock)
    caller = await authenticator.authenticate(GOOD)
    for _ in range(10):
        clock.advance(TTL / 20)
        assert await authenticator.authenticate(GOOD) == caller
    assert (caller.org_id, caller.subject) == (ORG_ID, KEY_ID)
    assert store.transactions == 1


async def test_an_expired_entry_is_looked_up_once_again(
    store: CountingStore, clock: FakeClock
) -> None:
    authenticator = authenticator_of(store, clock)
    await authenticator.authenticate(GOOD)
    clock.advance(TTL)
    await authenticator.authenticate(GOOD)
    await authenticator.authenticate(GOOD)
    assert store.transactions == 2


async def test_concurrent_misses_share_one_lookup(store: CountingStore, clock: FakeClock) -> None:
    authenticator = authenticator_of(store, clock)
    await authenticator.authenticate(GOOD)
    clock.advance(TTL)  # The entry expires as 64 calls arrive.
    store.gate = asyncio.Event()
    calls = [asyncio.create_task(authenticator.authenticate(GOOD)) for _ in range(CALLERS)]
    await asyncio.sleep(0)
    store.gate.set()
    callers = await asyncio.gather(*calls)
    assert {caller.subject for caller in callers} == {KEY_ID}
    assert store.transactions == 2


async def test_a_revoked_key_is_refused_once_the_ttl_has_passed(
    store: CountingStore, clock: FakeClock
) -> None:
    authenticator = authenticator_of(store, clock)
    await authenticator.authenticate(GOOD)
    del store.keys[KEY_ID]  # What find_active says of a revoked key.
    clock.advance(TTL * 0.9)
    await authenticator.authenticate(GOOD)  # Still within the promise.
    clock.advance(TTL * 0.1)
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(GOOD)


async def test_a_wrong_secret_is_refused_even_when_the_key_is_cached(
    store: CountingStore, clock: FakeClock
) -> None:
    authenticator = authenticator_of(store, clock)
    await authenticator.authenticate(GOOD)
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(basic_header(KEY_ID, SECRET + "x"))
    await authenticator.authenticate(GOOD)
    assert store.transactions == 1


async def test_an_unknown_key_is_remembered_no_longer_than_the_ttl(
    store: CountingStore, clock: FakeClock
) -> None:
    authenticator = authenticator_of(store, clock)
    late = basic_header("ck_not_yet", "its-secret")
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(late)
    store.add_key("ck_not_yet", "its-secret")
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(late)
    assert store.transactions == 1
    clock.advance(TTL)
    assert (await authenticator.authenticate(late)).subject == "ck_not_yet"


async def test_ttl_zero_looks_up_on_every_call(store: CountingStore, clock: FakeClock) -> None:
    authenticator = authenticator_of(store, clock, ttl=0)
    for _ in range(5):
        await authenticator.authenticate(GOOD)
    del store.keys[KEY_ID]
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate(GOOD)
    assert store.transactions == 6


async def test_a_failed_lookup_reaches_every_waiter_and_is_not_kept(
    store: CountingStore, clock: FakeClock
) -> None:
    authenticator = authenticator_of(store, clock)
    store.gate, store.failure = asyncio.Event(), ConnectionError("database is gone")
    calls = [asyncio.create_task(authenticator.authenticate(GOOD)) for _ in range(CALLERS)]
    await asyncio.sleep(0)
    store.gate.set()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert store.transactions == 1
    store.gate, store.failure = None, None
    assert (await authenticator.authenticate(GOOD)).subject == KEY_ID
    assert store.transactions == 2


async def test_a_bearer_tokens_org_is_cached_like_a_key(
    store: CountingStore, clock: FakeClock
) -> None:
    authenticator = authenticator_of(store, clock)
    for _ in range(3):
        assert (await authenticator.authenticate(f"Bearer {ORG_NAME}")).org_id == ORG_ID
    with pytest.raises(Unauthenticated):
        await authenticator.authenticate("Bearer no-such-org")
    assert store.transactions == 2
    clock.advance(TTL)
    await authenticator.authenticate(f"Bearer {ORG_NAME}")
    assert store.transactions == 3


# --- the cache itself ---------------------------------------------------------------------


async def test_the_cache_never_holds_more_than_its_bound(clock: FakeClock) -> None:
    cache: CredentialCache[str, int] = CredentialCache(TTL, max_entries=100, clock=clock)
    asked: list[str] = []

    async def lookup(key: str) -> int:
        asked.append(key)
        return len(key)

    for number in range(1000):  # An attacker's random key ids.
        key = f"ck_random_{number}"
        await cache.get(key, functools.partial(lookup, key))
        assert len(cache) <= 100
    # The most recently used stay; the oldest were pushed out.
    await cache.get("ck_random_999", lambda: lookup("again"))
    await cache.get("ck_random_0", lambda: lookup("ck_random_0"))
    assert asked[-1] == "ck_random_0" and "again" not in asked


async def test_a_lookup_begun_longer_ago_than_the_ttl_is_not_joined(clock: FakeClock) -> None:
    cache: CredentialCache[str, str] = CredentialCache(TTL, clock=clock)
    slow, answers = asyncio.Event(), iter(["read before", "read after"])

    async def lookup() -> str:
        answer = next(answers)
        if answer == "read before":
            await slow.wait()
        return answer

    first = asyncio.create_task(cache.get("key", lookup))
    await asyncio.sleep(0)
    clock.advance(TTL)  # The store stalls past the TTL; a later call must not wait on that read.
    assert await cache.get("key", lookup) == "read after"
    slow.set()
    assert await first == "read before"
    # The older read, finishing last, does not replace the newer answer.
    assert await cache.get("key", lookup) == "read after"


async def test_a_caller_giving_up_does_not_cancel_the_shared_lookup(clock: FakeClock) -> None:
    cache: CredentialCache[str, str] = CredentialCache(TTL, clock=clock)
    release, lookups = asyncio.Event(), []

    async def lookup() -> str:
        lookups.append(1)
        await release.wait()
        return "answer"

    leaving = asyncio.create_task(cache.get("key", lookup))
    staying = asyncio.create_task(cache.get("key", lookup))
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    assert await staying == "answer"
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert await cache.get("key", lookup) == "answer" and len(lookups) == 1
