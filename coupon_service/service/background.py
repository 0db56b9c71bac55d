"""A task the service runs beside the calls it serves, until it stops."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self


class BackgroundTask:
    """Runs `_run` as a task of its own from `start` until `stop` cancels it."""

    name = "background"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Self:
        self._task = asyncio.create_task(self._run(), name=self.name)
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        raise NotImplementedError
