"""CPU and memory meters from Linux /proc: per process group, the machine, and VmRSS.

A `CpuMeter` reads utime + stime of its processes and the machine's busy time when the block
starts and ends; results are in percent of one core (so at most 100 x cores for the machine).
The client processes, the servers and PostgreSQL get one meter each, and "other" is what the
machine used beyond them: another process competing for the cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .harness import Result


class CpuMeter:
    """CPU used by some processes and by the whole machine while the block runs (Linux /proc),
    in percent of one core."""

    _tick = os.sysconf("SC_CLK_TCK")

    def __init__(self, pids: Sequence[int] | Callable[[], Sequence[int]]) -> None:
        """`pids`: fixed processes, or a function listing them, asked again at the end so that
        processes started meanwhile (PostgreSQL's autovacuum workers) count from zero."""
        self._pids = pids if callable(pids) else (lambda fixed=list(pids): fixed)
        self.processes_percent: float | None = None
        self.machine_percent: float | None = None

    def __enter__(self) -> CpuMeter:
        self._wall = time.perf_counter()
        self._ticks = {pid: _process_ticks(pid) for pid in self._pids()}
        self._machine = _machine_ticks()
        return self

    def __exit__(self, *_exc: object) -> None:
        wall = max(time.perf_counter() - self._wall, 1e-9)
        pids = set(self._pids()) | set(self._ticks)
        used, seen = 0, False
        for pid in pids:
            after = _process_ticks(pid)
            before = self._ticks.get(pid, 0)  # Started during the block: all its time counts.
            if after is not None and before is not None:
                used, seen = used + after - before, True
        if seen:
            self.processes_percent = 100 * used / self._tick / wall
        machine = _machine_ticks()
        if machine and self._machine:
            busy, total = (a - b for a, b in zip(machine, self._machine, strict=True))
            self.machine_percent = 100 * (os.cpu_count() or 1) * busy / total if total else None


def annotate(result: Result, servers: CpuMeter, clients: CpuMeter, database: CpuMeter) -> None:
    """Copies the meters' readings into the result; "other" is what none of them used."""
    result.server_cpu_percent = servers.processes_percent
    result.client_cpu_percent = clients.processes_percent
    result.db_cpu_percent = database.processes_percent
    result.machine_cpu_percent = machine = servers.machine_percent
    if machine is not None:
        ours = (result.server_cpu_percent, result.client_cpu_percent, result.db_cpu_percent)
        result.other_cpu_percent = max(0.0, machine - sum(part or 0.0 for part in ours))


def postgres_pids(database: str) -> list[int]:
    """PostgreSQL's processes that work for `database`: its backends and the shared background
    processes, not the backends of other databases (another user's tests on the same server)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        is_backend = "(" in title  # "postgres: 15/main: user db 127.0.0.1(5432) idle"
        if not is_backend or f" {database} " in title:
            pids.append(int(entry.name))
    return pids


def _process_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _machine_ticks() -> tuple[int, int] | None:
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def rss_mb(pid: int) -> float | None:
    """The resident set size of a process (VmRSS in /proc/PID/status), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None
