"""Database work that a caller's cancellation cannot cut in half.

A client whose deadline passes, or who hangs up, cancels the task serving it. Cancelled in the
middle of a transaction, a driver can be left holding its connection (SQLite's write lock
included), and every later call then waits on it. So the entry points run each use case to
completion in a task of its own: the transaction commits or rolls back whole, and only then is
the caller's cancellation honoured — the work itself was never interrupted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

_Result = TypeVar("_Result")
# Tasks whose caller left: kept referenced until they finish, so they are not collected.
_orphans: set[asyncio.Task[Any]] = set()


async def uninterrupted(work: Coroutine[Any, Any, _Result]) -> _Result:
    """Awaits `work` in its own task; a cancelled caller leaves the task to finish alone."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _orphans.add(task)
        task.add_done_callback(_orphans.discard)
        task.add_done_callback(_retrieve_outcome)
        raise


def _retrieve_outcome(task: asyncio.Task[Any]) -> None:
    # Nobody awaits an orphan: read its outcome so asyncio does not log it as never retrieved.
    if not task.cancelled():
        task.exception()


async def wait_for_orphans(seconds: float) -> None:
    """Lets work whose caller left finish, for at most `seconds`, before the database closes."""
    if _orphans:
        await asyncio.wait(set(_orphans), timeout=seconds)
