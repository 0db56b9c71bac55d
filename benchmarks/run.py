"""The command line: which stores and scenarios, then one table and latest.json.

    python -m benchmarks                      # full run: SQLite, then PostgreSQL if reachable
    python -m benchmarks --quick              # under a minute: SQLite, short points, 100k
    python -m benchmarks --store postgres     # sqlite | postgres | all
    python -m benchmarks --only echo,issue1   # some of: rss echo raw upload1m issue1
                                              #   redeem issue500 bulk rest issue1m

SQLite runs one server on a temporary file. PostgreSQL (COUPON_BENCH_PG_URL, default
postgresql://postgres@127.0.0.1:5432/postgres, is the admin URL) gets a fresh database, two
server replicas on it, and the raw ceilings in a scratch table; the one-replica scenarios use
the first replica, the "x2" ones both. A store that fails is reported and the next one runs;
servers, client processes and databases are cleaned up on every exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from . import big, redeem, scenarios
from .ceilings import postgres_ceilings, sqlite_ceilings
from .harness import Result
from .profiles import FULL, QUICK, STEPS, Profile
from .record import write_json
from .report import print_report, verdicts
from .servers import log_tail, postgres_database, postgres_unreachable, running_servers
from .store_run import StoreRun
from .workers import ClientPool

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
Step = Callable[[StoreRun], Awaitable[None]]
STEP_FUNCTIONS: dict[str, Step] = {
    "rss": big.rss,
    "echo": scenarios.echo,
    "raw": scenarios.raw,
    "upload1m": big.upload1m,
    "issue1": scenarios.issue1,
    "redeem": redeem.redeem,
    "issue500": scenarios.issue500,
    "bulk": scenarios.bulk,
    "rest": scenarios.rest,
    "issue1m": big.issue1m,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="the short run (under 60 s)")
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgres", "all"),
        help="default: all (full run), sqlite (quick run)",
    )
    parser.add_argument("--only", help=f"comma-separated scenarios of: {' '.join(STEPS)}")
    parser.add_argument(
        "--fail-on-target", action="store_true", help="exit 2 when a target is missed"
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in (args.only or "").split(",") if name.strip()]
    unknown = sorted(set(only) - set(STEPS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(STEPS)}")
    args.steps = [step for step in STEPS if step in only] if only else None
    return args


async def bench_store(
    store: str,
    db_url: str,
    replicas: int,
    raw: Callable[[], Awaitable[list[Result]]],
    steps: list[str],
    context: tuple[Profile, ClientPool, Path, list[Result]],
) -> None:
    profile, clients, workdir, results = context
    async with running_servers(db_url, replicas, workdir, store) as servers:
        pids = ", ".join(str(server.pid) for server in servers)
        print(f"{store}: {replicas} server(s), pid {pids}; scenarios: {' '.join(steps)}")
        run = StoreRun(store, servers, clients, profile, raw, results=results)
        if store == "postgres":
            run.database = make_url(db_url).database or ""
        run.rss_start_mb = servers[0].rss_mb()
        for step in steps:
            await STEP_FUNCTIONS[step](run)


async def main_async(args: argparse.Namespace, skipped: dict[str, str]) -> list[Result]:
    profile = QUICK if args.quick else FULL
    stores = [args.store or ("sqlite" if args.quick else "all")]
    if stores == ["all"]:
        stores = ["sqlite", "postgres"]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="coupon-bench-") as tmp:
        workdir = Path(tmp)
        for store in stores:
            # Fresh client processes per store: a store that failed mid-call cannot leave a
            # busy or confused client behind for the next one.
            clients = ClientPool(2)
            try:
                context = (profile, clients, workdir, results)
                await _one_store(store, args, profile, workdir, context, skipped)
            except Exception as error:  # Reported; the next store still runs.
                skipped[store] = f"failed: {error!r}"
                print(f"{store} FAILED: {error!r}")
                print_logs(workdir, store)
            finally:
                clients.close()
    return results


def print_logs(workdir: Path, store: str) -> None:
    for log in sorted(workdir.glob(f"{store}-*.log")):
        print(f"--- last lines of {log.name}:\n{log_tail(log)}")


async def _one_store(
    store: str,
    args: argparse.Namespace,
    profile: Profile,
    workdir: Path,
    context: tuple[Profile, ClientPool, Path, list[Result]],
    skipped: dict[str, str],
) -> None:
    cap = profile.raw_cap_s
    if store == "sqlite":
        steps = args.steps or list(STEPS)
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        raw_path = workdir / "raw.db"
        await bench_store(
            store, url, 1, lambda: sqlite_ceilings(raw_path, store, cap), steps, context
        )
        return
    admin = os.environ.get("COUPON_BENCH_PG_URL") or DEFAULT_PG_URL
    reason = await postgres_unreachable(admin)
    if reason:
        print(f"postgres: skipped, {reason}")
        skipped[store] = reason
        return
    steps = args.steps or list(profile.postgres_steps)
    async with postgres_database(admin) as url:

        async def raw() -> list[Result]:
            return await postgres_ceilings(url, store, cap)

        await bench_store(store, url, 2, raw, steps, context)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # Progress shows as it happens, even in a log.
    profile = QUICK if args.quick else FULL
    started, began = datetime.now(UTC), time.perf_counter()
    skipped: dict[str, str] = {}
    print(f"coupon-service benchmark, {profile.name} run, {os.cpu_count()} cores", flush=True)
    try:
        results = asyncio.run(main_async(args, skipped))
    except KeyboardInterrupt:
        sys.exit("interrupted: servers stopped, databases dropped, no results written")
    elapsed = time.perf_counter() - began
    print_report(results, profile, skipped)
    path = write_json(results, profile, started, elapsed, skipped, sys.argv[1:])
    print(f"wrote {path} ({elapsed:.0f} s)")
    failed_stores = any(reason.startswith("failed") for reason in skipped.values())
    if failed_stores:
        sys.exit(1)
    if args.fail_on_target and verdicts(results)[1]:
        sys.exit(2)
