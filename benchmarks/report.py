"""The one table of results (record.py writes the same numbers to latest.json).

Each row is a result; its first comparison shares the line, further ones (REST against gRPC,
two replicas against one, code uniqueness) follow on lines of their own, then its notes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .harness import Result
from .profiles import Profile
from .ratios import Comparison, compare

OTHER_LOAD_WARNING = 25.0  # % of one core used by processes not in the benchmark
# (title, width, alignment) of each column.
COLUMNS = (
    ("store", 11, "<"),
    ("scenario", 30, "<"),
    ("c", 3, ">"),
    ("rate", 9, ">"),
    ("unit", 9, "<"),
    ("p50 ms", 7, ">"),
    ("p99 ms", 7, ">"),
    ("srv%", 4, ">"),
    ("cli%", 4, ">"),
    ("db%", 4, ">"),
    ("oth%", 4, ">"),
    ("vs ceiling", 20, "<"),
    ("ceiling", 8, ">"),
    ("ratio", 5, ">"),
    ("target", 21, "<"),
    ("ok", 4, "<"),
)
SPLIT = 11  # The columns of the result; the rest are the comparison's.


def _cells(values: Sequence[str], columns: Sequence[tuple[str, int, str]] = COLUMNS) -> str:
    return " ".join(f"{v[:w]:{a}{w}}" for v, (_t, w, a) in zip(values, columns, strict=True))


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _comparison(comparison: Comparison | None) -> list[str]:
    if comparison is None:
        return ["(ceiling)", "", "", "", ""]
    verdict = {True: "pass", False: "FAIL", None: "-" if comparison.target else ""}
    return [
        comparison.against,
        _number(comparison.ceiling, 0),
        _number(comparison.ratio, 2),
        comparison.target,
        verdict[comparison.passed],
    ]


def _result(result: Result) -> list[str]:
    digits, unit = (1, result.unit) if result.unit == "MB" else (0, f"{result.unit}/s")
    return [
        result.store,
        result.label,
        str(result.concurrency),
        _number(result.rate, digits),
        unit,
        _number(result.p50_ms),
        _number(result.p99_ms),
        _number(result.server_cpu_percent, 0),
        _number(result.client_cpu_percent, 0),
        _number(result.db_cpu_percent, 0),
        _number(result.other_cpu_percent, 0),
    ]


def format_table(results: Sequence[Result]) -> list[str]:
    header = _cells([title for title, _w, _a in COLUMNS])
    lines = [header, "-" * len(header)]
    blank = [""] * SPLIT
    for result in results:
        comparisons = compare(result, results)
        first: Comparison | None = comparisons[0] if comparisons else None
        if first is None and not result.key.startswith(("echo", "raw.")):
            first = Comparison("-", None, None)
        lines.append(_cells(_result(result) + _comparison(first)).rstrip())
        for comparison in comparisons[1:]:
            lines.append(_cells(blank + _comparison(comparison)).rstrip())
        for note in result.notes:
            lines.append(f"{'':<11}   ^ {note}")
    return lines


def verdicts(results: Sequence[Result]) -> tuple[int, int, int]:
    """Targets passed, failed, and not measurable (a ceiling or result missing)."""
    outcomes = [c.passed for r in results for c in compare(r, results) if c.target]
    return outcomes.count(True), outcomes.count(False), outcomes.count(None)


def print_report(results: Sequence[Result], profile: Profile, skipped: dict[str, str]) -> None:
    cores = os.cpu_count() or 1
    print()
    print(f"coupon-service benchmark: {profile.name} run, {cores} cores, results")
    for line in format_table(results):
        print(line)
    passed, failed, unknown = verdicts(results)
    print(f"targets: {passed} passed, {failed} failed, {unknown} not measured")
    for store, reason in skipped.items():
        print(f"skipped {store}: {reason}")
    print(
        f"note: client processes, servers and PostgreSQL share this machine's {cores} cores; "
        "compare ratios, not absolute rates. srv%, cli%, db%, oth% = CPU of the server(s), the "
        "client processes, PostgreSQL and everything else, in % of one core, over the measured "
        "window."
    )
    busy = [(r.other_cpu_percent, r) for r in results if r.other_cpu_percent is not None]
    worst = max(busy, key=lambda pair: pair[0], default=None)
    if worst is not None and worst[0] >= OTHER_LOAD_WARNING:
        print(
            f"warning: other processes used up to {worst[0]:.0f}% of a core ({worst[1].store} "
            f"{worst[1].label} c={worst[1].concurrency}): those numbers are depressed; rerun "
            "on a quiet machine before comparing runs."
        )
