"""The four attacks. Each makes series of its own, runs its clients, then audits and replays.

- pool race: an UPLOADED pool raced by many clients, count=1 and small counts, half of them
  starting on each replica.
- limits: many clients issuing for the same few customers on every replica at once, from a
  series with maxVouchersPerUser, one allowing one coupon per customer, and one with maxCreate.
- kills: replicas SIGKILLed at random moments and restarted, while clients retry by key.
- terminated backends (PostgreSQL): every backend of the service's database terminated, in
  rounds, while clients retry by key.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from sqlalchemy.engine import make_url

from coupon_service.demo import LOAD_CUSTOMER_MOBILES

from .audit import audit, replay
from .calls import Tally
from .load import Mix, per_client, run_clients, until
from .profiles import Profile
from .replicas import Replica
from .report import Row
from .series import create_series, upload_pool

SMALL_COUNTS = (1, 1, 1, 1, 2, 3, 5)  # count=1 mostly, and small counts
PER_CUSTOMER_LIMIT = 5
MAX_CREATE = 50
FAULT_POOL_CODES = 2_000
_TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = $1 AND pid <> pg_backend_pid()"
)


@dataclasses.dataclass
class Store:
    """One store's servers, and what every scenario on it needs."""

    name: str  # "postgres x2", "sqlite"
    db_url: str
    replicas: list[Replica]
    profile: Profile
    rng: random.Random
    admin_dsn: str | None = None  # PostgreSQL: where backends are terminated from

    def mix(
        self,
        scenario: str,
        series_ids: Sequence[int],
        mobiles: Sequence[str] = LOAD_CUSTOMER_MOBILES,
        counts: Sequence[int] = SMALL_COUNTS,
    ) -> Mix:
        return Mix(
            prefix=f"stress-{scenario}-{self.rng.getrandbits(32):08x}",
            series_ids=series_ids,
            mobiles=mobiles,
            counts=counts,
            rest_share=self.profile.rest_share,
            replicas=len(self.replicas),
            rng=self.rng,
        )

    async def checked(
        self,
        scenario: str,
        series_ids: Sequence[int],
        tally: Tally,
        faults: str = "",
        replays: int | None = None,
    ) -> Row:
        """Audits the database and replays the answers (all, or a sample of `replays`)."""
        result = await audit(self.db_url, series_ids, tally)
        await replay(
            tally,
            self.replicas,
            result,
            sample=replays,
            rng=self.rng,
            give_up_s=self.profile.give_up_s,
        )
        row = Row(scenario, self.name, faults, tally, result)
        checked = f"{result.issued:,} coupons audited, {result.replayed:,} answers replayed"
        print(f"  {scenario}: {checked}, {len(row.breaches())} kinds of breach")
        return row


async def pool_race(store: Store) -> Row:
    profile, first = store.profile, store.replicas[0]
    series_id = await create_series(first, "stress pool race", uploaded=True)
    await upload_pool(first, series_id, profile.pool_codes)
    mix = store.mix("pool", [series_id])
    tally = Tally()
    label = f"pool race of {profile.pool_codes:,} codes"
    calls = per_client(mix, profile.pool_calls_per_client)
    await run_clients(label, profile.pool_clients, calls, store.replicas, tally, profile.give_up_s)
    return await store.checked("pool race", [series_id], tally, replays=profile.pool_replays)


async def limits(store: Store) -> Row:
    profile, first = store.profile, store.replicas[0]
    series_ids = [
        await create_series(first, "stress per customer", max_per_customer=PER_CUSTOMER_LIMIT),
        await create_series(first, "stress one each", one_per_customer=True),
        await create_series(first, "stress capped", max_create=MAX_CREATE),
    ]
    mobiles = LOAD_CUSTOMER_MOBILES[: profile.limit_customers]
    mix = store.mix("limits", series_ids, mobiles=mobiles, counts=(1, 1, 2, 3))
    tally = Tally()
    label = f"limits for {len(mobiles)} customers"
    calls = per_client(mix, profile.limit_calls_per_client)
    await run_clients(label, profile.limit_clients, calls, store.replicas, tally, profile.give_up_s)
    return await store.checked("limits", series_ids, tally)


async def kills(store: Store) -> Row:
    budget = iter(range(1, store.profile.kills_per_store + 1))

    async def killer(replica: Replica) -> None:
        for number in budget:  # One budget shared by every replica's killer.
            await asyncio.sleep(store.rng.uniform(0.05, 0.5))
            await replica.kill_and_restart()
            if number % 10 == 0:
                print(f"  kills: {number} of {store.profile.kills_per_store}")

    async def attack() -> str:
        async with asyncio.TaskGroup() as killers:  # One failing to restart stops the others.
            for replica in store.replicas:
                killers.create_task(killer(replica))
        return f"{sum(replica.kills for replica in store.replicas)} SIGKILLs"

    return await _under_fault(store, "kills", store.profile.kill_clients, attack)


async def terminated_backends(store: Store) -> Row:
    assert store.admin_dsn is not None
    database = make_url(store.db_url).database

    async def attack() -> str:
        admin = await asyncpg.connect(store.admin_dsn)
        terminated = 0
        try:
            for _round in range(store.profile.terminate_rounds):
                await asyncio.sleep(store.rng.uniform(0.5, 1.5))
                terminated += sum(bool(row[0]) for row in await admin.fetch(_TERMINATE, database))
        finally:
            await admin.close()
        await asyncio.sleep(1.0)  # Calls after the last round, on reconnected pools.
        return f"{store.profile.terminate_rounds} rounds, {terminated} backends"

    clients = store.profile.terminate_clients
    return await _under_fault(store, "terminated backends", clients, attack)


async def _under_fault(
    store: Store, scenario: str, clients: int, attack: Callable[[], Awaitable[str]]
) -> Row:
    """`clients` issue by key from three kinds of series until `attack` (the faults) is over."""
    profile, first = store.profile, store.replicas[0]
    pool = await create_series(first, f"stress {scenario} pool", uploaded=True)
    await upload_pool(first, pool, FAULT_POOL_CODES)
    series_ids = [
        await create_series(first, f"stress {scenario} generated"),
        pool,
        await create_series(
            first, f"stress {scenario} limited", max_create=FAULT_POOL_CODES, max_per_customer=40
        ),
    ]
    mix = store.mix(scenario.replace(" ", "-"), series_ids, counts=(1, 1, 2, 3))
    done = asyncio.Event()
    tally = Tally()
    load = asyncio.create_task(
        run_clients(scenario, clients, until(mix, done), store.replicas, tally, profile.give_up_s)
    )
    try:
        faults = await attack()
    finally:
        done.set()
        await load
    return await store.checked(scenario, series_ids, tally, faults)


Scenario = Callable[[Store], Awaitable[Row]]
SCENARIOS: dict[str, Scenario] = {
    "pool": pool_race,
    "limits": limits,
    "kills": kills,
    "terminate": terminated_backends,
}
POSTGRES_ONLY = frozenset({"terminate"})
