"""benchmarks/results/latest.json: every result with its comparisons, the machine, the date,
the git commit and the profile. Numbers JSON cannot hold (inf, NaN) are written as null."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc

from .harness import Result
from .profiles import Profile
from .ratios import compare
from .report import verdicts

RESULTS_PATH = Path(__file__).absolute().parent / "results" / "latest.json"


def _git() -> dict[str, Any]:
    root = RESULTS_PATH.parent.parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        commit = git("rev-parse", "HEAD") or None
        return {"commit": commit, "dirty": bool(git("status", "-s")) if commit else None}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "load_average_at_end": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "hostname": platform.node(),
    }


def _finite(value: Any) -> Any:
    """The payload with NaN and infinities as null, which JSON has no numbers for."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def write_json(
    results: Sequence[Result],
    profile: Profile,
    started: datetime,
    elapsed_s: float,
    skipped: dict[str, str],
    argv: list[str],
) -> Path:
    passed, failed, unknown = verdicts(results)
    payload = {
        "date": started.isoformat(),
        "elapsed_s": round(elapsed_s, 1),
        "argv": argv,
        "git": _git(),
        "machine": _machine(),
        "profile": dataclasses.asdict(profile),
        "targets": {"passed": passed, "failed": failed, "not_measured": unknown},
        "skipped": skipped,
        "results": [
            {
                **dataclasses.asdict(result),
                "comparisons": [dataclasses.asdict(c) for c in compare(result, results)],
            }
            for result in results
        ],
    }
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(_finite(payload), indent=2, default=str) + "\n")
    return RESULTS_PATH
