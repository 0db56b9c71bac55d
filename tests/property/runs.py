"""Running a scenario's calls batch by batch, on the fake store or on a real database.

The batches go straight into `issue_batch`, through the unit of work's `run_batch` as the
batcher would send them: a call that must wait for an earlier call of its batch with the same
request id (DEFER) goes first into the next batch. The answers come back in the order the
calls were therefore decided, which is the order the sequential model replays them in; or
through the use cases themselves, whose batcher must form the same batches.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from coupon_service.domain.errors import InvalidRequest
from coupon_service.domain.model import CustomerRef, IdentifierType, IssuanceMetadata
from coupon_service.service.batching import Defer
from coupon_service.service.idempotency import fingerprint
from coupon_service.service.inputs import BulkIssueRequest, IssueCall, IssueRequest
from coupon_service.service.issue_batch import Answer
from coupon_service.service.issuing import bulk_issue, issue_multiple, issuing_batcher
from tests.answers import together
from tests.fakes import FakeUnitOfWork

from .backends import Backend, FakeBackend, SqlBackend, Stored
from .scenarios import Request, Scenario, Step


def service_request(request: Request) -> IssueRequest | BulkIssueRequest:
    """The request as a use case takes it."""
    ref = CustomerRef(IdentifierType.MOBILE, request.mobile)
    metadata = IssuanceMetadata(source_type=request.source_type)
    series_ids = list(request.series_ids)
    if request.bulk:
        return BulkIssueRequest(series_ids, ref, metadata, request.request_id)
    return IssueRequest(series_ids, request.count, ref, metadata, request.request_id)


def issue_call(step: Step, org_id: int) -> IssueCall:
    """The call as `issue_multiple` / `bulk_issue` hand it to their batch, validated."""
    request = step.request
    described = service_request(request)
    operation = "BulkIssue" if request.bulk else "IssueMultiple"
    return IssueCall(
        org_id=org_id,
        bulk=request.bulk,
        customer=CustomerRef(IdentifierType.MOBILE, request.mobile),
        series_ids=request.series_ids,
        count=1 if request.count is None else request.count,
        metadata=described.metadata,
        request_id=request.request_id,
        fingerprint=fingerprint(operation, described) if request.request_id else "",
        issued_at=step.at,
    )


def _request_key(step: Step) -> tuple[int, str] | None:
    request = step.request
    return None if request.request_id is None else (request.org, request.request_id)


def deferred(batch: Sequence[Step]) -> list[int]:
    """Positions of the calls whose request id an earlier call of the batch has."""
    seen: set[tuple[int, str]] = set()
    later = []
    for position, step in enumerate(batch):
        key = _request_key(step)
        if key is not None and key in seen:
            later.append(position)
        elif key is not None:
            seen.add(key)
    return later


def commit_order(batch: Sequence[Step]) -> list[list[Step]]:
    """The batches one batch of calls becomes: each call deferred goes into the next one."""
    rounds: list[list[Step]] = []
    pending = list(batch)
    while pending:
        later = set(deferred(pending))
        rounds.append([s for position, s in enumerate(pending) if position not in later])
        pending = [s for position, s in enumerate(pending) if position in later]
    return rounds


@dataclasses.dataclass(frozen=True)
class Answered:
    """One call and the service's answer to it, in the order the calls were decided."""

    step: Step
    answer: Answer


async def run_scenario(
    scenario: Scenario, backend: Backend, batches: Sequence[Sequence[Step]] | None = None
) -> list[Answered]:
    """Runs the batches (the scenario's own by default); checks that exactly the calls
    repeating a request id of their batch were deferred, and carries them into the next."""
    planned = [list(batch) for batch in (scenario.batches() if batches is None else batches)]
    answered: list[Answered] = []
    carried: list[Step] = []
    while planned or carried:
        batch = carried + (planned.pop(0) if planned else [])
        calls = [issue_call(step, backend.org_ids[step.request.org]) for step in batch]
        answers = await backend.run_batch(calls)
        assert len(answers) == len(batch)
        waiting = [i for i, answer in enumerate(answers) if isinstance(answer, Defer)]
        assert waiting == deferred(batch), f"deferred {waiting} of {batch}"
        carried = [batch[i] for i in waiting]
        answered += [
            Answered(step, answer)
            for step, answer in zip(batch, answers, strict=True)
            if not isinstance(answer, Defer)
        ]
    return answered


def run_on_fake(
    scenario: Scenario, batches: Sequence[Sequence[Step]] | None = None
) -> tuple[list[Answered], Stored]:
    """Runs the scenario on a fresh fake store: the answers, and what was stored."""

    async def run() -> tuple[list[Answered], Stored]:
        backend = FakeBackend(scenario.world)
        answered = await run_scenario(scenario, backend, batches)
        return answered, await backend.stored()

    return asyncio.run(run())


def run_on_database(url: str, scenario: Scenario) -> tuple[list[Answered], Stored]:
    """Runs the scenario in two new organisations of the database at `url`."""

    async def run() -> tuple[list[Answered], Stored]:
        backend = await SqlBackend.open(url, scenario.world)
        try:
            answered = await run_scenario(scenario, backend)
            return answered, await backend.stored()
        finally:
            await backend.close()

    return asyncio.run(run())


async def _use_case(uow: FakeUnitOfWork, org_id: int, step: Step) -> Answer:
    request = service_request(step.request)
    if isinstance(request, BulkIssueRequest):
        return await bulk_issue(uow, org_id, request, now=step.at)
    return await issue_multiple(uow, org_id, request, now=step.at)


def run_use_cases_on_fake(scenario: Scenario) -> tuple[list[Answered], Stored]:
    """Makes each batch's calls at once through `issue_multiple` / `bulk_issue`, so that the
    batcher gathers them; checks it formed the batches the calls should have made."""

    async def run() -> tuple[list[Answered], Stored]:
        backend = FakeBackend(scenario.world)
        answered: list[Answered] = []
        sizes: list[int] = []
        for planned in scenario.batches():
            answers = await together(
                *(_use_case(backend.uow, backend.org_ids[s.request.org], s) for s in planned)
            )
            pairs = list(zip(planned, answers, strict=True))
            # Refused before joining a batch, these change nothing: any order will do.
            answered += [Answered(s, a) for s, a in pairs if isinstance(a, InvalidRequest)]
            reached = {s: a for s, a in pairs if not isinstance(a, InvalidRequest)}
            entering = len(reached)  # A deferred call enters the next batch as well.
            for decided in commit_order(list(reached)):
                sizes.append(entering)
                entering -= len(decided)
                answered += [Answered(step, reached[step]) for step in decided]
        assert list(issuing_batcher(backend.uow).stats.sizes) == sizes
        return answered, await backend.stored()

    return asyncio.run(run())
