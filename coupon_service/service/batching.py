"""Group commit: concurrent calls share one transaction, one batch at a time per database.

The design, end to end:

1. A use case validates its call (pure, no I/O), then `submit`s it and awaits its answer.
2. If no batch is running, a drain task starts at once; it takes every call queued by then
   (bounded by `max_calls` and `max_weight`) as one batch. A lone call at low load is a batch
   of one and waits for nothing: there is no timer.
3. While a batch runs, new calls queue. When it ends the next batch takes all of them, so the
   batch size follows the load by itself, and a call waits at most for the batch before it.
4. `run` handles the batch in one transaction and answers every call: a result, an error of
   that call alone (its writes undone, the others' kept), or DEFER for a call that must see
   this batch's commit first (the same request id twice in one batch); a deferred call goes
   first into the next batch. A caller hears its answer only after the commit.
5. When `run` raises, the transaction was not committed: every call of the batch gets that
   error (StoreUnavailable: retry, with the same request id always safe).
6. Each batch tells `on_batch` its size and how long each of its calls waited in the queue,
   and each caller's record (service/telemetry.py) gets the size of the batch it ran in.

A caller cancelled while its call still waits in the queue (its deadline passed) is dropped
from the queue, and nothing is written for it. Once its batch has started, the batch runs to
the end regardless: a transaction is never cut in half, and the caller just does not hear.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from .telemetry import current_call

_Call = TypeVar("_Call")
_Answer = TypeVar("_Answer")


class Defer:
    """The answer `run` gives for a call that must go again in the next batch."""


DEFER = Defer()


@dataclasses.dataclass
class BatchStats:
    """What the batcher has done so far; for metrics and for tests that check batching."""

    batches: int = 0
    calls: int = 0
    largest: int = 0
    sizes: deque[int] = dataclasses.field(default_factory=lambda: deque(maxlen=1000))


@dataclasses.dataclass
class _Queued(Generic[_Call, _Answer]):
    call: _Call
    weight: int
    answer: asyncio.Future[_Answer]
    queued_at: float  # time.monotonic()
    batch_size: int = 0  # Of the batch that took it; the batch runs in the drain task.
    waited: float = 0.0


def _ignore(size: int, waits: Sequence[float]) -> None:
    pass


class Batcher(Generic[_Call, _Answer]):
    def __init__(
        self,
        run: Callable[[Sequence[_Call]], Awaitable[Sequence[_Answer | BaseException | Defer]]],
        *,
        max_calls: int = 64,
        max_weight: int = 5_000,
        on_batch: Callable[[int, Sequence[float]], None] = _ignore,
    ) -> None:
        self._run = run
        self._on_batch = on_batch
        self._max_calls = max_calls
        self._max_weight = max_weight
        self._queue: deque[_Queued[_Call, _Answer]] = deque()
        self._drain_task: asyncio.Task[None] | None = None
        self.stats = BatchStats()

    async def submit(self, call: _Call, *, weight: int = 1) -> _Answer:
        """Queues `call` for the next batch and waits for its answer."""
        answer: asyncio.Future[_Answer] = asyncio.get_running_loop().create_future()
        queued = _Queued(call, weight, answer, time.monotonic())
        self._queue.append(queued)
        if self._drain_task is None:
            self._drain_task = asyncio.create_task(self._drain())
        try:
            return await answer
        finally:
            record = current_call()
            if record is not None:
                record.batch_size = queued.batch_size
                record.batch_wait_seconds = queued.waited

    async def drained(self) -> None:
        """Returns once no batch is running or queued: before the database is closed."""
        while self._drain_task is not None:
            await asyncio.shield(self._drain_task)

    async def _drain(self) -> None:
        try:
            while batch := self._next_batch():
                await self._run_one(batch)
        finally:
            self._drain_task = None

    def _next_batch(self) -> list[_Queued[_Call, _Answer]]:
        batch: list[_Queued[_Call, _Answer]] = []
        weight = 0
        while self._queue and len(batch) < self._max_calls:
            queued = self._queue[0]
            if queued.answer.done():  # Its caller was cancelled while it waited.
                self._queue.popleft()
                continue
            if batch and weight + queued.weight > self._max_weight:
                break
            batch.append(self._queue.popleft())
            weight += queued.weight
        return batch

    async def _run_one(self, batch: list[_Queued[_Call, _Answer]]) -> None:
        size = len(batch)
        self.stats.batches += 1
        self.stats.calls += size
        self.stats.largest = max(self.stats.largest, size)
        self.stats.sizes.append(size)
        started = time.monotonic()
        for queued in batch:
            queued.batch_size = size
            queued.waited = started - queued.queued_at
        try:  # Inside: a failing report fails the batch's calls rather than leave them waiting.
            self._on_batch(size, [queued.waited for queued in batch])
            answers = await self._run([queued.call for queued in batch])
        except Exception as error:
            answers = [error] * len(batch)
        deferred = []
        for queued, answer in zip(batch, answers, strict=True):
            if isinstance(answer, Defer):
                deferred.append(queued)
            elif queued.answer.done():
                continue  # The caller left while the batch ran: nobody to tell.
            elif isinstance(answer, BaseException):
                queued.answer.set_exception(answer)
            else:
                queued.answer.set_result(answer)
        self._queue.extendleft(reversed(deferred))
