"""The issuing rules, batched, against the sequential reference model (model.py).

Random series policies, customers and runs of IssueMultiple / BulkIssue calls, cut into random
batches, go through `issue_batch` on the fake store and, with fewer examples, through
`SqlUnitOfWork.run_batch` on real SQLite and PostgreSQL databases; every answer and the final
state must be what the model says, the guarantees must hold whatever it says, and a run in
batches must answer as the same calls one per batch. Series whose codes cannot be drawn are
left to test_code_collisions.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, note

from .checks import (
    Canon,
    check_against_model,
    check_guarantees,
    check_stored_against_model,
    describe,
)
from .runs import run_on_database, run_on_fake
from .scenarios import Scenario, examples, scenarios


@examples(1.5)
@given(scenario=scenarios())
def test_batches_on_the_fake_store_answer_as_the_model(scenario: Scenario) -> None:
    note(scenario.explain())
    answered, stored = run_on_fake(scenario)

    model = check_against_model(scenario.world, answered)
    check_stored_against_model(model, stored)
    check_guarantees(scenario.world, answered, stored)


@examples(0.25)
@given(scenario=scenarios())
def test_batches_on_sqlite_answer_as_the_model(sqlite_url: str, scenario: Scenario) -> None:
    note(scenario.explain())
    answered, stored = run_on_database(sqlite_url, scenario)

    model = check_against_model(scenario.world, answered)
    check_stored_against_model(model, stored)
    check_guarantees(scenario.world, answered, stored)


@pytest.mark.postgres
@examples(0.1)
@given(scenario=scenarios())
def test_batches_on_postgresql_answer_as_the_model(postgres_url: str, scenario: Scenario) -> None:
    note(scenario.explain())
    answered, stored = run_on_database(postgres_url, scenario)

    model = check_against_model(scenario.world, answered)
    check_stored_against_model(model, stored)
    check_guarantees(scenario.world, answered, stored)


@examples(0.5)
@given(scenario=scenarios(max_calls=24, max_count=50))
def test_long_runs_keep_every_guarantee(scenario: Scenario) -> None:
    note(scenario.explain())
    answered, stored = run_on_fake(scenario)

    check_guarantees(scenario.world, answered, stored)


@examples(1.0)
@given(scenario=scenarios())
def test_a_run_in_batches_answers_as_the_same_calls_one_per_batch(scenario: Scenario) -> None:
    note(scenario.explain())
    batched, batched_state = run_on_fake(scenario)
    # One per batch, in the order the batched run decided the calls: a call deferred behind
    # an earlier call of its batch with the same request id went into the next batch.
    alone, alone_state = run_on_fake(scenario, [[done.step] for done in batched])

    assert [done.step for done in alone] == [done.step for done in batched]
    canon_batched, canon_alone = Canon(scenario.world), Canon(scenario.world)
    for number, (in_batch, by_itself) in enumerate(zip(batched, alone, strict=True)):
        org = in_batch.step.request.org
        assert describe(org, in_batch.answer, canon_batched) == describe(
            org, by_itself.answer, canon_alone
        ), f"call {number}: {in_batch.step.request}"
    assert batched_state.issued == alone_state.issued
    assert {org: set(r) for org, r in batched_state.requests.items()} == {
        org: set(r) for org, r in alone_state.requests.items()
    }
