"""The PII guard: a run whose logs show a test mobile in clear fails; masked, it passes."""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from coupon_service import demo
from tests.pii_guard import TESTS, PersonalData

pytest_plugins = ["pytester"]

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def guarded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A scratch test directory whose runs load the guard, as tests/conftest.py does."""
    monkeypatch.setenv("PYTHONPATH", str(REPOSITORY))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # Faster; the guard needs none.
    pytester.makeconftest('pytest_plugins = ["tests.pii_guard"]')
    return pytester


def test_a_run_that_logs_a_test_mobile_in_clear_fails(guarded: pytest.Pytester) -> None:
    # An int is no text to mask: exactly the kind of gap the guard is there to catch.
    guarded.makepyfile(
        test_leaky=textwrap.dedent(
            """
            import logging

            def test_logs_a_customer() -> None:
                logging.getLogger("coupon_service.leaky").info(
                    "customer found", extra={"customer_ref": 919876501234}
                )
            """
        )
    )
    # A subprocess, so that this run's own guard never sees the leak on purpose.
    result = guarded.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*PII guard*",
            "*1 time(s) a log record showed a test mobile or email in clear*",
            "*'919876501234' in: *coupon_service.leaky*customer found*",
        ]
    )
    result.assert_outcomes(passed=1)


def test_a_run_that_logs_the_mobile_masked_passes(guarded: pytest.Pytester) -> None:
    guarded.makepyfile(
        test_masked=textwrap.dedent(
            """
            import logging

            def test_logs_a_customer(caplog) -> None:
                logging.getLogger("coupon_service.masked").info(
                    "customer %s found, mail ada.lovelace@example.org",
                    "919876501234",
                    extra={"mobile": "919876501234", "customer_id": 555567088},
                )
                # caplog still sees the record as it was made.
                assert "919876501234" in caplog.records[0].getMessage()
            """
        )
    )
    result = guarded.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.OK
    assert "PII guard" not in result.stdout.str()


def test_the_guard_knows_the_demo_and_test_data() -> None:
    personal_data = PersonalData()
    for path in TESTS.rglob("*.py"):
        personal_data.add_source(path)
    personal_data.add_values(vars(demo).values())
    assert demo.DEMO_CUSTOMER.mobile in personal_data.mobiles
    assert demo.LOAD_CUSTOMER_MOBILES[-1] in personal_data.mobiles  # Made by an f-string.
    assert "abijith.gupta@example.com" in personal_data.emails
    assert "447700900123" in personal_data.mobiles  # A literal of tests/e2e.


def test_the_guard_looks_for_whole_numbers_and_emails_in_any_case() -> None:
    personal_data = PersonalData()
    personal_data.add_text('{"mobile": "919876501234", "email": "Ada@Example.com"}')
    personal_data.add_text("1234567", is_mobile=True)
    found = personal_data.found_in

    assert list(found('{"n": 919876501234}')) == ["919876501234"]
    assert list(found('{"to": "ADA@example.COM"}')) == ["ADA@example.COM"]
    assert list(found('{"mobile": "*******4567"}')) == []
    assert list(found('{"id": 9198765012345678}')) == []  # A longer number holds it, no leak.
    assert list(found('{"mobile": "********1234", "email": "A***@Example.com"}')) == []
