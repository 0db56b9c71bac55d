"""The client processes: two spawned interpreters that run `load.worker_main`, and the split of
one scenario over them.

`ClientPool.run` hands each process its job, waits until every one is ready (connected and
warmed up), tells them all to go at once, and collects their results; the harness merges them
into one window. Every wait has a timeout, and `close` ends the processes (politely, then by
terminate) however the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
from collections.abc import Sequence
from multiprocessing.connection import Connection as Pipe
from multiprocessing.process import BaseProcess
from typing import Any

from .load import Job, JobResult, worker_main
from .meters import CpuMeter

READY_TIMEOUT_S = 120.0  # Opening channels and building up to 500,000 codes.
RESULT_GRACE_S = 180.0  # Beyond the time cap: the last calls' timeouts, and the pickling.


class ClientError(RuntimeError):
    """A client process failed to prepare or run its job."""


class ClientPool:
    """`size` client processes, each serving one job at a time."""

    def __init__(self, size: int = 2) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Pipe] = []
        self._processes: list[BaseProcess] = []
        for index in range(size):
            parent, child = context.Pipe()
            process = context.Process(
                target=worker_main, args=(child,), name=f"bench-client-{index}", daemon=True
            )
            process.start()
            child.close()
            self._pipes.append(parent)
            self._processes.append(process)

    @property
    def size(self) -> int:
        return len(self._pipes)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes if process.pid is not None]

    async def run(self, jobs: list[Job], meters: Sequence[CpuMeter] = ()) -> list[JobResult]:
        """Runs one job per process in one window; `meters` run over that window only."""
        if len(jobs) > self.size:
            raise ValueError(f"{len(jobs)} jobs for {self.size} client processes")
        pipes = self._pipes[: len(jobs)]
        for pipe, job in zip(pipes, jobs, strict=True):
            pipe.send(job)
        replies = await asyncio.gather(*(_receive(pipe, READY_TIMEOUT_S) for pipe in pipes))
        failed = [str(payload) for kind, payload in replies if kind != "ready"]
        for pipe, (kind, _payload) in zip(pipes, replies, strict=True):
            if kind == "ready":
                pipe.send("abort" if failed else "go")
        if failed:
            raise ClientError("a client process could not start its job:\n" + failed[0])
        cap = max(job.time_cap_s for job in jobs) + RESULT_GRACE_S
        with contextlib.ExitStack() as stack:
            for meter in meters:
                stack.enter_context(meter)
            results = await asyncio.gather(*(_receive(pipe, cap) for pipe in pipes))
        errors = [str(payload) for kind, payload in results if kind != "done"]
        if errors:
            raise ClientError("a client process failed:\n" + errors[0])
        return [payload for _kind, payload in results]

    def close(self) -> None:
        for pipe in self._pipes:
            try:
                pipe.send(None)
            except OSError:
                pass
        for process in self._processes:
            process.join(timeout=3)
            if process.is_alive():
                process.terminate()
                process.join(timeout=3)
        for pipe in self._pipes:
            pipe.close()


async def _receive(pipe: Pipe, timeout_s: float) -> tuple[str, Any]:
    """The next message from a client process; waits on the event loop, so Ctrl-C cancels it."""
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()

    def on_readable() -> None:
        if not readable.done():
            readable.set_result(None)

    loop.add_reader(pipe.fileno(), on_readable)
    try:
        await asyncio.wait_for(readable, timeout_s)
    except TimeoutError as error:
        raise ClientError(f"a client process did not answer within {timeout_s:.0f} s") from error
    finally:
        loop.remove_reader(pipe.fileno())
    try:
        message: tuple[str, Any] = pipe.recv()
    except EOFError as error:
        raise ClientError("a client process died") from error
    return message


def split(job: Job, processes: int) -> list[Job]:
    """One job per process: callers, tickets and warm-up redemptions dealt out in turn (ticket i
    to process i % n), so together they make exactly the calls of `job`."""
    processes = max(1, min(processes, job.concurrency))
    start, stop, step = job.tickets
    return [
        dataclasses.replace(
            job,
            concurrency=job.concurrency // processes + (index < job.concurrency % processes),
            tickets=(start + index * step, stop, step * processes),
            warmup_redemptions=job.warmup_redemptions[index::processes],
        )
        for index in range(processes)
    ]
