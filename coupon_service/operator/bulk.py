"""A CSV file streamed to the service in batches, several in flight, each batch counted as it
comes back; rejected rows are collected by line instead of stopping the file."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TextIO, TypeVar

from ..service.customer_import import IMPORT_CHUNK, ImportAction
from ..service.series import MAX_CODES_PER_UPLOAD
from .backends import UPLOADS_IN_FLIGHT, Backend
from .csv_rows import Batch, Rejected, code_batches, customer_batches
from .progress import Progress

_Row = TypeVar("_Row")
_Work = Callable[[], Awaitable[None]]
_Submit = Callable[[_Work], Awaitable[None]]


@dataclasses.dataclass
class CodesReport:
    read: int = 0
    added: int = 0
    already_present: int = 0
    rejected: list[Rejected] = dataclasses.field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "added": self.added,
            "already present": self.already_present,
            "rejected": len(self.rejected),
        }


@dataclasses.dataclass
class CustomersReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = dataclasses.field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }


async def upload_codes(backend: Backend, series_id: int, file: TextIO) -> CodesReport:
    """Uploads the file's codes in batches of the most UploadCodes takes, UPLOADS_IN_FLIGHT at
    a time. A code the organisation already has is counted, not added, so a re-run adds none."""
    report = CodesReport()
    with Progress(file, f"series {series_id}") as progress:

        async def send(batch: Batch[str]) -> None:
            uploaded = await backend.upload_codes(series_id, batch.rows)
            report.added += uploaded.added
            report.already_present += uploaded.already_present
            progress.advance(report.counts())

        batches = code_batches(file, MAX_CODES_PER_UPLOAD)
        async with _in_flight(UPLOADS_IN_FLIGHT) as submit:
            for batch in _counted(batches, report):
                if batch.rows:
                    await submit(functools.partial(send, batch))
    report.rejected.sort(key=lambda rejected: rejected.line)
    return report


async def import_customers(backend: Backend, file: TextIO) -> CustomersReport:
    """Imports the file's customers, IMPORT_CHUNK records per call, one call at a time: a
    record reaching a customer an earlier one reached is applied after it, as in the file."""
    report = CustomersReport()
    tally = {
        ImportAction.CREATED: "created",
        ImportAction.UPDATED: "updated",
        ImportAction.UNCHANGED: "unchanged",
    }
    with Progress(file, "customers") as progress:
        for batch in _counted(customer_batches(file, IMPORT_CHUNK), report):
            if not batch.rows:
                continue
            outcomes = await backend.import_customers([row.record for row in batch.rows])
            for row, outcome in zip(batch.rows, outcomes, strict=True):
                if outcome.action is ImportAction.REJECTED:
                    report.rejected.append(Rejected(row.line, outcome.reason))
                else:
                    name = tally[outcome.action]
                    setattr(report, name, getattr(report, name) + 1)
            progress.advance(report.counts())
    report.rejected.sort(key=lambda rejected: rejected.line)
    return report


def _counted(
    batches: Iterable[Batch[_Row]], report: CodesReport | CustomersReport
) -> Iterable[Batch[_Row]]:
    for batch in batches:
        report.read += batch.read
        report.rejected += batch.rejected
        yield batch


@asynccontextmanager
async def _in_flight(limit: int) -> AsyncIterator[_Submit]:
    """Runs what is submitted concurrently, at most `limit` at once (submitting waits for a
    free slot, so the file is read no further ahead than that); the first failure stops all
    and is raised as itself."""
    slots = asyncio.Semaphore(limit)

    async def run(work: _Work) -> None:
        try:
            await work()
        finally:
            slots.release()

    try:
        async with asyncio.TaskGroup() as tasks:

            async def submit(work: _Work) -> None:
                await slots.acquire()
                tasks.create_task(run(work))

            yield submit
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
