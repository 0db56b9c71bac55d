"""The issuing rules through the use cases themselves: `issue_multiple` and `bulk_issue` validate
each call, and their batcher gathers the calls made at once into one batch. Against the same
reference model, now with requests the use cases must refuse before issuing anything."""

from __future__ import annotations

from hypothesis import given, note

from .checks import check_against_model, check_guarantees, check_stored_against_model
from .runs import run_use_cases_on_fake
from .scenarios import Scenario, examples, scenarios


@examples(0.5)
@given(scenario=scenarios(invalid=True))
def test_the_use_cases_answer_as_the_model(scenario: Scenario) -> None:
    note(scenario.explain())
    answered, stored = run_use_cases_on_fake(scenario)

    model = check_against_model(scenario.world, answered)
    check_stored_against_model(model, stored)
    check_guarantees(scenario.world, answered, stored)
