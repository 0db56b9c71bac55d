"""The rate-limited log for rejected input: one line per interval and kind, with a count of the
lines it held back."""

from __future__ import annotations

import logging

import pytest

from coupon_service.entrypoints.log_limits import RateLimitedLog

LOGGER_NAME = "tests.rejected_input"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def capture_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)


def written(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER_NAME]


def limited(clock: FakeClock, interval: float = 10.0) -> RateLimitedLog:
    return RateLimitedLog(logging.getLogger(LOGGER_NAME), interval_seconds=interval, clock=clock)


def test_the_first_line_of_a_kind_is_written_at_the_level_asked(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = RateLimitedLog(logging.getLogger(LOGGER_NAME), level=logging.INFO, clock=clock)
    log.log("undecodable", "refused %s (%d bytes)", "/a.B/C", 3)
    [record] = written(caplog)
    assert record.getMessage() == "refused /a.B/C (3 bytes)"
    assert record.levelno == logging.INFO


def test_lines_within_the_interval_are_counted_and_reported_with_the_next_one(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = limited(clock)
    log.log("undecodable", "refused %d", 1)
    for n in range(2, 52):
        clock.now += 0.1
        log.log("undecodable", "refused %d", n)
    assert [r.getMessage() for r in written(caplog)] == ["refused 1"]

    clock.now = 1000.0 + 12.5
    log.log("undecodable", "refused %d", 52)
    messages = [r.getMessage() for r in written(caplog)]
    assert messages == ["refused 1", "refused 52 (50 more like it suppressed in the last 12 s)"]
    assert all(r.levelno == logging.WARNING for r in written(caplog))


def test_the_count_starts_again_after_each_written_line(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = limited(clock)
    log.log("kind", "first")
    log.log("kind", "held back")
    clock.now += 10
    log.log("kind", "second")
    clock.now += 10
    log.log("kind", "third")
    assert [r.getMessage() for r in written(caplog)] == [
        "first",
        "second (1 more like it suppressed in the last 10 s)",
        "third",
    ]


def test_kinds_are_limited_independently(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = limited(clock)
    for _ in range(5):
        log.log("undecodable", "undecodable")
        log.log("too large", "too large")
    assert [r.getMessage() for r in written(caplog)] == ["undecodable", "too large"]


def test_a_message_with_no_arguments_gets_its_count_appended(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    log = limited(clock, interval=1.0)
    log.log("kind", "refused")
    log.log("kind", "refused")
    clock.now += 2
    log.log("kind", "refused")
    assert written(caplog)[-1].getMessage() == "refused (1 more like it suppressed in the last 2 s)"


def test_nothing_is_counted_while_the_level_is_disabled(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    caplog.set_level(logging.ERROR, logger=LOGGER_NAME)
    log = limited(clock)
    log.log("kind", "hidden")
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    log.log("kind", "shown")
    assert [r.getMessage() for r in written(caplog)] == ["shown"]
