"""How big each scenario is: the full run (`make stress`) and the quick one (tests, seconds)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    pool_codes: int  # the UPLOADED pool the race empties
    pool_clients: int
    pool_calls_per_client: int
    pool_replays: int  # answers replayed afterwards, a random sample
    limit_clients: int
    limit_calls_per_client: int
    limit_customers: int  # the few customers every limit client issues for
    kills_per_store: int  # SIGKILLs on PostgreSQL (of either replica), and as many on SQLite
    kill_clients: int
    terminate_rounds: int  # pg_terminate_backend of every service backend, once per round
    terminate_clients: int
    give_up_s: float  # a key still unanswered after this long is a breach
    rest_share: float = 0.1  # of the calls, sent through POST /v2/coupon/issue/multiple


FULL = Profile(
    name="full",
    pool_codes=10_000,
    pool_clients=64,
    pool_calls_per_client=1_000,
    pool_replays=2_000,
    limit_clients=64,
    limit_calls_per_client=100,
    limit_customers=4,
    kills_per_store=200,
    kill_clients=16,
    terminate_rounds=20,
    terminate_clients=32,
    give_up_s=60.0,
)

QUICK = Profile(
    name="quick",
    pool_codes=200,
    pool_clients=16,
    pool_calls_per_client=25,
    pool_replays=100,
    limit_clients=16,
    limit_calls_per_client=15,
    limit_customers=3,
    kills_per_store=3,
    kill_clients=8,
    terminate_rounds=3,
    terminate_clients=8,
    give_up_s=20.0,
)
