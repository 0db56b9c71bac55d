"""pytest plugin: the run fails when any log record of it shows a test mobile or email in clear.

Every record that reaches the root logger is formatted once more, by the production pipeline
(`make_formatter("json")`, masking included), and searched for the mobiles and emails that
the tests and the demo data use. Those are gathered from the sources, not listed by hand: each
string literal of the tests (and of `coupon_service/demo.py`, whose values are read too) that
holds an email or a run of 10 to 15 digits, and each value of 7 digits or more given as a
mobile (`mobile="…"`, `"mobile": "…"`). The root logger is lowered to INFO for the run, the
level production logs at, so that access lines are seen.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import re
from collections.abc import Iterable, Iterator

import pytest

from coupon_service import demo
from coupon_service.logs import make_formatter

TESTS = pathlib.Path(__file__).resolve().parent
DEMO_SOURCE = pathlib.Path(demo.__file__)
MAX_REPORTED = 10

_EMAIL = re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE_DIGITS = re.compile(r"(?<!\d)\d{10,15}(?!\d)")
_DIGIT_RUN = re.compile(r"\d{7,}")
_MOBILE_NAME = re.compile(r"mobile|phone", re.IGNORECASE)
_STRING_LITERAL = re.compile(r"""(?P<quote>["'])(?P<body>(?:\\.|(?!(?P=quote)).)*)(?P=quote)""")
# `mobile="…"`, `"mobile": "…"`, `phone_number = '…'`: short mobiles count where they are named.
_MOBILE_GIVEN = re.compile(
    r"""(?i:mobile|phone)\w*["']?\s*[:=]\s*[rbuf]?(?P<quote>["'])(?P<body>[^"'\n]*)(?P=quote)"""
)
_WRITTEN_AS_MOBILE = re.compile(r"\+?[\d -]+")
_MIN_MOBILE_DIGITS = 7  # Shorter "mobiles" ("1", "9") occur in any log line as numbers.


@dataclasses.dataclass
class PersonalData:
    """The test mobiles (digits only) and emails (lower case) that no log line may show."""

    mobiles: set[str] = dataclasses.field(default_factory=set)
    emails: set[str] = dataclasses.field(default_factory=set)

    def add_text(self, text: str, *, is_mobile: bool = False) -> None:
        self.emails.update(email.lower() for email in _EMAIL.findall(text))
        self.mobiles.update(_PHONE_DIGITS.findall(text))
        if is_mobile and _WRITTEN_AS_MOBILE.fullmatch(text.strip()):
            digits = "".join(c for c in text if c.isdigit())
            if len(digits) >= _MIN_MOBILE_DIGITS:
                self.mobiles.add(digits)

    def add_source(self, path: pathlib.Path) -> None:
        """Every string literal of the file (read line by line, which is fast and enough here)."""
        for line in path.read_text(encoding="utf-8").splitlines():
            if '"' in line or "'" in line:
                for literal in _STRING_LITERAL.finditer(line):
                    self.add_text(literal.group("body"))
                for given in _MOBILE_GIVEN.finditer(line):
                    self.add_text(given.group("body"), is_mobile=True)

    def add_values(self, values: Iterable[object], depth: int = 3) -> None:
        """Strings in module values: lists, dicts and dataclasses (the demo's customers)."""
        for value in values:
            if isinstance(value, str):
                self.add_text(value)
            elif depth == 0:
                continue
            elif isinstance(value, dict):
                self.add_values([*value.keys(), *value.values()], depth - 1)
            elif isinstance(value, (list, tuple, set, frozenset)):
                self.add_values(value, depth - 1)
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                fields = dataclasses.fields(value)
                for field in fields:
                    field_value = getattr(value, field.name)
                    if isinstance(field_value, str) and _MOBILE_NAME.search(field.name):
                        self.add_text(field_value, is_mobile=True)
                self.add_values([getattr(value, f.name) for f in fields], depth - 1)

    def found_in(self, line: str) -> Iterator[str]:
        """The test mobiles and emails that `line` shows in clear."""
        for run in _DIGIT_RUN.findall(line):
            if run in self.mobiles:
                yield run
        if "@" in line:
            for email in _EMAIL.findall(line):
                if email.lower() in self.emails:
                    yield email


class LeakWatch(logging.Handler):
    """Formats each record as production would and keeps the ones that show personal data."""

    def __init__(self, personal_data: PersonalData) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(make_formatter("json"))
        self.personal_data = personal_data
        self.leaks: list[tuple[str, str]] = []
        self.leak_count = 0

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        for found in self.personal_data.found_in(line):
            self.leak_count += 1
            if len(self.leaks) < MAX_REPORTED:
                self.leaks.append((found, line))


_WATCH = pytest.StashKey[LeakWatch]()
_ROOT_LEVEL = pytest.StashKey[int]()
_SCANNED = pytest.StashKey[set[pathlib.Path]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    personal_data = PersonalData()
    scanned = {*TESTS.rglob("*.py"), DEMO_SOURCE}
    for path in scanned:
        personal_data.add_source(path)
    personal_data.add_values(vars(demo).values())
    watch = LeakWatch(personal_data)
    root = logging.getLogger()
    stash = session.config.stash
    stash[_WATCH], stash[_ROOT_LEVEL], stash[_SCANNED] = watch, root.level, scanned
    root.addHandler(watch)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Test files collected from outside tests/ (pytester's, for one) are read too."""
    stash = session.config.stash
    for path in {item.path for item in session.items} - stash[_SCANNED]:
        if path.suffix == ".py":
            stash[_WATCH].personal_data.add_source(path)
            stash[_SCANNED].add(path)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    watch = session.config.stash.get(_WATCH, None)
    if watch is None:
        return
    root = logging.getLogger()
    root.removeHandler(watch)
    root.setLevel(session.config.stash[_ROOT_LEVEL])
    if watch.leak_count:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    watch = terminalreporter.config.stash.get(_WATCH, None)
    if watch is None or not watch.leak_count:
        return
    terminalreporter.section("PII guard", sep="=", red=True, bold=True)
    terminalreporter.line(
        f"{watch.leak_count} time(s) a log record showed a test mobile or email in clear; "
        "the run fails. The first records that did:",
        red=True,
    )
    for found, line in watch.leaks:
        terminalreporter.line(f"  {found!r} in: {line}")
