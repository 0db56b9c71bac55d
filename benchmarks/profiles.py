"""How much work each scenario does, for the full run and the quick one.

Every measured loop stops at its time cap (`point_s` for the rate scenarios, `big_cap_s` for
the bulk ones) or when its calls run out, whichever comes first. The quick run scales the
"1M" scenarios down (`big_codes`) and reports them as such, with the targets scaled alike.
"""

from __future__ import annotations

import dataclasses

STEPS = (
    "rss",
    "echo",
    "raw",
    "upload1m",
    "issue1",
    "redeem",
    "issue500",
    "bulk",
    "rest",
    "issue1m",
)


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    point_s: float  # measured time of each rate point
    warmup_s: float  # unmeasured calls before each point
    concurrencies: tuple[int, ...]  # count=1 and echo
    replica_concurrencies: tuple[int, ...]  # the two-replica variants (PostgreSQL)
    batch_concurrency: int  # count=500
    bulk_concurrency: int
    rest_concurrency: int
    bulk_series: int  # series per BulkIssue call
    big_codes: int  # the "1M" upload and issue
    big_cap_s: float
    upload_chunk: int
    upload_concurrency: int
    big_issue_concurrency: int
    pool_codes: int  # the UPLOADED pool when the big upload did not run
    soak_s: float  # load between the two RSS readings
    raw_cap_s: float
    postgres_steps: tuple[str, ...]  # the PostgreSQL set (the quick one is reduced)

    @property
    def big_label(self) -> str:
        return "1M" if self.big_codes == 1_000_000 else f"{self.big_codes // 1000}k"

    @property
    def big_scale(self) -> float:
        return self.big_codes / 1_000_000


FULL = Profile(
    name="full",
    point_s=5.0,
    warmup_s=0.5,
    concurrencies=(1, 16, 64),
    replica_concurrencies=(16, 64),
    batch_concurrency=16,
    bulk_concurrency=16,
    rest_concurrency=16,
    bulk_series=10,
    big_codes=1_000_000,
    big_cap_s=60.0,
    upload_chunk=10_000,
    upload_concurrency=4,
    big_issue_concurrency=8,
    pool_codes=200_000,
    soak_s=60.0,
    raw_cap_s=3.0,
    postgres_steps=STEPS,
)

QUICK = dataclasses.replace(
    FULL,
    name="quick",
    point_s=1.0,
    warmup_s=0.25,
    replica_concurrencies=(16,),
    big_codes=100_000,
    big_cap_s=6.0,
    pool_codes=30_000,
    soak_s=5.0,
    raw_cap_s=1.0,
    postgres_steps=("echo", "raw", "issue1", "redeem", "issue500"),
)
