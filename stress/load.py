"""Concurrent clients: each makes its calls one after the other, each settled by its key.

A `Mix` says what the calls of a scenario ask for (series, counts, customers, which door and
which replica first); `per_client` and `until` say how many there are. A progress line is
printed every PROGRESS_S while the clients run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence

from .calls import Call, Tally, make
from .replicas import Replica

PROGRESS_S = 10.0
NextCall = Callable[[int], Call | None]  # a client's next call, or None when it is done


@dataclasses.dataclass
class Mix:
    """The calls of one scenario; each key is unique within the run."""

    prefix: str
    series_ids: Sequence[int]
    mobiles: Sequence[str]
    counts: Sequence[int]
    rest_share: float
    replicas: int
    rng: random.Random
    made: int = 0

    def call(self, client: int) -> Call:
        """Client `client`'s next call; its first attempt goes to replica client % replicas."""
        self.made += 1
        return Call(
            key=f"{self.prefix}-{self.made}",
            series_id=self.rng.choice(self.series_ids),
            count=self.rng.choice(self.counts),
            mobile=self.rng.choice(self.mobiles),
            rest=self.rng.random() < self.rest_share,
            replica=client % self.replicas,
        )


def per_client(mix: Mix, calls: int) -> NextCall:
    made: Counter[int] = Counter()

    def next_call(client: int) -> Call | None:
        made[client] += 1
        return mix.call(client) if made[client] <= calls else None

    return next_call


def until(mix: Mix, done: asyncio.Event) -> NextCall:
    return lambda client: None if done.is_set() else mix.call(client)


async def run_clients(
    label: str,
    clients: int,
    next_call: NextCall,
    replicas: Sequence[Replica],
    tally: Tally,
    give_up_s: float,
) -> None:
    """Runs `clients` clients until each has no next call, every call settled."""

    async def client(index: int) -> None:
        while (call := next_call(index)) is not None:
            await make(call, replicas, tally, give_up_s)

    began = time.perf_counter()
    progress = asyncio.create_task(_progress(label, tally, began))
    try:
        await asyncio.gather(*(client(index) for index in range(clients)))
    finally:
        progress.cancel()
    elapsed = time.perf_counter() - began
    print(f"  {label}: {tally.calls:,} calls, {len(tally.answers):,} keys in {elapsed:.0f} s")


async def _progress(label: str, tally: Tally, began: float) -> None:
    while True:
        await asyncio.sleep(PROGRESS_S)
        elapsed = time.perf_counter() - began
        print(f"  {label}: {tally.calls:,} calls after {elapsed:.0f} s")
