"""The table, one row per scenario and store, and what counts as a breach.

The p99 is of the attempts that had a final answer (OK or a documented refusal). A breach is
any status that is neither a final answer nor transient (calls.py), any duplicate or limit
exceeded, and every other finding of the audit (audit.py).
"""

from __future__ import annotations

import dataclasses

from benchmarks.harness import percentile_ms

from .audit import Audit
from .calls import Tally, is_breach

_HEADERS = (
    "scenario",
    "store",
    "faults",
    "calls",
    "coupons",
    "duplicates",
    "limits exceeded",
    "replays (differing)",
    "p99 ms",
    "statuses by code",
)


@dataclasses.dataclass
class Row:
    scenario: str
    store: str
    faults: str  # what was done to the servers or the database meanwhile
    tally: Tally
    audit: Audit

    def breaches(self) -> list[str]:
        statuses = self.tally.statuses
        return [
            f"{status}: {n:,} calls" for status, n in statuses.most_common() if is_breach(status)
        ] + self.audit.lines()

    def cells(self) -> tuple[str, ...]:
        p99 = percentile_ms(sorted(self.tally.latencies), 99)
        statuses = " · ".join(f"{s} {n:,}" for s, n in self.tally.statuses.most_common())
        audit = self.audit
        return (
            self.scenario,
            self.store,
            self.faults or "-",
            f"{self.tally.calls:,}",
            f"{audit.issued:,}",
            f"{audit.duplicates:,}",
            f"{audit.limits_exceeded:,}",
            f"{audit.replayed:,} ({audit.replays_differing:,})",
            "-" if p99 is None else f"{p99:.0f}",
            statuses,
        )


def print_report(rows: list[Row], failures: dict[str, str]) -> bool:
    """Prints the table and every breach; True when there was none and every store ran."""
    table = [_HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(_HEADERS) - 1)]
    print()
    for line in table:
        padded = (cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True))
        print("  ".join([*padded, line[-1]]))
    clean = not failures
    for row in rows:
        for breach in row.breaches():
            clean = False
            print(f"BREACH {row.scenario} on {row.store}: {breach}")
    for store, reason in failures.items():
        print(f"FAILED {store}: {reason}")
    print("no breach" if clean else "breaches found: exit status 1")
    return clean
