"""The client process: receives jobs over a pipe, runs each as a closed loop, sends results.

A job runs in three steps so that the loops of several client processes share one window:
the process prepares (opens its channels or connections, builds its requests, makes unmeasured
warm-up calls for `warmup_s`), answers "ready", waits for "go" (or "abort"), then runs the
measured loop and answers with its `JobResult`. Every loop stops by itself: its tickets run
out or its time cap passes, and every call has a timeout.

The protocol, parent to child: a `Job`, then "go" or "abort"; or None to exit. Child to
parent: ("ready", None) or ("error", text), then ("done", JobResult) or ("error", text).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import traceback
from collections import Counter
from multiprocessing.connection import Connection as Pipe
from typing import Any

import grpc

from . import calls
from .harness import Call, LoopResult, closed_loop
from .rest_client import Connection


@dataclasses.dataclass(frozen=True)
class Job:
    """One client process's share of one scenario."""

    kind: str  # "echo", "issue", "bulk", "upload", "redeem" or "rest"
    targets: tuple[str, ...]  # host:port of each server (gRPC, or HTTP for "rest")
    concurrency: int
    tickets: tuple[int, int, int]  # range(start, stop, step): this process's tickets
    time_cap_s: float
    warmup_s: float = 0.0
    series_ids: tuple[int, ...] = ()
    count: int = 1
    keep_codes: bool = False
    code_prefix: str = ""  # "upload": ticket t uploads codes prefix + t*chunk ... (t+1)*chunk-1
    chunk: int = 10_000
    # "redeem": (code, holder's mobile) that ticket t redeems, and those of the warm-up calls,
    # each code once; `split` deals the warm-up ones out, so no two processes share one.
    redemptions: tuple[tuple[str, str], ...] = ()
    warmup_redemptions: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass
class JobResult:
    loop: LoopResult
    codes: list[str]  # the codes received (issued, or redeemed), when the job kept them
    redemption_ids: list[int]  # "redeem": the id of each redemption made, when kept
    short_answers: dict[str, int]  # calls that issued fewer coupons than asked, by error code


class Prepared:
    """A job's channels, connections and call, ready to run."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.codes: list[str] = []
        self.redemption_ids: list[int] = []
        self.short: Counter[str] = Counter()
        self.channels: list[grpc.aio.Channel] = []
        self.connections: list[Connection] = []
        self.call = self._call()

    def _call(self) -> Call:
        job, targets = self.job, list(self.job.targets)
        if job.kind == "rest":
            self.connections = calls.rest_connections(targets, job.concurrency)
            return calls.rest_call(targets, job.series_ids[0], job.count, self.connections)
        self.channels = [
            grpc.aio.insecure_channel(target, options=calls.CHANNEL_OPTIONS) for target in targets
        ]
        if job.kind == "echo":
            return calls.echo_call(self.channels)
        if job.kind == "issue":
            codes = self.codes if job.keep_codes else None
            return calls.issue_call(self.channels, job.series_ids[0], job.count, codes, self.short)
        if job.kind == "bulk":
            return calls.bulk_call(self.channels, job.series_ids)
        if job.kind == "upload":
            requests = calls.upload_requests(
                job.series_ids[0], job.code_prefix, job.chunk, range(*job.tickets)
            )
            return calls.upload_call(self.channels, job.series_ids[0], requests)
        if job.kind == "redeem":
            redemptions = calls.redeem_requests(
                job.redemptions, job.warmup_redemptions, range(*job.tickets)
            )
            kept = (self.codes, self.redemption_ids) if job.keep_codes else None
            return calls.redeem_call(self.channels, redemptions, kept)
        raise ValueError(f"unknown job kind {job.kind!r}")

    async def warm_up(self) -> None:
        for channel in self.channels:
            await asyncio.wait_for(channel.channel_ready(), calls.CALL_TIMEOUT_S)
        if self.job.warmup_s > 0:
            await closed_loop(
                self.call,
                self._warmup_tickets(),
                concurrency=self.job.concurrency,
                time_cap_s=self.job.warmup_s,
                classify=calls.classify,
            )
        self.codes.clear()
        self.redemption_ids.clear()
        self.short.clear()

    def _warmup_tickets(self) -> range:
        """Negative tickets, apart from the measured ones; a "redeem" job has one per warm-up
        coupon, so its warm-up ends early rather than redeem a code twice."""
        if self.job.kind == "redeem":
            return range(-len(self.job.warmup_redemptions), 0)
        return range(-(10**9), 0)

    async def run(self) -> JobResult:
        job = self.job
        loop = await closed_loop(
            self.call,
            range(*job.tickets),
            concurrency=job.concurrency,
            time_cap_s=job.time_cap_s,
            classify=calls.classify,
        )
        return JobResult(loop, self.codes, self.redemption_ids, dict(self.short))

    async def close(self) -> None:
        for connection in self.connections:
            connection.close()
        for channel in self.channels:
            await channel.close()


def _error() -> tuple[str, str]:
    return ("error", traceback.format_exc(limit=5))


def _serve_one(pipe: Pipe, loop: asyncio.AbstractEventLoop, job: Job) -> None:
    prepared: Prepared | None = None
    try:
        prepared = Prepared(job)
        loop.run_until_complete(prepared.warm_up())
    except Exception:
        pipe.send(_error())
        if prepared is not None:
            loop.run_until_complete(prepared.close())
        return
    try:
        pipe.send(("ready", None))
        if pipe.recv() != "go":
            return
        try:
            pipe.send(("done", loop.run_until_complete(prepared.run())))
        except Exception:
            pipe.send(_error())
    finally:
        loop.run_until_complete(prepared.close())


def worker_main(pipe: Pipe) -> None:
    """The client process's entry point (multiprocessing, spawn)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    with contextlib.suppress(KeyboardInterrupt, EOFError, BrokenPipeError):
        while True:
            job: Any = pipe.recv()
            if job is None:
                break
            _serve_one(pipe, loop, job)
    loop.close()
