"""Recent credential lookups, kept for at most a second or so and shared by concurrent callers.

Without it every authenticated call runs a second transaction just to find its key. The
promise it keeps instead: an answer is never older than `ttl_seconds`, counted from the moment
its lookup began (before its transaction did), so a revocation committed on any replica is
honoured here within that time. Concurrent callers missing the same key share one lookup.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

DEFAULT_TTL_SECONDS = 1.0
# Far more than the live keys of every organisation; random key ids can only push others out.
MAX_ENTRIES = 10_000

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


@dataclasses.dataclass(frozen=True)
class _Answer(Generic[_Value]):
    value: _Value
    started: float  # When its lookup began: what it says was true at that moment or later.


@dataclasses.dataclass(frozen=True)
class _Lookup(Generic[_Value]):
    started: float
    task: asyncio.Task[_Value]


def _retrieve(task: asyncio.Task[Any]) -> None:
    # Nobody may await a lookup whose caller left: read its outcome so asyncio does not log it.
    if not task.cancelled():
        task.exception()


class CredentialCache(Generic[_Key, _Value]):
    """Answers of `lookup` by key, each for at most `ttl_seconds`; 0 asks every time."""

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._answers: OrderedDict[_Key, _Answer[_Value]] = OrderedDict()
        # One per key being looked up; bounded by the calls in flight, each waiting on one.
        self._lookups: dict[_Key, _Lookup[_Value]] = {}

    def __len__(self) -> int:
        return len(self._answers)

    async def get(self, key: _Key, lookup: Callable[[], Coroutine[Any, Any, _Value]]) -> _Value:
        """The recent answer for `key`, or the one `lookup` gives; its errors propagate."""
        if self._ttl <= 0:
            # Still in a task of its own: a caller cut off mid-lookup must not cut its
            # transaction in half.
            task = asyncio.create_task(lookup())
            task.add_done_callback(_retrieve)
            return await asyncio.shield(task)
        now = self._clock()
        answer = self._answers.get(key)
        if answer is not None and self._recent(answer.started, now):
            self._answers.move_to_end(key)
            return answer.value
        running = self._lookups.get(key)
        # Joining a lookup that began too long ago would hand out an answer older than the TTL.
        if running is None or not self._recent(running.started, now):
            running = _Lookup(now, asyncio.create_task(lookup()))
            self._lookups[key] = running
            running.task.add_done_callback(functools.partial(self._finished, key, running))
        # Shielded: a caller that gives up must not cancel the lookup others are waiting for.
        return await asyncio.shield(running.task)

    def _recent(self, started: float, now: float) -> bool:
        return now - started < self._ttl

    def _finished(self, key: _Key, lookup: _Lookup[_Value], task: asyncio.Task[_Value]) -> None:
        if self._lookups.get(key) is lookup:
            del self._lookups[key]
        # A failed lookup is no answer: its waiters get the error, the next call asks again.
        # Reading the exception also keeps asyncio from logging it when every waiter left.
        if task.cancelled() or task.exception() is not None:
            return
        newer = self._answers.get(key)
        if newer is not None and newer.started > lookup.started:
            return
        self._answers[key] = _Answer(task.result(), lookup.started)
        self._answers.move_to_end(key)
        while len(self._answers) > self._max_entries:
            self._answers.popitem(last=False)  # The least recently used.
